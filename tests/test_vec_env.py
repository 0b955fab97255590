"""LeanDummyVecEnv steps exactly as SB3's DummyVecEnv, and what it returns does not change afterwards."""

from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv

from sb3_gogepo.vec_env import LeanDummyVecEnv


def _rollout(vec_env_cls: type[DummyVecEnv], n_steps: int = 60) -> list:
    # Episodes of 25 steps: they end and reset within the rollout.
    env = make_vec_env("Pendulum-v1", n_envs=2, seed=3, vec_env_cls=vec_env_cls, env_kwargs=dict(max_episode_steps=25))
    obs = env.reset()
    actions = np.random.default_rng(0).uniform(-2, 2, size=(n_steps, 2, 1)).astype(np.float32)
    steps: list[Any] = [obs]
    for step_actions in actions:
        steps.append(env.step(step_actions))
    return steps


def test_it_steps_exactly_as_dummy_vec_env_including_resets_and_terminal_observations() -> None:
    lean, dummy = _rollout(LeanDummyVecEnv), _rollout(DummyVecEnv)
    np.testing.assert_array_equal(lean[0], dummy[0])
    n_terminal = 0
    for (obs, rewards, dones, infos), (obs2, rewards2, dones2, infos2) in zip(lean[1:], dummy[1:]):
        np.testing.assert_array_equal(obs, obs2)
        np.testing.assert_array_equal(rewards, rewards2)
        np.testing.assert_array_equal(dones, dones2)
        assert [sorted(info) for info in infos] == [sorted(info) for info in infos2]
        for info, info2 in zip(infos, infos2):
            if "terminal_observation" in info:
                n_terminal += 1
                np.testing.assert_array_equal(info["terminal_observation"], info2["terminal_observation"])
    assert n_terminal >= 2


def test_returned_observations_and_infos_are_not_overwritten_by_later_steps() -> None:
    env = LeanDummyVecEnv([lambda: gym.make("Pendulum-v1")])
    env.seed(0)
    first = env.reset()
    assert isinstance(first, np.ndarray)
    kept = first.copy()
    obs, _, _, infos = env.step(np.zeros((1, 1), dtype=np.float32))
    assert isinstance(obs, np.ndarray)
    obs_kept, infos_kept = obs.copy(), infos
    infos[0]["mine"] = 1  # a caller may write into what it got
    env.step(np.ones((1, 1), dtype=np.float32))
    np.testing.assert_array_equal(first, kept)
    np.testing.assert_array_equal(obs, obs_kept)
    assert infos is infos_kept and infos[0] == {"TimeLimit.truncated": False, "mine": 1}
    assert infos is not env.buf_infos and type(infos) is list
