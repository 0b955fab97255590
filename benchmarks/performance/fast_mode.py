"""
Fast mode against exact mode: GoGePo's learning curves and final returns with both, per environment.

    python -m benchmarks.performance.fast_mode

Exact-mode runs are the benchmark's GoGePo runs with symlog commands (``benchmarks/results/<env>/gogepo_symlog/``),
the YAML's settings when the fast-mode runs were made; fast-mode runs (``update_precision="bfloat16"``,
``separate_bias_networks=False``) live under ``benchmarks/results/fast_mode/`` and are made by the same runner::

    python -m benchmarks.run --algos gogepo --envs swimmer --seeds 1 2 --budget reduced \\
        --results-dir benchmarks/results/fast_mode \\
        --hyperparams update_precision:bfloat16 "policy_kwargs:dict(separate_bias_networks=False)"

Both modes are compared at one budget per environment (:data:`COMPARISON_BUDGETS`). A finished run with a larger
budget counts with its evaluations up to that budget: GoGePo has no budget-dependent schedule, so the first part of
a longer run is a run of the shorter budget. Writes ``benchmarks/results/fast_mode.md`` and
``docs/results/fast_mode.png``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.common import RESULTS, steps_label
from benchmarks.report import DOCS_DIR, N_LAST, Run, aligned_curves, bootstrap_ci, bootstrap_means, collect_runs
from benchmarks.run import final_return

#: Budget at which the two modes are compared, per environment.
COMPARISON_BUDGETS = {"MountainCarContinuous-v0": 100_000, "Swimmer-v3": 300_000}
MODES = {"exact": "tab:blue", "fast": "tab:red"}


def truncated(runs: Sequence[Run], env_id: str, budget: int, algo: str = "gogepo") -> list[list[dict[str, float]]]:
    """
    :param algo: The run folders' algorithm name.
    :return: The evaluation rows up to ``budget`` of one finished GoGePo run per seed of the env with at least that
        budget: the run at ``budget`` where there is one, else the one with the smallest larger budget (a seed
        counted twice would not be an independent sample).
    """
    by_seed: dict[int, Run] = {}
    for run in runs:
        if run.algo == algo and run.env_id == env_id and run.finished and run.budget >= budget:
            if run.seed not in by_seed or run.budget < by_seed[run.seed].budget:
                by_seed[run.seed] = run
    return [[row for row in by_seed[seed].rows if row["timesteps"] <= budget] for seed in sorted(by_seed)]


def difference_ci(exact: Sequence[float], fast: Sequence[float], n_resamples: int = 10_000, seed: int = 0) -> str:
    """
    :return: The fast mean minus the exact mean, with a 95 % bootstrap interval (seeds resampled within each mode),
        or ``-`` with fewer than two seeds in a mode.
    """
    if len(exact) < 2 or len(fast) < 2:
        return "-"
    rng = np.random.default_rng(seed)
    exact_means = bootstrap_means(np.asarray(exact), n_resamples, rng)
    fast_means = bootstrap_means(np.asarray(fast), n_resamples, rng)
    low, high = np.percentile(fast_means - exact_means, [2.5, 97.5])
    return f"{np.mean(fast) - np.mean(exact):+.1f} [{low:+.1f}, {high:+.1f}]"


def curve_within_spread(exact: Sequence[Sequence[dict[str, float]]], fast: Sequence[Sequence[dict[str, float]]]) -> str:
    """
    :return: At how many of the evaluations both modes share the fast seeds' mean return lies within the range of
        the exact seeds' returns (``k / n``), or ``-`` when a mode has no run.
    """
    if not exact or not fast:
        return "-"
    _, values = aligned_curves([*exact, *fast])
    exact_values, fast_mean = values[: len(exact)], values[len(exact) :].mean(axis=0)
    inside = (exact_values.min(axis=0) <= fast_mean) & (fast_mean <= exact_values.max(axis=0))
    return f"{int(inside.sum())} / {values.shape[1]}"


def summary(finals: Sequence[float]) -> str:
    if len(finals) < 2:
        return f"{finals[0]:.1f}" if finals else "-"
    return f"{np.mean(finals):.1f} ± {np.std(finals, ddof=1):.1f}"


def compare(results_dir: Path, docs_dir: Path) -> str:
    """Write the table and the figure; :return: the markdown."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    exact_runs, fast_runs = collect_runs(results_dir), collect_runs(results_dir / "fast_mode")
    lines = [
        "Final return (mean of the last 20 evaluations up to the budget) of every finished seed, exact mode "
        "(float32, the paper's generator) and fast mode (bfloat16 autocast, bias slices from the weight networks). "
        "The curve column counts the evaluations at which the fast seeds' mean return lies between the lowest and "
        "the highest exact seed. The last column is the difference of the means with a 95 % bootstrap interval "
        "(seeds resampled within each mode): an interval that contains 0 means the seeds cannot tell the modes apart. "
        "Written by `python -m benchmarks.performance.fast_mode`.\n",
        "| env (budget) | exact: seeds | exact: mean ± sample std | fast: seeds | fast: mean ± sample std "
        "| fast mean within the exact seeds' range | fast mean curve within the exact seeds' range (evaluations) "
        "| fast - exact [95 % bootstrap CI] |",
        "|" + " --- |" * 8,
    ]
    figure, axes_list = plt.subplots(1, len(COMPARISON_BUDGETS), figsize=(6 * len(COMPARISON_BUDGETS), 4), squeeze=False)
    for axes, (env_id, budget) in zip(axes_list.flat, COMPARISON_BUDGETS.items()):
        curves = {
            "exact": truncated(exact_runs, env_id, budget, "gogepo_symlog"),
            "fast": truncated(fast_runs, env_id, budget),
        }
        finals = {mode: [final_return(rows, N_LAST) for rows in group] for mode, group in curves.items()}
        exact, fast = finals["exact"], finals["fast"]
        within = "yes" if exact and fast and min(exact) <= np.mean(fast) <= max(exact) else "no" if exact and fast else "-"
        lines.append(
            f"| {env_id} ({steps_label(budget)}) | {', '.join(f'{v:.1f}' for v in exact) or '-'} | {summary(exact)} "
            f"| {', '.join(f'{v:.1f}' for v in fast) or '-'} | {summary(fast)} | {within} "
            f"| {curve_within_spread(curves['exact'], curves['fast'])} | {difference_ci(exact, fast)} |"
        )
        for mode, group in curves.items():
            if not group:
                continue
            steps, values = aligned_curves(group)
            axes.plot(steps, values.mean(axis=0), color=MODES[mode], label=f"{mode} ({len(group)} seeds)")
            if len(group) > 1:
                low, high = bootstrap_ci(values)
                axes.fill_between(steps, low, high, color=MODES[mode], alpha=0.2)
        axes.set_title(f"GoGePo on {env_id} ({steps_label(budget)} steps)")
        axes.set_xlabel("environment steps")
        axes.set_ylabel("evaluation return")
        axes.legend(loc="best", fontsize=8)
        axes.grid(alpha=0.3)
    figure.tight_layout()
    docs_dir.mkdir(parents=True, exist_ok=True)
    figure.savefig(docs_dir / "fast_mode.png", dpi=90)
    plt.close(figure)
    text = "\n".join(lines) + "\n"
    (results_dir / "fast_mode.md").write_text(text)
    return text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.performance.fast_mode", description=__doc__.split("\n\n")[0])
    parser.add_argument("--results-dir", default=os.fspath(RESULTS))
    parser.add_argument("--docs-dir", default=os.fspath(DOCS_DIR))
    args = parser.parse_args(argv)
    print(compare(Path(args.results_dir), Path(args.docs_dir)))


if __name__ == "__main__":
    main()
