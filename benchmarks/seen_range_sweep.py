"""
Command fidelity inside the returns a GoGePo run has seen: does the final generator follow commands it was trained on?

    python -m benchmarks.seen_range_sweep \\
        benchmarks/results/Hopper-v3/gogepo_symlog/budget_300000/seed_0 \\
        benchmarks/results/Hopper-v3/gogepo_symlog/budget_300000/seed_1 \\
        --output benchmarks/results/hopper_seen_range.md

The paper's Figure 4 sweeps a fixed return range ([-100, 3000] on Hopper); a run that has never seen a return above
150 cannot follow most of it, so that sweep does not tell a generator that fails to fit its data from a run whose
best return grows slowly. This script sweeps ``--n-commands`` commands evenly over the training returns the run
actually stored (lowest to highest, read from its ``Monitor`` file, survival bonus removed), plus ``--beyond``
commands spaced the same way above the highest, ``--n-episodes`` episodes each with the final generator. It prints
the achieved training return per command (the command's units), and per run the correlation of command and achieved
return inside the seen range, the mean absolute error there, and the best achieved return.

Sweeps are cached in ``<run>/seen_range_sweep.csv`` (committed), so the table re-renders without the model.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.report import final_model_path, sweep_commands, write_sweep
from benchmarks.run import read_meta, read_rows
from benchmarks.training_returns import describe, training_returns

CACHE_FILE = "seen_range_sweep.csv"


def seen_range_commands(returns: np.ndarray, n_commands: int, beyond: int) -> np.ndarray:
    """:return: ``n_commands`` commands from the lowest to the highest return, then ``beyond`` more at the same spacing."""
    low, high = float(returns.min()), float(returns.max())
    step = (high - low) / max(n_commands - 1, 1)
    return np.concatenate([np.linspace(low, high, n_commands), high + step * np.arange(1, beyond + 1)])


def sweep(run_dir: Path, n_commands: int, beyond: int, n_episodes: int) -> list[dict[str, float]]:
    """:return: The cached or newly computed sweep rows of a run (see :func:`benchmarks.report.sweep_commands`)."""
    cache = run_dir / CACHE_FILE
    if cache.is_file():
        return read_rows(cache)
    meta = read_meta(run_dir)
    model_path = final_model_path(run_dir)
    if model_path is None:
        raise FileNotFoundError(f"no final model under {run_dir} (snapshots/model_100.zip or checkpoint/model.zip)")
    _, returns = training_returns(run_dir)
    commands = seen_range_commands(returns, n_commands, beyond)
    rows = sweep_commands(model_path, str(meta["env_id"]), commands, n_episodes, int(meta["seed"]) + 3_000_000)
    for index, row in enumerate(rows):
        row["seen"] = float(index < n_commands)
    write_sweep(cache, rows)
    return rows


def summary(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """:return: Correlation and mean absolute error of command and achieved training return inside the seen range."""
    seen = [row for row in rows if row["seen"]]
    commands = np.array([row["command"] for row in seen])
    achieved = np.array([row["mean_training_return"] for row in seen])
    return {
        "correlation": float(np.corrcoef(commands, achieved)[0, 1]),
        "mean_abs_error": float(np.abs(achieved - commands).mean()),
        "best_achieved": float(max(row["mean_training_return"] for row in rows)),
        "highest_seen": float(commands.max()),
    }


def render(run_dirs: Sequence[Path], sweeps: Sequence[Sequence[dict[str, float]]], n_episodes: int) -> str:
    lines = [
        "Final generators swept over the training returns their run stored (survival bonus removed, the units of the "
        f"commands), {n_episodes} episodes per command; written by `python -m benchmarks.seen_range_sweep`. Rows "
        "below the line ask for more than the run ever achieved.\n",
    ]
    for index, (run_dir, rows) in enumerate(zip(run_dirs, sweeps)):
        stats = summary(rows)
        lines += [
            f"#### run {index}: {describe(run_dir)}\n",
            f"Inside the seen range: correlation {stats['correlation']:.2f}, "
            f"mean absolute error {stats['mean_abs_error']:.1f}; "
            f"highest stored training return {stats['highest_seen']:.1f}, best achieved by a command "
            f"{stats['best_achieved']:.1f}.\n",
            "| command | achieved training return | true return (mean ± std) | episode length |",
            "| --- | --- | --- | --- |",
        ]
        for position, row in enumerate(rows):
            if position > 0 and rows[position - 1]["seen"] and not row["seen"]:
                lines.append("| *above the seen range* | | | |")
            lines.append(
                f"| {row['command']:.1f} | {row['mean_training_return']:.1f} | {row['mean_return']:.1f} ± "
                f"{row['std_return']:.1f} | {row['mean_length']:.0f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seen_range_sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", nargs="+", type=Path)
    parser.add_argument("--n-commands", type=int, default=20, help="commands inside the seen range")
    parser.add_argument("--beyond", type=int, default=5, help="commands above the highest seen return")
    parser.add_argument("--n-episodes", type=int, default=10)
    parser.add_argument("--output", type=Path, default=None, help="also write the table to this file")
    args = parser.parse_args(argv)
    sweeps = [sweep(run_dir, args.n_commands, args.beyond, args.n_episodes) for run_dir in args.run_dirs]
    text = render(args.run_dirs, sweeps, args.n_episodes)
    if args.output is not None:
        args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
