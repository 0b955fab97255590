"""
Benchmark report: turn the runs of :mod:`benchmarks.run` into the paper's Table 1 and Figures 2-4.

Writes ``docs/results/index.md`` (MyST markdown) with its PNGs beside it, and a copy of the table as
``benchmarks/results/table1.md``. Every number on the page comes from the CSVs and ``run.json`` files.

- Table 1 analog: final return (mean of the last 20 evaluations) mean +- sample std (ddof 1) over finished seeds,
  number of seeds,
  budget, mean wall-clock per run, the paper's values beside ours; and every run with its own wall-clock.
- Figure 2: learning curves, mean over seeds with 95 % bootstrap confidence intervals.
- Figure 4: for GoGePo, the return achieved by the policies generated for 20 commands evenly spaced over the
  paper's return range, 10 episodes each (final generator), per seed, in the units of the command (the training
  return: for Hopper without the survival bonus).
- Figure 3: PCA of the probing actions (final evaluator's probing states) of the policies in the final buffer,
  coloured by return, with the policies generated for the 20 commands at 25/50/75/100 % of training on top.

Figures 3 and 4 need the run's ``snapshots/`` and ``checkpoint/`` (not committed); their data are cached in the run
folder (``command_sweep.csv``, ``policy_map.npz``, committed), so the report re-renders without them.

    python -m benchmarks.report                      # all runs under benchmarks/results
    python -m benchmarks.report --no-compute         # only cached Figure 3/4 data
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import RESULTS, ROOT, steps_label
from benchmarks.run import CSV_FILE, ENVS, final_return, read_meta, read_rows, snapshot_file
from sb3_gogepo.files import atomic_write
from sb3_gogepo.sweep_records import write_sweep_csv

#: The paper's Table 1 (final return, mean +- std over 20 seeds).
PAPER_TABLE: dict[str, dict[str, tuple[float, float]]] = {
    "Swimmer-v3": {"gogepo": (334, 16), "ars": (342, 21), "ddpg": (129, 25)},
    "MountainCarContinuous-v0": {"gogepo": (93, 1), "ars": (55, 33), "ddpg": (-1, 0.01)},
    "Hopper-v3": {"gogepo": (2589, 300), "ars": (2340, 199), "ddpg": (1634, 1036)},
    "InvertedPendulum-v2": {"gogepo": (980, 40), "ars": (936, 42), "ddpg": (960, 175)},
}
#: Run folders' algorithm names. ``gogepo_symlog``: GoGePo runs made with symlog commands, the constructor's input,
#: before the YAML's entries of the paper's tasks took the authors' return ranges (``command_scale``).
ALGO_NAMES = {
    "gogepo": "GoGePo",
    "gogepo_symlog": "GoGePo, symlog commands",
    "ars": "ARS",
    "ddpg": "DDPG",
    "authors": "GoGePo, authors' script",
}
ALGO_COLORS = {
    "gogepo": "tab:blue",
    "gogepo_symlog": "tab:cyan",
    "ars": "tab:orange",
    "ddpg": "tab:green",
    "authors": "tab:purple",
}
#: Columns shown only where some run has them.
OPTIONAL_ALGOS = ("gogepo_symlog", "authors")
#: The GoGePo folders whose final generators Figures 3 and 4 show, with the suffix of their panels' labels.
GENERATOR_ALGOS = {"gogepo": "", "gogepo_symlog": ", symlog commands"}
ENV_ORDER = list(PAPER_TABLE)
DOCS_DIR = ROOT / "docs" / "results"
SWEEP_FILE = "command_sweep.csv"
FRONTIER_FILE = "frontier.csv"
MAP_FILE = "policy_map.npz"
N_LAST = 20
COLUMNS_NOTE = (
    "GoGePo (ours): the YAML's settings, whose entries for the paper's tasks divide commands by the task's return range "
    "as the authors' code does; GoGePo, symlog commands: the same settings with the constructor's symlog commands (the "
    "runs made before the YAML took the ranges)."
)
FIDELITY_NOTE = (
    "Fidelities of the final generators of GoGePo (ours) (mean ± std over the seeds with a command sweep, n): command "
    "fidelity = mean |achieved - commanded| / range over 20 commands evenly spaced over the paper's return range (0 is "
    "exact); frontier fidelity = training return of the policy generated for the best training return seen, divided by "
    "it (1 is exact); 10 episodes per command, training-return units."
)
#: Findings under the table, written by hand in the results folder: where a figure falls short of the paper and what
#: the diagnostics measured about why (each figure in it cites the committed output it comes from).
NOTES_FILE = "table1_notes.md"
#: Diagnostics of shortfalls, written by their own scripts into the results folder: file -> section title.
DIAGNOSTICS = {
    "ddpg_saturation.md": "DDPG on InvertedPendulum: actors stuck at the action bound",
    "hopper_training_returns.md": "GoGePo on Hopper at 300k with symlog commands: training returns of the Table 1 seeds",
    "hopper_command_scale.md": "GoGePo on Hopper: symlog commands against the authors' command scale",
    "hopper_seen_range.md": "GoGePo on Hopper at 300k with symlog commands: the final generators inside the returns seen",
    "hopper_extended_training_returns.md": "GoGePo on Hopper: the stuck 300k seeds continued towards 3M",
    "swimmer_training_returns.md": "GoGePo on Swimmer at 3M: training returns (symlog, return range, authors' script)",
    "hopper_3m_training_returns.md": "GoGePo on Hopper at 3M with symlog commands: training returns",
    "faithfulness.md": "Faithfulness: one update block, generated weights and actions against the authors' code",
    "command_input.md": "Command input: symlog, the authors' constant and a running scale over the same seeds",
}


@dataclass
class Run:
    """One run folder: its evaluations and metadata."""

    path: Path
    env_id: str
    algo: str
    budget: int
    seed: int
    rows: list[dict[str, float]]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return bool(self.meta.get("finished"))

    @property
    def final(self) -> float:
        return final_return(self.rows, N_LAST)

    @property
    def timesteps(self) -> int:
        return int(self.rows[-1]["timesteps"]) if self.rows else 0

    @property
    def wall_clock(self) -> float:
        """Seconds: at the end of a finished run, else at the last evaluation (as :attr:`timesteps`)."""
        return self._seconds("wall_clock_s")

    @property
    def eval_wall_clock(self) -> float:
        """Seconds of evaluation in :attr:`wall_clock`."""
        return self._seconds("eval_wall_clock_s")

    def _seconds(self, key: str) -> float:
        # The run.json of a run in progress is written when it starts or stops, so it can lag its evaluations.
        if self.rows and not (self.finished and key in self.meta):
            return float(self.rows[-1][key])
        return float(self.meta.get(key, math.nan))


def collect_runs(results_dir: Path) -> list[Run]:
    """:return: All run folders (``<env>/<algo>/budget_<n>/seed_<k>``) with at least one evaluation."""
    runs = []
    for csv_path in sorted(Path(results_dir).glob(f"*/*/budget_*/seed_*/{CSV_FILE}")):
        folder = csv_path.parent
        rows = read_rows(csv_path)
        if not rows:
            continue
        env_id, algo = folder.parts[-4], folder.parts[-3]
        runs.append(
            Run(
                folder,
                env_id,
                algo,
                int(folder.parts[-2].removeprefix("budget_")),
                int(folder.parts[-1].removeprefix("seed_")),
                rows,
                read_meta(folder),
            )
        )
    runs.sort(key=lambda run: (_env_rank(run.env_id), run.budget, list(ALGO_NAMES).index(run.algo), run.seed))
    return runs


def _env_rank(env_id: str) -> int:
    return ENV_ORDER.index(env_id) if env_id in ENV_ORDER else len(ENV_ORDER)


def _groups(runs: Sequence[Run]) -> dict[tuple[str, int], dict[str, list[Run]]]:
    groups: dict[tuple[str, int], dict[str, list[Run]]] = {}
    for run in runs:
        groups.setdefault((run.env_id, run.budget), {}).setdefault(run.algo, []).append(run)
    return groups


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _mean_std(values: Sequence[float]) -> str:
    if not values:
        return "-"
    digits = 0 if abs(float(np.mean(values))) >= 10 else 2  # small returns (DDPG on MountainCar) need decimals
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}"


def table1(runs: Sequence[Run], fidelities: dict[tuple[str, int], Fidelity] | None = None) -> str:
    """
    :param fidelities: GoGePo's command and frontier fidelity per ``(env, budget)`` (:func:`fidelity`).
    :return: The Table 1 analog (markdown): finished seeds only; partial runs are counted separately.
    """
    fidelities = fidelities or {}
    present = {run.algo for run in runs}
    algos = [algo for algo in ALGO_NAMES if algo not in OPTIONAL_ALGOS or algo in present]
    paper_algos = [algo for algo in algos if algo in PAPER_TABLE[ENV_ORDER[0]]]
    header = ["env (budget)"]
    header += [f"{ALGO_NAMES[algo]} ({'here' if algo == 'authors' else 'ours'})" for algo in algos]
    header += ["GoGePo command fidelity", "GoGePo frontier fidelity"]
    header += [f"{ALGO_NAMES[algo]} (paper, 3M/100k)" for algo in paper_algos]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for (env_id, budget), by_algo in _groups(runs).items():
        cells = [f"{env_id} ({steps_label(budget)})"]
        for algo in algos:
            group = by_algo.get(algo, [])
            finished = [run for run in group if run.finished]
            partial = len(group) - len(finished)
            if not finished:
                cells.append(f"- ({partial} partial)" if partial else "-")
                continue
            text = f"{_mean_std([run.final for run in finished])} (n={len(finished)}"
            text += f", {_duration(float(np.mean([run.wall_clock for run in finished])))}/run"
            text += f", +{partial} partial)" if partial else ")"
            cells.append(text)
        command, frontier_ = fidelities.get((env_id, budget), Fidelity())
        cells += [_mean_std_n(command, 3), _mean_std_n(frontier_, 2)]
        for algo in paper_algos:
            paper = PAPER_TABLE.get(env_id, {}).get(algo)
            cells.append(f"{paper[0]:g} ± {paper[1]:g}" if paper else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _mean_std_n(values: Sequence[float], digits: int) -> str:
    if not values:
        return "-"
    spread = f" ± {np.std(values, ddof=1):.{digits}f}" if len(values) > 1 else ""
    return f"{np.mean(values):.{digits}f}{spread} (n={len(values)})"


def runs_table(runs: Sequence[Run]) -> str:
    """:return: Every run with its final return and wall-clock (markdown)."""
    lines = [
        "| env | budget | algorithm | seed | status | steps | final return (last 20 evals) | best eval | wall-clock "
        "| of which evaluation | device (torch threads) | machine load at end |",
        "|" + " --- |" * 12,
    ]
    for run in runs:
        status = "finished" if run.finished else "partial"
        best = max(row["mean_return"] for row in run.rows)
        load = run.meta.get("load_average_at_finish", ["-"])[0]
        # The authors' script records one device; runs from before benchmarks.run recorded devices ran on the CPU.
        devices = ", ".join(run.meta.get("devices") or [run.meta.get("device", "cpu")])
        lines.append(
            f"| {run.env_id} | {steps_label(run.budget)} | {ALGO_NAMES.get(run.algo, run.algo)} | {run.seed} | {status} "
            f"| {run.timesteps} | {run.final:.1f} | {best:.1f} | {_duration(run.wall_clock)} "
            f"| {_duration(run.eval_wall_clock)} | {devices} ({run.meta.get('threads', 1)}) | {load} |"
        )
    return "\n".join(lines) + "\n"


def bootstrap_means(values: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """
    :param values: ``(n_seeds, ...)``.
    :return: Means over ``n_resamples`` resamplings of the seeds (with replacement), ``(n_resamples, ...)``.
    """
    n = values.shape[0]
    return values[rng.integers(0, n, size=(n_resamples, n))].mean(axis=1)


def bootstrap_ci(values: np.ndarray, n_resamples: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """
    95 % bootstrap confidence interval of the mean over seeds.

    :param values: ``(n_seeds, n_points)``.
    :return: Lower and upper bounds ``(n_points,)``.
    """
    means = bootstrap_means(values, n_resamples, np.random.default_rng(seed))
    return np.percentile(means, 2.5, axis=0), np.percentile(means, 97.5, axis=0)


def aligned_curves(curves: Sequence[Sequence[dict[str, float]]]) -> tuple[np.ndarray, np.ndarray]:
    """
    :param curves: Evaluation rows of several runs.
    :return: The timesteps every run evaluated at, ``(n_points,)``, and the runs' mean returns there,
        ``(n_runs, n_points)``: runs evaluated on other grids are compared where they meet, never by row position.
    """
    common = set.intersection(*({row["timesteps"] for row in rows} for rows in curves))
    steps = np.array(sorted(common))
    values = np.array([[row["mean_return"] for row in rows if row["timesteps"] in common] for rows in curves])
    return steps, values


def learning_curves(runs: Sequence[Run], path: Path) -> None:
    """Figure 2: one panel per (env, budget), mean over seeds and 95 % bootstrap CI per algorithm."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = _groups(runs)
    n_cols = min(len(groups), 2)
    n_rows = math.ceil(len(groups) / n_cols)
    figure, axes_grid = plt.subplots(n_rows, n_cols, figsize=(6 * n_cols, 4 * n_rows), squeeze=False)
    for axes, ((env_id, budget), by_algo) in zip(axes_grid.flat, groups.items()):
        for algo, runs_of_algo in by_algo.items():
            # Finished seeds only when there are some (partial ones would cut the curve short), else the partial ones.
            finished = [run for run in runs_of_algo if run.finished]
            group = finished or runs_of_algo
            steps, values = aligned_curves([run.rows for run in group])
            mean = values.mean(axis=0)
            label = f"{ALGO_NAMES.get(algo, algo)} ({len(group)} " + ("seeds)" if finished else "partial seeds)")
            axes.plot(steps, mean, color=ALGO_COLORS.get(algo), label=label)
            if len(group) > 1:
                low, high = bootstrap_ci(values)
                axes.fill_between(steps, low, high, color=ALGO_COLORS.get(algo), alpha=0.2)
            paper = PAPER_TABLE.get(env_id, {}).get(algo)
            if paper and budget == ENVS.get(env_id, ENVS["Swimmer-v3"]).paper_budget:
                axes.axhline(paper[0], color=ALGO_COLORS.get(algo), linestyle=":", linewidth=1)
        axes.set_title(f"{env_id} ({steps_label(budget)} steps)")
        axes.set_xlabel("environment steps")
        axes.set_ylabel("evaluation return")
        axes.legend(loc="best", fontsize=8)
        axes.grid(alpha=0.3)
    for axes in list(axes_grid.flat)[len(groups) :]:
        axes.set_visible(False)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


