"""
Why DDPG fails on some InvertedPendulum seeds: is its actor stuck at the action bound?

    python -m benchmarks.ddpg_saturation

For every finished DDPG run of the env (the Table 1 runs in ``benchmarks/results/`` and the older runs kept under
``benchmarks/results/ddpg_scaled_noise/``), this loads the run's final checkpoint (``checkpoint/``, kept locally,
not committed) and reports:

- the share of the replay buffer's last 10 000 states on which the deterministic actor's action is saturated
  (``|tanh| > 0.99``, i.e. within 1 % of a bound) and the median absolute pre-``tanh`` output there, where the
  gradient of ``tanh`` is ``1 - tanh**2``: a saturated actor gets almost no gradient to leave the bound;
- from the run's ``Monitor`` file, the share of the training episodes after the random-action phase that lasted at
  most 3 steps;
- the return at the first evaluation after learning starts (``learning_starts``, before the random-action phase
  ends) and the final return.

Writes ``benchmarks/results/ddpg_saturation.md``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch as th

from benchmarks.common import RESULTS, monitor_files, read_monitor
from benchmarks.run import read_meta, read_rows

#: Folders holding DDPG runs, with how they differ.
SOURCES = {"": "Table 1 runs", "ddpg_scaled_noise": "noise_std 0.1 on scaled actions"}
N_STATES = 10_000
SATURATED = 0.99


def monitor_lengths(run_dir: Path) -> np.ndarray:
    """:return: The lengths of the run's training episodes, in order (from its ``Monitor`` file)."""
    files = monitor_files(run_dir)
    if not files:
        return np.zeros(0, dtype=np.int64)
    _, rows = read_monitor(files[0])
    return np.array([int(row["l"]) for row in rows], dtype=np.int64)


def saturation(run_dir: Path) -> tuple[float, float]:
    """:return: Share of saturated actions and median absolute pre-``tanh`` output on the last buffer states."""
    from sb3_gogepo.zoo import SpinningUpDDPG

    model = SpinningUpDDPG.load(run_dir / "checkpoint" / "model.zip", device="cpu")
    model.load_replay_buffer(run_dir / "checkpoint" / "replay_buffer.pkl")
    buffer = model.replay_buffer
    assert buffer is not None
    size = buffer.buffer_size if buffer.full else buffer.pos
    states = buffer.observations[:size, 0][-N_STATES:]
    with th.no_grad():
        observations = th.as_tensor(states, dtype=th.float32)
        features = model.actor.extract_features(observations, model.actor.features_extractor)
        pre_tanh = model.actor.mu[:-1](features)
    return float((th.tanh(pre_tanh).abs() > SATURATED).float().mean()), float(pre_tanh.abs().median())


def report(env_id: str, results_dir: Path) -> str:
    lines = [
        f"DDPG on {env_id}: is the actor stuck at the action bound? Written by `python -m benchmarks.ddpg_saturation` "
        f"from each finished run's final checkpoint (saturated: |tanh| > {SATURATED} on the replay buffer's last "
        f"{N_STATES} states; short episodes: training episodes after the random-action phase that lasted at most 3 "
        "steps).\n",
        "| runs | noise_std | seed | final return | return at the first evaluation after learning starts "
        "| saturated actions | median abs pre-tanh | short episodes |",
        "|" + " --- |" * 8,
    ]
    for folder, label in SOURCES.items():
        for run_dir in sorted((results_dir / folder / env_id / "ddpg").glob("budget_*/seed_*")):
            meta = read_meta(run_dir)
            if not meta.get("finished") or not (run_dir / "checkpoint" / "model.zip").is_file():
                continue
            rows = read_rows(run_dir / "evaluations.csv")
            learning_starts = int(float(meta["hyperparams"].get("learning_starts", 0)))
            early = next((row for row in rows if row["timesteps"] > learning_starts), None)
            early_text = f"{early['mean_return']:.1f} ({early['timesteps'] / 1000:g}k)" if early else "-"
            lengths = monitor_lengths(run_dir)
            random_steps = int(float(meta["hyperparams"].get("random_start_steps", 0)))
            after_random = lengths[np.cumsum(lengths) > random_steps]
            short = f"{np.mean(after_random <= 3):.0%} of {len(after_random)}" if len(after_random) else "-"
            saturated, median_pre_tanh = saturation(run_dir)
            lines.append(
                f"| {label} | {meta['hyperparams']['noise_std']} | {meta['seed']} | {meta['final_return']:.1f} "
                f"| {early_text} | {saturated:.0%} | {median_pre_tanh:.1f} | {short} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ddpg_saturation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="InvertedPendulum-v2")
    parser.add_argument("--results-dir", default=os.fspath(RESULTS))
    args = parser.parse_args(argv)
    th.set_num_threads(1)
    text = report(args.env, Path(args.results_dir))
    (Path(args.results_dir) / "ddpg_saturation.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
