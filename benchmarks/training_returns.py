"""
GoGePo's training returns per block of episodes, for runs compared side by side (e.g. an ablation).

    python -m benchmarks.training_returns \\
        benchmarks/results/Hopper-v3/gogepo_symlog/budget_300000/seed_0 \\
        benchmarks/results/hopper_command_scale/Hopper-v3/gogepo/budget_300000/seed_0 \\
        --output benchmarks/results/hopper_command_scale.md

Reads each run's ``Monitor`` file (``work/**/*.monitor.csv``), or for a run of the authors' script its
``training_episodes.csv``, and its ``run.json``. The training return is the return GoGePo stores and commands: the
true return plus ``alive_bonus_offset`` per step (Hopper: minus the survival bonus of 1 per step, which the authors'
script removes as well). For every block of ``--block`` episodes it prints the mean episode length, the mean and the
highest training return in the block, and the best training return so far (the command the evaluation policy is
generated for). Runs are compared at equal numbers of episodes, i.e. of update blocks.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.authors_script import EPISODES_FILE
from benchmarks.common import monitor_files, read_monitor, training_return_offset
from benchmarks.run import read_meta


def training_returns(run_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """
    :return: Lengths and training returns of the run's episodes, in order. A resumed run has one ``Monitor`` file per
        attempt; they are joined in the order the attempts started (the runner checkpoints when it is stopped, so
        an attempt's episodes end where the next one resumes; after a hard kill the episodes since the last
        checkpoint appear twice). A run of the authors' script records its episodes in one file, in order.
    """
    if (run_dir / EPISODES_FILE).is_file():  # the authors' script: its episodes in order, resumes included
        with open(run_dir / EPISODES_FILE, newline="") as file:
            records = list(csv.DictReader(file))
        lengths = np.array([int(row["length"]) for row in records])
        returns = np.array([float(row["return"]) for row in records])
    else:
        lengths, returns = _monitor_episodes(run_dir)
    return lengths, returns + training_return_offset(read_meta(run_dir)) * lengths


def _monitor_episodes(run_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    files = monitor_files(run_dir)
    if not files:
        raise FileNotFoundError(f"no Monitor file under {run_dir / 'work'} and no {EPISODES_FILE} in {run_dir}")
    attempts = []
    for path in files:
        header, rows = read_monitor(path)
        attempts.append((float(header["t_start"]), rows))
    rows = [row for _, attempt in sorted(attempts, key=lambda item: item[0]) for row in attempt]
    return np.array([int(row["l"]) for row in rows]), np.array([float(row["r"]) for row in rows])


def describe(run_dir: Path) -> str:
    meta = read_meta(run_dir)
    overrides = ", ".join(f"{key}={value}" for key, value in meta.get("hyperparams_overrides", {}).items()) or "YAML"
    if meta.get("algo") == "authors":
        overrides = "the authors' script"
    state = "finished" if meta.get("finished") else "stopped"
    return f"`{run_dir}` ({overrides}; {state})"


def compare(run_dirs: Sequence[Path], block: int) -> str:
    data = [training_returns(run_dir) for run_dir in run_dirs]
    n_blocks = min(len(lengths) for lengths, _ in data) // block
    lines = [
        f"Training returns (true return plus `alive_bonus_offset` per step) per block of {block} episodes, written by "
        "`python -m benchmarks.training_returns`; compared up to the shorter run. Cells: mean episode length / mean "
        "training return / highest in the block / best so far.\n",
        *[
            f"- run {index}: {describe(run_dir)}, {len(data[index][0])} episodes, {int(data[index][0].sum())} steps"
            for index, run_dir in enumerate(run_dirs)
        ],
        "",
        "| episodes | " + " | ".join(f"run {index}" for index in range(len(run_dirs))) + " |",
        "|" + " --- |" * (len(run_dirs) + 1),
    ]
    for index in range(n_blocks):
        start, stop = index * block, (index + 1) * block
        cells = [
            f"{lengths[start:stop].mean():.0f} / {returns[start:stop].mean():.0f} / {returns[start:stop].max():.0f} / "
            f"{returns[:stop].max():.0f}"
            for lengths, returns in data
        ]
        lines.append(f"| {start}-{stop - 1} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.training_returns", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", nargs="+", type=Path)
    parser.add_argument("--block", type=int, default=150, help="episodes per row")
    parser.add_argument("--output", type=Path, default=None, help="also write the table to this file")
    args = parser.parse_args(argv)
    text = compare(args.run_dirs, args.block)
    if args.output is not None:
        args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