# ---------------------------------------------------------------------------------------------------- GoGePo figures


def paper_commands(env_id: str, n_commands: int = 20) -> np.ndarray:
    """:return: ``n_commands`` commands evenly spaced over the paper's return range of the env (Figure 4)."""
    low, high = ENVS[env_id].command_range if env_id in ENVS else (0.0, 1000.0)
    return np.linspace(low, high, n_commands)


def final_model_path(run_dir: Path) -> Path | None:
    """:return: The model at the end of a run's training (its last snapshot, else its checkpoint), if on disk."""
    for candidate in (run_dir / snapshot_file(100), run_dir / "checkpoint" / "model.zip"):
        if candidate.is_file():
            return candidate
    return None


def sweep_commands(model_path: Path, env_id: str, commands: np.ndarray, n_episodes: int, seed: int) -> list[dict[str, float]]:
    """
    Run the policy a saved GoGePo model generates for each command, ``n_episodes`` episodes each (1 torch thread).

    :return: Rows ``command, mean_return, std_return, mean_training_return, mean_length`` (true returns; the
        training return adds ``alive_bonus_offset`` per step, the units of the command).
    """
    import torch
    from stable_baselines3.common.env_util import make_vec_env

    from sb3_gogepo import GoGePo
    from sb3_gogepo.evaluation import evaluate_commands

    torch.set_num_threads(1)
    env = make_vec_env(env_id, n_envs=1, seed=seed)
    model = GoGePo.load(model_path, env=env, device="cpu")
    all_returns, all_lengths = evaluate_commands(model.policy, env, commands, n_episodes)
    rows = [
        sweep_row(float(command), returns, lengths, model.training_return_offset)
        for command, returns, lengths in zip(commands, all_returns, all_lengths)
    ]
    env.close()
    return rows


