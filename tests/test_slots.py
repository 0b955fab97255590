"""Every env slot of a VecEnv runs its own generated policy, and an update block runs per finished episode."""

import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.callbacks import (
    BaseCallback,
)
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize

from sb3_gogepo import GoGePo
from tests.conftest import BoundsEnv, small_kwargs

# ----------------------------------------------------------------------------- vectorised envs


def test_each_env_slot_runs_its_own_policy_from_one_batched_forward() -> None:
    model = GoGePo(make_vec_env("Pendulum-v1", n_envs=3), **small_kwargs(), seed=0)
    calls = []
    model.learn(30)
    assert model._rollout is not None
    actor = model._rollout.actor
    assert actor is not None and actor.n_slots == 3
    assert not th.allclose(actor.params[0], actor.params[1])
    original_act = actor.act

    def act(observations: np.ndarray) -> np.ndarray:
        calls.append(observations.shape)
        return original_act(observations)

    actor.act = act  # type: ignore[method-assign]
    model.learn(30, reset_num_timesteps=False)
    assert calls == [(3, 3)] * 10


class _CountingUpdates(BaseCallback):
    def __init__(self) -> None:
        super().__init__()
        self.episodes = 0
        self.steps = 0

    def _on_step(self) -> bool:
        self.steps += 1
        self.episodes += int(np.sum(self.locals["dones"]))
        return True


@pytest.mark.parametrize("n_envs", [1, 4])
def test_one_update_block_per_finished_episode_for_any_n_envs(n_envs: int) -> None:
    env = make_vec_env(BoundsEnv, n_envs=n_envs, env_kwargs=dict(action_space=spaces.Box(-1, 1, (1,))))
    model = GoGePo(env, **small_kwargs(), seed=0)
    counter = _CountingUpdates()
    model.learn(400, callback=counter)
    assert counter.steps * n_envs == model.num_timesteps == 400
    assert counter.episodes == 400 // 20 == model._episode_num
    assert model._n_updates == counter.episodes * (model.n_evaluator_updates + model.n_generator_updates)
    assert model.policy_buffer is not None and model.policy_buffer.size() == counter.episodes


def test_vec_normalize_training_returns_are_the_original_rewards() -> None:
    env = VecNormalize(make_vec_env("Pendulum-v1", n_envs=2), norm_obs=True, norm_reward=True)
    model = GoGePo(env, **small_kwargs(), seed=0).learn(800)
    assert model.policy_buffer is not None and model.ep_info_buffer is not None
    stored = sorted(model.policy_buffer.ordered()[1].tolist())
    monitored = sorted(info["r"] for info in model.ep_info_buffer)
    np.testing.assert_allclose(stored, monitored, rtol=1e-4)
    assert stored[0] < -100  # unnormalised Pendulum returns
