"""
Cost of GoGePo's rollout per environment step, with SB3's ``DummyVecEnv`` and with ``LeanDummyVecEnv``.

    python -m benchmarks.performance.rollout  # Swimmer-v3 and Hopper-v3, 1 torch thread; writes rollout.md

``learn`` runs with the update block switched off, so what is timed is everything else GoGePo does per step: acting
with the generated policy, the observation statistics, the env step through its ``Monitor`` and VecEnv, callbacks,
and a new generated policy per episode (paper-size networks). A raw ``gymnasium`` step (no wrappers, random
actions) is the floor. Best and median of ``--repeats`` runs of ``--steps`` steps, the VecEnv classes taking turns.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch as th
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv

import sb3_gogepo  # noqa: F401  (the paper's env ids)
from benchmarks.common import RESULTS, commit, table
from sb3_gogepo import GoGePo
from sb3_gogepo.vec_env import LeanDummyVecEnv

VEC_ENVS: dict[str, type[DummyVecEnv]] = {"DummyVecEnv (SB3)": DummyVecEnv, "LeanDummyVecEnv": LeanDummyVecEnv}


def rollout_model(env_id: str, vec_env_cls: type[DummyVecEnv], seed: int = 0) -> GoGePo:
    """:return: A GoGePo with the paper's networks whose ``learn`` only collects (no update block)."""
    env = make_vec_env(env_id, n_envs=1, seed=seed, vec_env_cls=vec_env_cls)
    model = GoGePo("MlpPolicy", env, seed=seed, device="cpu")
    model.train = lambda: None  # type: ignore[method-assign]
    return model


def raw_step_seconds(env_id: str, n_steps: int) -> float:
    """:return: Seconds per step of the bare environment (no wrappers) with random actions."""
    env = gym.make(env_id).unwrapped
    env.reset(seed=0)
    space = env.action_space
    assert isinstance(space, gym.spaces.Box)
    actions = np.random.default_rng(0).uniform(space.low, space.high, (n_steps, *space.shape))
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, _, _ = env.step(action)
        if terminated:
            env.reset()
    return (time.perf_counter() - start) / n_steps


def measure(env_ids: Sequence[str], n_steps: int, repeats: int) -> list[list[str]]:
    rows = []
    for env_id in env_ids:
        models = {name: rollout_model(env_id, cls) for name, cls in VEC_ENVS.items()}
        for model in models.values():
            model.learn(2_000)  # warm-up: first episodes, statistics, caches
        times: dict[str, list[float]] = {name: [] for name in models}
        for _ in range(repeats):
            for name, model in models.items():
                start = time.perf_counter()
                model.learn(n_steps, reset_num_timesteps=False)
                times[name].append((time.perf_counter() - start) / n_steps)
        raw = min(raw_step_seconds(env_id, n_steps) for _ in range(repeats))
        baseline = min(times["DummyVecEnv (SB3)"])
        for name, values in times.items():
            best = min(values)
            rows.append(
                [env_id, name, f"{best * 1e6:.1f}", f"{statistics.median(values) * 1e6:.1f}", f"{best / baseline:.2f}"]
            )
        rows.append([env_id, "bare env.step (floor)", f"{raw * 1e6:.1f}", "", f"{raw / baseline:.2f}"])
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.performance.rollout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", nargs="+", default=["Swimmer-v3", "Hopper-v3"])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", type=Path, default=RESULTS / "rollout.md")
    args = parser.parse_args(argv)
    th.set_num_threads(args.threads)
    rows = measure(args.envs, args.steps, args.repeats)
    text = "\n\n".join(
        [
            f"Machine: {platform.processor() or platform.machine()}, {args.threads} torch thread(s), torch {th.__version__}. "
            f"Written by `python -m benchmarks.performance.rollout --steps {args.steps} --repeats {args.repeats}` at commit "
            f"{commit()}.",
            "GoGePo's rollout (everything but the update block) per environment step, microseconds; best and median of "
            f"{args.repeats} runs of {args.steps} steps:",
            table(["env", "VecEnv", "best us / step", "median us / step", "vs DummyVecEnv"], rows),
        ]
    )
    args.output.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
