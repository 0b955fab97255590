"""
The policies a snapshot of the authors' script makes (``snapshots/authors_state_<pct>.pt`` of
:mod:`benchmarks.authors_script`): their generator's parameters for a command, and their acting path, as their
``train`` and ``simulate_policy`` use them (the command divided by the return range, observations normalised by their
statistics after the first episode, their ``ac.act``).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch as th

from benchmarks import authors_checkpoint


class AuthorsGenerator:
    """
    :param snapshot: The globals of a snapshot (:func:`benchmarks.authors_checkpoint.load_snapshot`).
    :param config: Their script's config (``run.json``'s ``config``).
    :param sizes: Layer sizes of their policy (observations, hidden layers, actions).
    """

    def __init__(self, snapshot: dict[str, Any], config: dict[str, Any], sizes: Sequence[int]) -> None:
        self.statistics, self.generator, self.ac, self.virtual_mlp = (
            snapshot[name] for name in ("statistics", "generator", "ac", "virtual_mlp")
        )
        self.config, self.sizes = config, list(sizes)

    @classmethod
    def load(cls, path: Path, authors_code: Path, meta: dict[str, Any]) -> AuthorsGenerator:
        """:return: The generator of the snapshot at ``path`` of the run whose ``run.json`` is ``meta``."""
        from benchmarks.authors_code import import_core

        with contextlib.redirect_stdout(io.StringIO()):
            import_core(authors_code)
        return cls(authors_checkpoint.load_snapshot(path), meta["config"], layer_sizes(meta))

    @property
    def best_return(self) -> float:
        """The best training return so far (their ``max_rew``), the command of their evaluations."""
        return float(self.statistics.max_rew)

    @property
    def next_command(self) -> float:
        """The command of their next training episode (``perturb_command``: the best return plus the drive)."""
        return self.best_return + float(self.config["drive_parameter"])

    @property
    def noise_std(self) -> float:
        """Their exploration noise on every parameter (``noise_policy``)."""
        return float(self.config["noise_policy"])

    @property
    def timesteps(self) -> int:
        """Training steps at the snapshot."""
        return int(self.statistics.total_ts)

    def params_for(self, command: float) -> th.Tensor:
        """:return: The flat parameters their generator makes for ``command`` (divided by the return range)."""
        scale = float(self.config["rew_max"]) - float(self.config["rew_min"])
        with th.no_grad():
            return self.generator(th.tensor([[command / scale]]).float()).squeeze()

    def predicted_return(self, params: th.Tensor) -> float:
        """:return: Their fingerprint evaluator's prediction for the flat parameters ``params`` (their ``ac.v``)."""
        with th.no_grad():
            return float(self.ac.v(params.reshape(1, -1), use_virtual_module=True, virtual_module=self.virtual_mlp))

    def act(self, params: th.Tensor, observation: np.ndarray) -> np.ndarray:
        """:return: The action of the policy ``params`` for one raw observation, as their script computes it."""
        obs = th.as_tensor(observation, dtype=th.float32)
        if self.config["observation_normalization"] and self.statistics.episode > 0:
            obs = self.statistics.normalize(obs)
        with th.no_grad():
            return np.asarray(self.ac.act(obs, params, virtual_module=self.virtual_mlp)[0])


def layer_sizes(meta: dict[str, Any]) -> list[int]:
    """:return: Layer sizes of their policy in a run (flat observations, ``neurons_policy``, flat actions)."""
    env = gym.make(str(meta["env_id"]))
    n_obs, n_act = (int(np.prod(space.shape or ())) for space in (env.observation_space, env.action_space))
    env.close()
    return [n_obs, *meta["config"]["neurons_policy"], n_act]