def sweep_row(command: float, returns: np.ndarray, lengths: np.ndarray, offset: float) -> dict[str, float]:
    """
    :param returns: True returns of the episodes of the policy generated for ``command``.
    :param lengths: Their lengths.
    :param offset: What the training return adds to the true return per step.
    :return: One row of a command sweep: ``command, mean_return, std_return, mean_training_return,
        std_training_return, mean_length``.
    """
    training = returns + offset * lengths
    return {
        "command": command,
        "mean_return": float(returns.mean()),
        "std_return": float(returns.std()),
        "mean_training_return": float(training.mean()),
        "std_training_return": float(training.std()),
        "mean_length": float(lengths.mean()),
    }


def command_sweep(run: Run, n_commands: int = 20, n_episodes: int = 10, compute: bool = True) -> list[dict[str, float]]:
    """
    Figure 4 data of a finished GoGePo run, cached in ``<run>/command_sweep.csv`` (which ``benchmarks.authors_fidelity``
    writes for the authors' script's runs).

    :return: Rows of :func:`sweep_commands` (true returns; the training return adds the training return offset
        per step, the units of the command).
    """
    cache = run.path / SWEEP_FILE
    rows = read_rows(cache) if cache.is_file() else []
    complete = len(rows) == n_commands  # else cut short, or for another number of commands
    if complete and "std_training_return" in rows[0]:
        return rows
    model_path = final_model_path(run.path)
    if not compute or model_path is None:
        return _with_training_spread(rows) if complete else []  # an older cache, whose model is gone
    rows = sweep_commands(model_path, run.env_id, paper_commands(run.env_id, n_commands), n_episodes, run.seed + 2_000_000)
    write_sweep(cache, rows)
    return rows


