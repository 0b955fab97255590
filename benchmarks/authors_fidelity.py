"""
Command and frontier fidelity of the authors' script's final generators, in the caches that ``benchmarks.report``
and ``benchmarks.command_input`` read for GoGePo's runs.

    python -m benchmarks.authors_fidelity RUN_FOLDER... --authors-code PATH [--n-episodes 10]

For each finished run of :mod:`benchmarks.authors_script` with its final snapshot (``snapshots/authors_state_100.pt``)
it writes, as :func:`benchmarks.report.command_sweep` and :func:`benchmarks.report.frontier` do from a GoGePo model:

- ``command_sweep.csv``: the policies their generator makes for the paper's 20 commands, ``--n-episodes`` each;
- ``frontier.csv``: the policy it makes for their best training return (the command of their evaluations).

Policies without noise, acting as their script acts (:class:`benchmarks.authors_generator.AuthorsGenerator`); true
returns, and training returns as their script counts them (without the survival bonus, unless its config keeps it).
The environment is seeded at its first reset only, with the seed offsets of GoGePo's sweeps (the run's seed plus
2,000,000 for the sweep, 3,000,000 for the frontier). A run with both caches is skipped, and so is one that is
unfinished or lacks its final snapshot.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch as th

from benchmarks import authors_checkpoint
from benchmarks.authors_generator import AuthorsGenerator
from benchmarks.common import training_return_offset
from benchmarks.report import FRONTIER_FILE, SWEEP_FILE, paper_commands, sweep_row, write_sweep
from benchmarks.run import read_meta


def sweep(
    generator: AuthorsGenerator, env_id: str, commands: Sequence[float], n_episodes: int, seed: int, offset: float
) -> list[dict[str, float]]:
    """
    :param offset: What the run's training return adds to the true return per step.
    :return: Per command, a row of :func:`benchmarks.report.sweep_row` for the noise-free policy their generator
        makes; the environment is seeded at its first reset only.
    """
    env = gym.make(env_id)
    rows, first = [], True
    for command in commands:
        params = generator.params_for(float(command))
        returns, lengths = np.zeros(n_episodes), np.zeros(n_episodes)
        for index in range(n_episodes):
            observation, _ = env.reset(seed=seed) if first else env.reset()
            first, done = False, False
            while not done:
                observation, reward, terminated, truncated, _ = env.step(generator.act(params, observation))
                returns[index] += float(reward)
                lengths[index] += 1
                done = terminated or truncated
        rows.append(sweep_row(float(command), returns, lengths, offset))
    env.close()
    return rows


def fidelity_caches(run_dir: Path, authors_code: Path, n_episodes: int = 10) -> bool:
    """Write the run's ``command_sweep.csv`` and ``frontier.csv`` where missing; :return: whether any was written."""
    meta = read_meta(run_dir)
    if meta.get("algo") != "authors":
        raise ValueError(f"{run_dir} is not a run of the authors' script (run.json: algo {meta.get('algo')!r})")
    snapshot = run_dir / authors_checkpoint.snapshot_file(100)
    missing = [name for name in (SWEEP_FILE, FRONTIER_FILE) if not (run_dir / name).is_file()]
    if not missing or not meta.get("finished") or not snapshot.is_file():
        return False
    generator = AuthorsGenerator.load(snapshot, authors_code, meta)
    env_id, seed, offset = str(meta["env_id"]), int(meta["seed"]), training_return_offset(meta)
    if SWEEP_FILE in missing:
        commands = paper_commands(env_id).tolist()
        write_sweep(run_dir / SWEEP_FILE, sweep(generator, env_id, commands, n_episodes, seed + 2_000_000, offset))
    if FRONTIER_FILE in missing:
        row = sweep(generator, env_id, [generator.best_return], n_episodes, seed + 3_000_000, offset)[0]
        write_sweep(
            run_dir / FRONTIER_FILE,
            [{"best_training_return": generator.best_return, "mean_training_return": row["mean_training_return"]}],
        )
    return True


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.authors_fidelity", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", nargs="+", type=Path, help="run folders of benchmarks.authors_script")
    parser.add_argument("--authors-code", type=Path, required=True, help="checkout of IDSIA/GoGePo")
    parser.add_argument("--n-episodes", type=int, default=10, help="episodes per command")
    args = parser.parse_args(argv)
    if args.n_episodes < 1:
        parser.error(f"--n-episodes must be at least 1, got {args.n_episodes}")
    th.set_num_threads(1)
    for run_dir in args.run_dirs:
        written = fidelity_caches(run_dir, args.authors_code, args.n_episodes)
        print(f"{run_dir}: {'written' if written else 'skipped (cached, unfinished or without its final snapshot)'}")


if __name__ == "__main__":
    main()
