"""
Checkpoints of the authors' training script between two of its episodes, so that a long run of
``benchmarks.authors_script`` continues in a later process where it stopped.

Their script keeps its state in module globals. A checkpoint holds:

- the globals named in :data:`STATE_GLOBALS` (replay buffers, statistics with the observation normaliser, the
  actor-critic with the fingerprint evaluator, the command, the generator, both Adam optimizers), pickled together so
  that the objects they share (the generator's policy module, the optimizers' parameters) stay shared;
- the random states of Python's ``random``, NumPy and torch;
- per environment, its random generator, whether its seeded first reset is still to come, and its finished episodes.

Each of their episodes starts with a reset, so nothing else of an environment carries over, and a resumed run repeats
the uninterrupted one exactly.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch as th

from benchmarks.authors_code import LegacyGymEnv
from sb3_gogepo.files import atomic_write

#: The script's globals that change while it trains (those it lacks are left out).
STATE_GLOBALS = (
    "buffer",
    "command_buffer",
    "statistics",
    "ac",
    "command",
    "generator",
    "optimize_generator",
    "optimize_vf",
    "virtual_mlp",
)
#: Where a run keeps its checkpoint, relative to the run folder.
CHECKPOINT_FILE = Path("checkpoint") / "authors_state.pt"
#: The globals a snapshot keeps: what acts and what it acts with (generator, actor-critic with the evaluator, the
#: statistics with the observation normaliser and the best return), not the replay buffers or the optimizers.
SNAPSHOT_GLOBALS = ("statistics", "ac", "generator", "virtual_mlp")


def snapshot_file(percent: int) -> Path:
    """:return: Where a run keeps its snapshot at ``percent`` % of its budget, relative to the run folder."""
    return Path("snapshots") / f"authors_state_{percent}.pt"


def save_snapshot(path: Path, namespace: dict[str, Any]) -> None:
    """
    Write the globals of :data:`SNAPSHOT_GLOBALS` that the script has, pickled together, atomically.

    :param path: The snapshot file.
    :param namespace: The script's globals, between two episodes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as file:
        th.save({name: namespace[name] for name in SNAPSHOT_GLOBALS if name in namespace}, file)


def load_snapshot(path: Path) -> dict[str, Any]:
    """
    :param path: A file of :func:`save_snapshot`; their ``core_gogepo`` must be importable
        (:func:`benchmarks.authors_code.import_core`).
    :return: The globals it holds, by name.
    """
    return dict(th.load(path, weights_only=False))


def save_state(path: Path, namespace: dict[str, Any], envs: list[LegacyGymEnv], extra: dict[str, Any]) -> None:
    """
    Write a checkpoint atomically.

    :param path: The checkpoint file.
    :param namespace: The script's globals, between two episodes.
    :param envs: The environments the script made, in order.
    :param extra: The caller's own state (picklable).
    """
    state = {
        "globals": {name: namespace[name] for name in STATE_GLOBALS if name in namespace},
        "random": {
            "python": random.getstate(),
            "numpy": np.random.get_state(),
            "torch": th.get_rng_state(),
            "cuda": th.cuda.get_rng_state_all() if th.cuda.is_available() else [],
        },
        "envs": [
            {
                "np_random": env.env.unwrapped.np_random,
                "reset_seed": env.reset_seed,
                "finished_episodes": env.finished_episodes,
            }
            for env in envs
        ],
        "extra": extra,
    }
    with atomic_write(path) as file:
        th.save(state, file)


def load_state(path: Path, namespace: dict[str, Any], envs: list[LegacyGymEnv]) -> dict[str, Any]:
    """
    Put a checkpoint's state into a freshly set-up script.

    :param path: The checkpoint file.
    :param namespace: The script's globals after its set-up.
    :param envs: The environments its set-up made, in order.
    :return: The caller's state saved with it.
    """
    state = th.load(path, weights_only=False)
    if len(state["envs"]) != len(envs):
        raise ValueError(f"{path} holds {len(state['envs'])} environments, the script made {len(envs)}")
    namespace.update(state["globals"])
    random.setstate(state["random"]["python"])
    np.random.set_state(state["random"]["numpy"])
    th.set_rng_state(state["random"]["torch"])
    if state["random"]["cuda"] and th.cuda.is_available():
        th.cuda.set_rng_state_all(state["random"]["cuda"])
    for env, saved in zip(envs, state["envs"]):
        env.env.unwrapped.np_random = saved["np_random"]
        env.reset_seed = saved["reset_seed"]
        env.finished_episodes = saved["finished_episodes"]
    return state["extra"]