def _with_training_spread(rows: list[dict[str, float]]) -> list[dict[str, float]]:
    """
    Older sweep caches lack ``std_training_return``: where the training return is the true return (no offset), it is
    ``std_return``; otherwise it is unknown (NaN).
    """
    same = all(row["mean_training_return"] == row["mean_return"] for row in rows)
    return [{**row, "std_training_return": row["std_return"] if same else math.nan} for row in rows]


def frontier(run: Run, n_episodes: int = 10, compute: bool = True) -> dict[str, float] | None:
    """
    The generator at the frontier of a finished GoGePo run, cached in ``<run>/frontier.csv`` (which
    ``benchmarks.authors_fidelity`` writes for the authors' script's runs).

    :return: ``best_training_return`` (the best training return seen) and ``mean_training_return``, that of the policy
        generated for it over ``n_episodes`` episodes; None without cache or model.
    """
    cache = run.path / FRONTIER_FILE
    rows = read_rows(cache) if cache.is_file() else []
    if rows:
        return rows[0]
    model_path = final_model_path(run.path)
    if not compute or model_path is None:
        return None
    from sb3_gogepo import GoGePo

    best = float(GoGePo.load(model_path, device="cpu").policy.best_return)
    row = sweep_commands(model_path, run.env_id, np.array([best]), n_episodes, run.seed + 3_000_000)[0]
    result = {"best_training_return": best, "mean_training_return": row["mean_training_return"]}
    write_sweep(cache, [result])
    return result


