"""
The command-input ablation of issue 17: how commands enter the generator, compared over the same seeds.

Every subfolder of ``--results-dir`` is one variant, holding :mod:`benchmarks.run`'s folder layout
(``<env>/<algo>/budget_<n>/seed_<k>/``). For each variant and environment it reports:

- final return (mean of the last 20 evaluations): mean ± std (ddof 1), median;
- takeoff: the first evaluation above the task's threshold (:data:`TAKEOFF`: 100 on Swimmer, the issue's; 1,000 on
  Hopper, 500 on InvertedPendulum, 50 on MountainCar), its median step, and the seeds that never take off;
- command fidelity: mean ``|achieved - commanded| / range`` of the final generator over 20 commands evenly spaced
  over the paper's return range (training-return units, 10 episodes each; cached as ``command_sweep.csv``);
- frontier fidelity: the training return of ``G(best)`` (10 episodes) divided by the best training return seen
  (cached as ``frontier.csv``);
- takeoff counts against the variant with the most takeoffs: one-sided Fisher exact test;
- final returns against the variant with the highest median: one-sided exact rank-sum (Mann-Whitney) test, and
  against the authors' script's (the reference) where theirs are not that variant; where a variant with the
  authors' update counts (``<input>_4_19``) has the same input with the paper's beside it, its final returns above
  theirs, the same test; where the authors' script's runs have command fidelities, each variant's command fidelity
  above theirs (further from the commands), the same test.

Table 1's finished runs (``--table1-dir``) are variants too, marked "Table 1's runs": its GoGePo runs with symlog
commands (``gogepo_symlog``), its GoGePo runs with the YAML's settings (``gogepo``: commands divided by the task's
return range, the variant ``scale<range>``) and its runs of the authors' script. Each fills a variant the ablation
lacks at an environment and budget, or adds the seeds it lacks to the ablation's runs of the same variant, and an
environment and budget that only Table 1 has gets a section where it has two variants or more.

The fidelities need the final model (``snapshots/model_100.zip``, not committed); once cached, the report is written
again from the committed files alone. The authors' script's runs have theirs where ``python -m
benchmarks.authors_fidelity`` cached them from their final snapshots.

    python -m benchmarks.command_input --results-dir ~/runs/command_input --table1-dir ~/runs/table1   # computes the caches
    python -m benchmarks.command_input --results-dir benchmarks/results/command_input   # --table1-dir benchmarks/results
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import RESULTS
from benchmarks.report import ENV_ORDER, Run, collect_runs, fidelity
from sb3_gogepo.zoo.manager import zoo_policy_kwargs

#: Evaluation return above which a run has taken off, per environment.
TAKEOFF = {"Swimmer-v3": 100.0, "Hopper-v3": 1000.0, "InvertedPendulum-v2": 500.0, "MountainCarContinuous-v0": 50.0}
#: Display names and order of the variants (folder name -> label); other ``scale<range>`` variants follow ``scale465``,
#: other folders come last in name order.
VARIANTS = {
    "symlog": "symlog (the constructor's default)",
    "scale465": "command_scale=465 (authors' constant)",
    "scale465_4_19": "command_scale=465, 4+19 updates (the authors' settings)",
    "auto": "command_scale='auto' (running scale)",
    "auto_4_19": "command_scale='auto', 4+19 updates",
    "symlog_4_19": "symlog, 4+19 updates",
    "authors": "authors' script",
}


#: The suffix of a variant folder with the authors' update counts (4 evaluator + 19 generator steps per episode).
UPDATES_4_19 = "_4_19"
SCALE_VARIANT = re.compile(r"scale([0-9.e+-]+)")


def label(name: str) -> str:
    """:return: The display name of the variant in folder ``name``."""
    scale = SCALE_VARIANT.fullmatch(name)
    if name not in VARIANTS and scale:
        return f"command_scale={scale[1]} (authors' constant)"
    return VARIANTS.get(name, name)


@dataclass
class VariantSummary:
    """The measured figures of one variant on one environment and budget."""

    name: str
    runs: list[Run]
    takeoff_steps: list[float]
    command_fidelity: list[float]
    frontier_fidelity: list[float]
    #: Whether the runs are Table 1's (the reference rows of a budget the ablation has no such variant at), or some
    #: of them are (seeds of Table 1 with the same settings beside the ablation's).
    from_table1: bool = False
    with_table1: bool = False

    @property
    def display_name(self) -> str:
        """The variant's label, marked where the runs are Table 1's."""
        if self.from_table1:
            return label(self.name) + ", Table 1's runs"
        return label(self.name) + (", with Table 1's runs" if self.with_table1 else "")

    @property
    def finals(self) -> list[float]:
        return [run.final for run in self.runs]

    @property
    def n_takeoffs(self) -> int:
        return sum(math.isfinite(step) for step in self.takeoff_steps)


def fisher_one_sided(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float:
    """
    One-sided Fisher exact test that group A has a higher success rate than group B.

    :return: The probability, with the margins fixed, of A having at least ``successes_a`` successes.
    """
    total = successes_a + successes_b
    denominator = math.comb(n_a + n_b, total)
    return sum(math.comb(n_a, k) * math.comb(n_b, total - k) for k in range(successes_a, min(n_a, total) + 1)) / denominator


def rank_sum_one_sided(higher: Sequence[float], lower: Sequence[float]) -> float:
    """
    One-sided exact rank-sum (Wilcoxon-Mann-Whitney) test that the values of ``higher`` tend to exceed those of
    ``lower``; tied values share their mean rank.

    :return: The fraction of all ways to pick ``len(higher)`` of the pooled values whose rank sum is at least that of
        ``higher``.
    """
    values = np.concatenate([np.asarray(higher, dtype=np.float64), np.asarray(lower, dtype=np.float64)])
    order = np.argsort(values, kind="stable")
    doubled_ranks = np.empty(len(values), dtype=np.int64)  # twice the mean rank: whole numbers even with ties
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and values[order[end + 1]] == values[order[start]]:
            end += 1
        doubled_ranks[order[start : end + 1]] = start + end + 2
        start = end + 1
    n_higher = len(higher)
    observed = int(doubled_ranks[:n_higher].sum())
    ways: list[dict[int, int]] = [{0: 1}] + [{} for _ in range(n_higher)]  # ways[k][s]: k values, doubled rank sum s
    for rank in doubled_ranks.tolist():
        for k in range(n_higher - 1, -1, -1):
            for total, count in ways[k].items():
                ways[k + 1][total + rank] = ways[k + 1].get(total + rank, 0) + count
    at_least = sum(count for total, count in ways[n_higher].items() if total >= observed)
    return at_least / math.comb(len(values), n_higher)


def takeoff_step(run: Run, threshold: float) -> float:
    """:return: The step of the first evaluation above ``threshold`` (``inf`` if none)."""
    return next((row["timesteps"] for row in run.rows if row["mean_return"] > threshold), math.inf)


def summarize(name: str, runs: list[Run], n_episodes: int, compute: bool, from_table1: bool = False) -> VariantSummary:
    """:return: The figures of one variant's finished runs of one environment and budget."""
    threshold = TAKEOFF.get(runs[0].env_id, 100.0)
    # The authors' runs have no GoGePo model: their fidelities are the caches of benchmarks.authors_fidelity.
    command, frontier = fidelity(runs, n_episodes, compute and runs[0].algo != "authors")
    return VariantSummary(name, runs, [takeoff_step(run, threshold) for run in runs], command, frontier, from_table1)


