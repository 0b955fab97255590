import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium import spaces

if TYPE_CHECKING:
    from sb3_gogepo import GoGePo

#: Tiny networks so that API tests run in well under a second per thousand steps.
SMALL_POLICY = dict(
    net_arch=[8],
    hypernetwork_net_arch=[16],
    evaluator_net_arch=[16],
    n_probing_states=8,
    slice_size=4,
    embedding_dim=4,
)


def small_kwargs(**overrides: Any) -> dict[str, Any]:
    """Constructor keywords of a tiny GoGePo that trains fast."""
    kwargs: dict[str, Any] = dict(policy_kwargs=dict(SMALL_POLICY), batch_size=4, n_evaluator_updates=2, n_generator_updates=2)
    kwargs.update(overrides)
    return kwargs


class BoundsEnv(gym.Env):
    """Observations in R^2, actions in an arbitrary Box; episodes of 20 steps; reward = -|a - target|."""

    def __init__(self, action_space: spaces.Space) -> None:
        self.observation_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.action_space = action_space
        self._t = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._t = 0
        return self.observation_space.sample(), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        self._t += 1
        reward = -float(np.abs(np.asarray(action, dtype=np.float64)).sum())
        return self.observation_space.sample(), reward, False, self._t >= 20, {}


class FiveStepEnv(BoundsEnv):
    """Episodes of 5 steps paying 1 per step: every training return is 5."""

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, _, _, _, info = super().step(action)
        return obs, 1.0, False, self._t >= 5, info


def trained(**overrides: Any) -> "GoGePo":
    """A tiny GoGePo trained 1000 steps on Pendulum from seed 0."""
    from sb3_gogepo import GoGePo

    return GoGePo("Pendulum-v1", **small_kwargs(**overrides), seed=0).learn(1000)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    th.set_num_threads(1)


@contextlib.contextmanager
def disk_full_after(path: Path, n_bytes: int) -> Iterator[None]:
    """
    Within the block, no file of this process may grow beyond ``path``'s size plus ``n_bytes`` (``RLIMIT_FSIZE``): a
    write past it stops there and raises ``OSError``, as on a full disk. POSIX only.
    """
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the signal kills the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(path) + n_bytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous_handler)