@dataclass
class Fidelity:
    """Per seed: command fidelity (mean ``|achieved - commanded| / range`` over the paper's commands; 0 is exact)
    and frontier fidelity (training return of ``G(best)`` over the best training return; 1 is exact)."""

    command: list[float] = field(default_factory=list)
    frontier: list[float] = field(default_factory=list)

    def __iter__(self) -> Any:
        return iter((self.command, self.frontier))


def fidelity(runs: Sequence[Run], n_episodes: int = 10, compute: bool = True, sweep_seeds: int | None = None) -> Fidelity:
    """
    :param runs: Finished runs of one environment and budget: GoGePo's, or the authors' script's with the caches of
        ``benchmarks.authors_fidelity`` (nothing is computed for those).
    :param sweep_seeds: Sweep only the first ones (None: all); seeds with a cached sweep count in any case.
    :return: Their command fidelity (from :func:`command_sweep`) and frontier fidelity (from :func:`frontier`).
    """
    result = Fidelity()
    for index, run in enumerate(runs):
        low, high = ENVS[run.env_id].command_range if run.env_id in ENVS else (0.0, 1000.0)
        may_compute = compute and (sweep_seeds is None or index < sweep_seeds)
        rows = command_sweep(run, n_episodes=n_episodes, compute=may_compute)
        if rows:
            errors = [abs(row["mean_training_return"] - row["command"]) for row in rows]
            result.command.append(float(np.mean(errors)) / (high - low))
        point = frontier(run, n_episodes, may_compute)
        if point:
            result.frontier.append(point["mean_training_return"] / point["best_training_return"])
    return result


def write_sweep(path: Path, rows: Sequence[dict[str, float]]) -> None:
    """Cache sweep rows (:func:`sweep_commands`'s columns, and any added) as a CSV file, atomically."""
    write_sweep_csv(os.fspath(path), list(rows[0]), list(rows))