def table1_variant(run: Run) -> str | None:
    """
    :return: The variant a Table 1 run belongs to: ``symlog`` (``gogepo_symlog``, no overrides), ``scale<range>``
        (``gogepo``: the YAML's settings, whose ``command_scale`` may be given as the ``policy_kwargs`` override of
        code that predates it), ``authors``; ``None`` for a run with other overrides.
    """
    overrides = run.meta.get("hyperparams_overrides") or {}
    if run.algo == "authors":
        return "authors"
    if run.algo == "gogepo_symlog" and not overrides:
        return "symlog"
    if run.algo == "gogepo" and set(overrides) <= {"policy_kwargs"}:
        scale = recorded_policy_kwargs(run).get("command_scale")
        return f"scale{scale:g}" if isinstance(scale, (int, float)) else None
    return None


def recorded_policy_kwargs(run: Run) -> dict[str, Any]:
    """:return: The ``policy_kwargs`` a run recorded in ``run.json`` (the zoo's ``dict(...)`` string, evaluated as the
    zoo does), or ``{}`` where it recorded none or cannot be read."""
    text = run.meta.get("hyperparams", {}).get("policy_kwargs")
    if not isinstance(text, str):
        return {}
    try:
        return zoo_policy_kwargs(text)
    except Exception:  # a string this code cannot read is no command_scale run
        return {}