def policy_map(run: Run, n_commands: int = 20, compute: bool = True) -> dict[str, np.ndarray] | None:
    """
    Figure 3 data of a finished GoGePo run, cached in ``<run>/policy_map.npz``: 2-D PCA coordinates of the probing
    actions (final evaluator's probing states) of the final buffer's policies and of the policies generated for the
    paper's commands by the generator at each snapshot.
    """
    cache = run.path / MAP_FILE
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    model_path = final_model_path(run.path)
    buffer_path = run.path / "checkpoint" / "policy_buffer.npz"
    if not compute or model_path is None or not buffer_path.is_file():
        return None
    import torch

    from sb3_gogepo import GoGePo

    torch.set_num_threads(1)
    final = GoGePo.load(model_path, device="cpu")
    final.load_policy_buffer(buffer_path)
    assert final.policy_buffer is not None
    params, returns = final.policy_buffer.ordered()
    evaluator = final.policy.evaluator
    with torch.no_grad():
        probes = torch.cat(
            [evaluator.probing_actions(params[i : i + 256].float()).flatten(1) for i in range(0, len(params), 256)]
        ).numpy()
    mean = probes.mean(axis=0)
    _, _, components = np.linalg.svd(probes - mean, full_matrices=False)
    axes = components[:2].T
    commands = paper_commands(run.env_id, n_commands)
    stages, stage_points = [], []
    for snapshot in sorted((run.path / "snapshots").glob("model_*.zip"), key=lambda p: int(p.stem.split("_")[1])):
        model = GoGePo.load(snapshot, device="cpu")
        with torch.no_grad():
            generated = model.policy.generate(torch.as_tensor(commands, dtype=torch.float32))
            stage_probes = evaluator.probing_actions(generated).flatten(1).numpy()
        stages.append(int(snapshot.stem.split("_")[1]))
        stage_points.append((stage_probes - mean) @ axes)
    data = {
        "buffer_xy": ((probes - mean) @ axes).astype(np.float32),
        "buffer_returns": returns.double().numpy(),
        "commands": commands,
        "stages": np.array(stages),
        "stage_xy": np.array(stage_points, dtype=np.float32).reshape(len(stages), len(commands), 2),
    }
    with atomic_write(cache) as file:
        np.savez_compressed(file, **data)
    return data


def plot_command_sweeps(sweeps: dict[str, dict[int, list[dict[str, float]]]], path: Path) -> None:
    """Figure 4: achieved vs commanded return, one panel per env, one line per seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes_row = plt.subplots(1, len(sweeps), figsize=(4.5 * len(sweeps), 4), squeeze=False)
    for axes, (label, by_seed) in zip(axes_row[0], sweeps.items()):
        low, high = math.inf, -math.inf
        for seed, rows in by_seed.items():
            commands = np.array([row["command"] for row in rows])
            achieved = np.array([row["mean_training_return"] for row in rows])
            errors = np.array([row["std_training_return"] for row in rows])
            axes.errorbar(commands, achieved, yerr=errors, fmt="o-", markersize=3, capsize=2, label=f"seed {seed}")
            low, high = min(low, commands.min()), max(high, commands.max())
        axes.plot([low, high], [low, high], "k--", linewidth=1, label="achieved = command")
        axes.set_title(label)
        axes.set_xlabel("commanded return")
        axes.set_ylabel("achieved return" + (" (survival bonus removed)" if "Hopper" in label else ""))
        axes.legend(fontsize=7)
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def plot_policy_maps(maps: dict[str, dict[int, dict[str, np.ndarray]]], path: Path) -> None:
    """Figure 3: one row per env and budget, one panel per seed: buffer policies coloured by return, generated policies
    per training stage on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_columns = max(len(by_seed) for by_seed in maps.values())
    figure, grid = plt.subplots(len(maps), n_columns, figsize=(5 * n_columns, 4.2 * len(maps)), squeeze=False)
    markers = ["s", "^", "D", "*", "P", "X"]
    for row, (label, by_seed) in zip(grid, maps.items()):
        for axes in row[len(by_seed) :]:
            axes.axis("off")
        for axes, (seed, data) in zip(row, by_seed.items()):
            scatter = axes.scatter(*data["buffer_xy"].T, c=data["buffer_returns"], s=4, cmap="viridis", alpha=0.6)
            figure.colorbar(scatter, ax=axes, label="training return of buffer policy")
            for index, stage in enumerate(data["stages"]):
                xy = data["stage_xy"][index]
                alpha = 0.3 + 0.7 * (index + 1) / len(data["stages"])
                axes.plot(*xy.T, "-", color="red", alpha=alpha, linewidth=0.8)
                axes.scatter(
                    *xy.T,
                    marker=markers[index % len(markers)],
                    s=18,
                    color="red",
                    edgecolor="black",
                    linewidth=0.3,
                    alpha=alpha,
                    label=f"G(c) at {stage} %",
                )
            axes.set_title(f"{label}, seed {seed}")
            axes.set_xlabel("PC 1 of probing actions")
            axes.set_ylabel("PC 2")
            axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def _map_summary(maps: dict[str, dict[int, dict[str, np.ndarray]]]) -> str:
    lines = [
        "| env | seed | policies in the final buffer | median training return | 90th percentile | best |",
        "|" + " --- |" * 6,
    ]
    for label, by_seed in maps.items():
        for seed, data in by_seed.items():
            returns = data["buffer_returns"]
            median, p90 = np.percentile(returns, [50, 90])
            lines.append(f"| {label} | {seed} | {len(returns)} | {median:.1f} | {p90:.1f} | {returns.max():.1f} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------- the page


def write_report(
    results_dir: Path = RESULTS,
    docs_dir: Path = DOCS_DIR,
    compute: bool = True,
    sweep_seeds: int = 3,
    n_episodes: int = 10,
) -> str:
    """
    Write ``<docs_dir>/index.md`` with its figures and ``<results_dir>/table1.md``.

    :param compute: Compute missing Figure 3/4 data from the runs' snapshots (else use caches only).
    :param sweep_seeds: Finished GoGePo seeds per env and budget swept for Figure 4 (the first ones); the others are
        shown where their sweep is cached.
    :param n_episodes: Episodes per command in Figure 4.
    :return: The page's markdown.
    """
    runs = collect_runs(results_dir)
    docs_dir.mkdir(parents=True, exist_ok=True)
    fidelities = {
        key: fidelity([run for run in by_algo.get("gogepo", []) if run.finished], n_episodes, compute, sweep_seeds)
        for key, by_algo in _groups(runs).items()
    }
    table = table1(runs, fidelities)
    notes_path = Path(results_dir) / NOTES_FILE
    notes = notes_path.read_text().strip() + "\n" if notes_path.is_file() else ""
    (Path(results_dir) / "table1.md").write_text(
        "# Table 1 analog (generated by benchmarks/report.py)\n\n"
        "Final return = mean of the last 20 evaluations; mean ± sample std (ddof 1) over finished seeds. "
        + COLUMNS_NOTE
        + " "
        + FIDELITY_NOTE
        + "\n\n"
        + table
        + (f"\n## Where it falls short (`{NOTES_FILE}`)\n\n{notes}" if notes else "")
    )
    parts = [
        "# Benchmark results\n",
        "GoGePo against the paper's baselines ARS (sb3-contrib) and DDPG (SB3, with Spinning Up's random start "
        "steps), all built from this project's `hyperparams/*.yml` by `python -m benchmarks.run`, and rendered by "
        "`python -m benchmarks.report`. Protocol of the paper: every 10k steps (Swimmer, Hopper) or 1k steps "
        "(InvertedPendulum, MountainCarContinuous), 10 episodes of the deterministic policy (GoGePo: the policy "
        "generated for the best training return, without noise), true environment return. Final return = mean of "
        "the last 20 evaluations. Runs used one CPU thread unless the table of every run says otherwise.\n",
        _machines(runs),
        "## Table 1 (final return)\n",
        "Ours: mean ± sample std (ddof 1) over finished seeds (n), mean wall-clock per run. The paper's columns are its "
        "Table 1 (20 seeds, 3M steps for Swimmer and Hopper, 100k for the others); rows with a smaller budget are not "
        "directly comparable to them. " + COLUMNS_NOTE + "\n",
        FIDELITY_NOTE + "\n",
        table,
        *([f"### Where it falls short\n\n{notes}"] if notes else []),
        "## Every run\n",
        "Wall-clock includes the evaluations (their share in the next column); a partial run's values are those "
        "reached so far, and it continues from its checkpoint, or from step 0 where its machine was replaced (its "
        "`run.json` counts the restart). Runs shared a 2-core machine; the last column is its 1-minute load "
        "average when the run finished (above 2: runs competed for the cores).\n",
        runs_table(runs),
    ]
    if runs:
        learning_curves(runs, docs_dir / "learning_curves.png")
        parts += [
            "## Learning curves (Figure 2)\n",
            "Mean evaluation return over seeds with 95 % bootstrap confidence intervals (1000 resamples of the "
            "seeds); dotted lines: the paper's final returns (for runs at the paper's budget).\n",
            "```{image} learning_curves.png\n:alt: learning curves\n```\n",
        ]
    sweeps: dict[str, dict[int, list[dict[str, float]]]] = {}
    maps: dict[str, dict[int, dict[str, np.ndarray]]] = {}
    for (env_id, budget), by_algo in _groups(runs).items():
        for algo, suffix in GENERATOR_ALGOS.items():
            finished = [run for run in by_algo.get(algo, []) if run.finished]
            label = f"{env_id} ({steps_label(budget)}){suffix}"
            for index, run in enumerate(finished):  # the first sweep_seeds computed; other seeds with a cache shown too
                may_compute = compute and index < sweep_seeds
                rows = command_sweep(run, n_episodes=n_episodes, compute=may_compute)
                if rows:
                    sweeps.setdefault(label, {})[run.seed] = rows
                data = policy_map(run, compute=may_compute)
                if data is not None:
                    maps.setdefault(label, {})[run.seed] = data
    if sweeps:
        plot_command_sweeps(sweeps, docs_dir / "command_sweep.png")
        parts += [
            "## Achieved vs commanded return (Figure 4)\n",
            f"Final generators; 20 commands evenly spaced over the paper's return range, {n_episodes} episodes each "
            "(error bars: std over episodes). Achieved returns are in the units of the command, the training return: "
            "for Hopper without the survival bonus (the units the generator is trained in), as is the table's best "
            "achieved return.\n",
            "```{image} command_sweep.png\n:alt: command sweep\n```\n",
            _sweep_summary(sweeps),
        ]
    if maps:
        plot_policy_maps(maps, docs_dir / "policy_map.png")
        parts += [
            "## Policy map (Figure 3)\n",
            "PCA (2 components) of the probing actions of the policies in the final buffer (final evaluator's "
            "probing states), coloured by their training return; red: the policies generated for the 20 commands of "
            "Figure 4 by the generator at 25/50/75/100 % of training (darker = later). One row per env and budget, "
            "one panel per seed whose final model or cached map is at hand. The table gives the training returns of "
            "the final buffer's policies, the data the evaluator and the generator learn from.\n",
            "```{image} policy_map.png\n:alt: policy map\n```\n",
            _map_summary(maps),
        ]
    diagnostics = [(title, Path(results_dir) / name) for name, title in DIAGNOSTICS.items()]
    diagnostics = [(title, path) for title, path in diagnostics if path.is_file()]
    if diagnostics:
        parts.append(
            "## Diagnostics\n\nWhere a method falls short of the paper, these scripts look for the reason; each table "
            "is the file its script wrote into `benchmarks/results/` (see `benchmarks/results/README.md`).\n"
        )
        for title, path in diagnostics:
            parts += [f"### {title}\n", nested_markdown(path.read_text())]
    page = "\n".join(parts)
    (docs_dir / "index.md").write_text(page)
    return page


def nested_markdown(text: str) -> str:
    """
    :return: A script's markdown under a level-3 section: a file that starts with a title loses it and has its
        headings moved two levels down; any other file is kept as it is.
    """
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        lines = ["##" + line if line.startswith("#") else line for line in lines[1:]]
    return "\n".join(lines).strip("\n") + "\n"


def _machines(runs: Sequence[Run]) -> str:
    cpus = sorted({run.meta.get("versions", {}).get("cpu", "?") for run in runs})
    torch_versions = sorted({run.meta.get("versions", {}).get("torch", "?") for run in runs})
    if not runs:
        return "No runs yet.\n"
    return f"Machines: {', '.join(cpus)}; torch {', '.join(torch_versions)}.\n"


def _sweep_summary(sweeps: dict[str, dict[int, list[dict[str, float]]]]) -> str:
    lines = [
        "| env | seed | corr(command, achieved) | mean abs(achieved - command) | best achieved (training return) |",
        "|" + " --- |" * 5,
    ]
    for label, by_seed in sweeps.items():
        for seed, rows in by_seed.items():
            commands = np.array([row["command"] for row in rows])
            achieved = np.array([row["mean_training_return"] for row in rows])
            corr = float(np.corrcoef(commands, achieved)[0, 1]) if achieved.std() > 0 else float("nan")
            lines.append(
                f"| {label} | {seed} | {corr:.2f} | {np.abs(achieved - commands).mean():.1f} | {achieved.max():.1f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--results-dir", default=os.fspath(RESULTS))
    parser.add_argument("--docs-dir", default=os.fspath(DOCS_DIR))
    parser.add_argument("--no-compute", action="store_true", help="use cached Figure 3/4 data only")
    parser.add_argument("--sweep-seeds", type=int, default=3, help="GoGePo seeds per env swept for Figure 4")
    parser.add_argument("--n-episodes", type=int, default=10, help="episodes per command in Figure 4")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    page = write_report(Path(args.results_dir), Path(args.docs_dir), not args.no_compute, args.sweep_seeds, args.n_episodes)
    start = page.index("## Table 1")
    print(page[start : page.index("## Learning curves") if "## Learning curves" in page else None])


if __name__ == "__main__":
    main()