def table1_variants(table1_runs: Sequence[Run]) -> dict[tuple[str, int], dict[str, list[Run]]]:
    """:return: Table 1's finished runs by environment and budget, then by :func:`table1_variant`."""
    grouped: dict[tuple[str, int], dict[str, list[Run]]] = {}
    for run in table1_runs:
        name = table1_variant(run)
        if run.finished and name is not None:
            grouped.setdefault((run.env_id, run.budget), {}).setdefault(name, []).append(run)
    return grouped


def _figure(values: Sequence[float], digits: int = 1) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}"


def variant_table(summaries: Sequence[VariantSummary]) -> str:
    """
    :return: One markdown row per variant, with the Fisher test of its takeoffs against the variant with the most
        takeoffs and the rank-sum test of its final returns against the variant with the highest median; where the
        authors' script is not that variant, the same test against it (the reference); where the highest median is
        not symlog's, the constructor's default, also the rank-sum test of each variant's final returns above
        symlog's; where a variant with the authors' update counts (``<input>_4_19``) has the same input's runs with
        the paper's beside it, the rank-sum test of its final returns above theirs; where the authors' script has
        command fidelities, the rank-sum test of each variant's above theirs (further from the commands).
    """
    leader = max(summaries, key=lambda summary: summary.n_takeoffs / len(summary.runs))
    best = max(summaries, key=lambda summary: float(np.median(summary.finals)))
    by_name = {summary.name: summary for summary in summaries}
    symlog = by_name.get("symlog") if by_name.get("symlog") is not best else None
    script = by_name.get("authors")
    reference = script if script is not best else None
    authors = script if script is not None and script.command_fidelity else None
    paper_counts = {
        summary.name: by_name[summary.name.removesuffix(UPDATES_4_19)]
        for summary in summaries
        if summary.name.endswith(UPDATES_4_19) and summary.name.removesuffix(UPDATES_4_19) in by_name
    }
    header = (
        "| variant | seeds | final return | median | took off | median takeoff step | never took off (seeds) "
        f"| command fidelity | frontier fidelity | takeoffs vs {leader.display_name}: one-sided Fisher p "
        f"| final returns vs {best.display_name}: one-sided rank-sum p |"
    )
    if reference is not None:
        header += f" final returns vs {reference.display_name}: one-sided rank-sum p |"
    if symlog is not None:
        header += f" final returns above {symlog.display_name}: one-sided rank-sum p |"
    if paper_counts:
        header += " final returns with 4+19 updates above the same input with 5+20: one-sided rank-sum p |"
    if authors is not None:
        header += f" command fidelity above {authors.display_name} (further from the commands): one-sided rank-sum p |"
    extra = (reference is not None) + (symlog is not None) + bool(paper_counts) + (authors is not None)
    lines = [header, "|" + " --- |" * (11 + extra)]
    for summary in summaries:
        steps = [step for step in summary.takeoff_steps if math.isfinite(step)]
        stuck = [str(run.seed) for run, step in zip(summary.runs, summary.takeoff_steps) if not math.isfinite(step)]
        p_value = (
            "-"
            if summary is leader
            else f"{fisher_one_sided(leader.n_takeoffs, len(leader.runs), summary.n_takeoffs, len(summary.runs)):.3g}"
        )
        rank_p = "-" if summary is best else f"{rank_sum_one_sided(best.finals, summary.finals):.3g}"
        line = (
            f"| {summary.display_name} | {len(summary.runs)} | {_figure(summary.finals)} "
            f"| {np.median(summary.finals):.1f} | {summary.n_takeoffs} of {len(summary.runs)} "
            f"| {f'{np.median(steps):.0f}' if steps else '-'} | {', '.join(stuck) or 'none'} "
            f"| {_figure(summary.command_fidelity, 3)} (n={len(summary.command_fidelity)}) "
            f"| {_figure(summary.frontier_fidelity, 2)} (n={len(summary.frontier_fidelity)}) | {p_value} | {rank_p} |"
        )
        if reference is not None:
            line += " - |" if summary is reference else f" {rank_sum_one_sided(reference.finals, summary.finals):.3g} |"
        if symlog is not None:
            line += " - |" if summary is symlog else f" {rank_sum_one_sided(summary.finals, symlog.finals):.3g} |"
        if paper_counts:
            paper = paper_counts.get(summary.name)
            line += " - |" if paper is None else f" {rank_sum_one_sided(summary.finals, paper.finals):.3g} |"
        if authors is not None:
            mine, theirs = summary.command_fidelity, authors.command_fidelity
            line += " - |" if summary is authors or not mine else f" {rank_sum_one_sided(mine, theirs):.3g} |"
        lines.append(line)
    return "\n".join(lines) + "\n"


def seeds_table(summaries: Sequence[VariantSummary]) -> str:
    """:return: Every seed's final return and takeoff step, one column per variant."""
    seeds = sorted({run.seed for summary in summaries for run in summary.runs})
    names = [summary.display_name for summary in summaries]
    lines = ["| seed | " + " | ".join(names) + " |", "|" + " --- |" * (len(summaries) + 1)]
    for seed in seeds:
        cells = []
        for summary in summaries:
            match = [(run, step) for run, step in zip(summary.runs, summary.takeoff_steps) if run.seed == seed]
            if not match:
                cells.append("-")
                continue
            run, step = match[0]
            cells.append(f"{run.final:.1f} ({f'{step / 1000:.0f}k' if math.isfinite(step) else 'never'})")
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def variant_rank(name: str) -> tuple[int, str]:
    """:return: The sort key of a variant: :data:`VARIANTS` order (``scale<range>`` beside ``scale465``), then the
    others by name."""
    order = list(VARIANTS)
    if name not in order and SCALE_VARIANT.fullmatch(name):
        return (order.index("scale465"), name)
    return (order.index(name) if name in order else len(order), name)


def setting_rank(env_id: str, budget: int) -> tuple[int, int]:
    """:return: The sort key of a section: Table 1's order of the environments, then the budget."""
    return (ENV_ORDER.index(env_id) if env_id in ENV_ORDER else len(ENV_ORDER), budget)


def variant_folders(results_dir: Path) -> list[Path]:
    """:return: The variant folders, in :func:`variant_rank` order."""
    return sorted((path for path in results_dir.iterdir() if path.is_dir()), key=lambda path: variant_rank(path.name))


def _shown(path: Path) -> Path:
    """:return: ``path`` relative to the working directory where it can be."""
    try:
        return Path(os.path.relpath(path, Path.cwd()))
    except ValueError:
        return path


def write_report(results_dir: Path, output: Path, n_episodes: int, compute: bool, table1_dir: Path | None = None) -> str:
    """
    Write the ablation's markdown to ``output``; :return: the text.

    :param table1_dir: Table 1's results folder, whose runs give the variants the ablation lacks (see the module).
    """
    by_setting: dict[tuple[str, int], list[VariantSummary]] = {}
    for folder in variant_folders(results_dir):
        runs = [run for run in collect_runs(folder) if run.finished]
        for env_id, budget in sorted({(run.env_id, run.budget) for run in runs}):
            group = [run for run in runs if (run.env_id, run.budget) == (env_id, budget)]
            by_setting.setdefault((env_id, budget), []).append(summarize(folder.name, group, n_episodes, compute))
    if table1_dir is not None:
        for setting, variants in table1_variants(collect_runs(table1_dir)).items():
            if setting not in by_setting and len(variants) < 2:
                continue
            summaries = by_setting.setdefault(setting, [])
            for name, runs in variants.items():
                ablation = next((summary for summary in summaries if summary.name == name), None)
                if ablation is None:
                    summaries.append(summarize(name, runs, n_episodes, compute, from_table1=True))
                    continue
                # The same settings in both places: Table 1's seeds the ablation lacks join its row.
                seeds = {run.seed for run in ablation.runs}
                extra = [run for run in runs if run.seed not in seeds]
                if extra:
                    merged = summarize(name, [*ablation.runs, *extra], n_episodes, compute)
                    summaries[summaries.index(ablation)] = replace(merged, with_table1=True)
    for summaries in by_setting.values():
        summaries.sort(key=lambda summary: variant_rank(summary.name))
    by_setting = dict(sorted(by_setting.items(), key=lambda item: setting_rank(*item[0])))
    command = f"python -m benchmarks.command_input --results-dir {_shown(results_dir)}"
    if table1_dir is not None:
        command += f" --table1-dir {_shown(table1_dir)}"
    parts = [
        "# Command input: how commands enter the generator\n\n",
        f"Written by `{command}`. Finished runs only; final return = mean of "
        "the last 20 evaluations (10 episodes of the noise-free policy every 10k steps). Command fidelity: mean "
        "|achieved - commanded| / range over 20 commands evenly spaced over the paper's return range (lower is better). "
        "Frontier fidelity: training return of G(best) over the best training return (1 is exact). Fidelities are "
        f"means over seeds of the final generators, {n_episodes} episodes per command.\n",
    ]
    for (env_id, budget), summaries in by_setting.items():
        threshold = TAKEOFF.get(env_id, 100.0)
        parts.append(f"\n## {env_id}, {budget // 1000}k steps (took off: an evaluation above {threshold:g})\n\n")
        parts.append(variant_table(summaries))
        parts.append("\nFinal return per seed (step of the takeoff):\n\n")
        parts.append(seeds_table(summaries))
        commits = sorted({str(run.meta.get("versions", {}).get("git_commit", "?")) for s in summaries for run in s.runs})
        parts.append(f"\nCommits of the runs: {', '.join(commits)}.\n")
    text = "".join(parts)
    output.write_text(text)
    return text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.command_input", description=__doc__.split("\n\n")[0])
    parser.add_argument("--results-dir", default=os.fspath(RESULTS / "command_input"))
    parser.add_argument("--output", default=os.fspath(RESULTS / "command_input.md"))
    parser.add_argument("--table1-dir", default=os.fspath(RESULTS), help="Table 1's runs: the variants the ablation lacks")
    parser.add_argument("--n-episodes", type=int, default=10, help="episodes per command for the fidelities")
    parser.add_argument("--no-compute", action="store_true", help="cached fidelities only")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    table1_dir = Path(args.table1_dir).expanduser()
    print(
        write_report(Path(args.results_dir).expanduser(), Path(args.output), args.n_episodes, not args.no_compute, table1_dir)
    )


if __name__ == "__main__":
    main()
