"""How a GoGePo model is built: the paper's defaults, SB3-style arguments, any network size, and the action spaces it takes."""

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.env_util import make_vec_env

from sb3_gogepo import GoGePo, GoGePoPolicy
from tests.conftest import SMALL_POLICY, BoundsEnv, small_kwargs

# ----------------------------------------------------------------------------- construction and defaults


def test_an_env_id_alone_gives_the_papers_defaults() -> None:
    model = GoGePo("Hopper-v3")
    policy = model.policy
    assert isinstance(policy, GoGePoPolicy)
    assert policy.layout.sizes == (11, 256, 256, 3)
    assert policy.slice_size == 16 and policy.embedding_dim == 8 and policy.hypernetwork_net_arch == [256, 256]
    assert policy.evaluator.probing_states.shape == (200, 11) and policy.evaluator_net_arch == [256, 256]
    assert policy.output_scaling and policy.normalize_observations and policy.command_scale is None
    assert isinstance(policy._activation, th.nn.Tanh)
    assert policy.generator_optimizer.param_groups[0]["lr"] == 2e-6
    assert policy.evaluator_optimizer.param_groups[0]["lr"] == 5e-3
    assert isinstance(policy.generator_optimizer, th.optim.Adam)
    assert (model.noise_std, model.batch_size, model.n_evaluator_updates, model.n_generator_updates) == (0.1, 16, 5, 20)
    assert (model.buffer_size, model.recency_exponent, model.command_drive, model.initial_command) == (10_000, 1.1, 20.0, 0.0)
    assert model.alive_bonus_offset is None and model.training_return_offset == -1.0  # Hopper's survival bonus removed
    assert model.policy_buffer is not None and model.policy_buffer.buffer_size == 10_000


def test_paper_defaults_train_on_hopper() -> None:
    model = GoGePo("Hopper-v3", seed=0).learn(60)
    assert model.num_timesteps == 60
    assert model.policy_buffer is not None and model.policy_buffer.size() >= 1


def test_sb3_style_construction() -> None:
    env = gym.make("Pendulum-v1")
    model = GoGePo("MlpPolicy", env, policy_kwargs=dict(net_arch=[8]), learning_rate=1e-3, seed=0, verbose=1, device="auto")
    assert model.policy.layout.sizes == (3, 8, 1)
    assert model.policy.generator_optimizer.param_groups[0]["lr"] == 1e-3
    assert model.device.type == "cpu"
    model.learn(400)


def test_keyword_construction_as_rl_zoo_does_it() -> None:
    hyperparams = dict(noise_std=0.05, command_drive=0.0, **small_kwargs())
    model = GoGePo(policy="MlpPolicy", env=make_vec_env("Pendulum-v1", n_envs=2), **hyperparams)
    assert model.noise_std == 0.05 and model.command_drive == 0.0 and model.n_envs == 2


@pytest.mark.parametrize("net_arch", [[], [5], [20, 7], [16, 16]])
def test_any_net_arch(net_arch: list[int]) -> None:
    model = GoGePo("Pendulum-v1", **small_kwargs(policy_kwargs={**SMALL_POLICY, "net_arch": net_arch}), seed=0)
    assert model.policy.layout.sizes == (3, *net_arch, 1)
    model.learn(400)
    assert model.predict(np.zeros(3, dtype=np.float32))[0].shape == (1,)


@pytest.mark.parametrize(
    "low, high",
    [([0.0, -3.0], [10.0, 1.0]), ([-1.0, -1.0], [1.0, 1.0]), ([-200.0, 100.0], [-100.0, 100.5])],
)
def test_box_actions_with_any_bounds(low: list[float], high: list[float]) -> None:
    action_space = spaces.Box(np.array(low, np.float32), np.array(high, np.float32))
    model = GoGePo(BoundsEnv(action_space), **small_kwargs(noise_std=3.0), seed=0)
    model.learn(200)
    actions, _ = model.predict(np.random.uniform(-1, 1, (50, 2)).astype(np.float32))
    assert (actions >= action_space.low).all() and (actions <= action_space.high).all()
    assert np.ptp(actions, axis=0).min() > 0  # the outputs span the box, not one corner


class _ShapeCheckingEnv(BoundsEnv):
    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        assert np.shape(action) == self.action_space.shape and self.action_space.contains(action.astype(np.float32))
        return super().step(action)


@pytest.mark.parametrize("n_envs", [1, 3])
def test_box_actions_of_any_shape_reach_the_env_in_that_shape(n_envs: int) -> None:
    env = make_vec_env(_ShapeCheckingEnv, n_envs=n_envs, env_kwargs=dict(action_space=spaces.Box(-1, 1, (2, 3))))
    model = GoGePo(env, **small_kwargs(), seed=0).learn(60)
    assert model.predict(np.zeros((4, 2), np.float32))[0].shape == (4, 2, 3)


class _MatrixEnv(_ShapeCheckingEnv):
    def __init__(self, action_space: spaces.Space, observation_shape: tuple[int, ...] = (2, 3)) -> None:
        super().__init__(action_space)
        self.observation_space = spaces.Box(-1.0, 1.0, observation_shape, np.float32)


# A float Box of three dimensions is not an image for SB3 (whose MlpPolicy flattens it); it was refused as one.
@pytest.mark.parametrize("observation_shape", [(2, 3), (2, 3, 2)])
def test_the_exported_policy_takes_and_gives_the_spaces_shapes_as_predict_does(observation_shape: tuple[int, ...]) -> None:
    model = GoGePo(_MatrixEnv(spaces.Box(-1, 1, (2, 2)), observation_shape), **small_kwargs(), seed=0).learn(60)
    assert model.policy.layout.sizes[0] == np.prod(observation_shape)
    module = model.generate_policy()
    observations = np.random.default_rng(0).uniform(-1, 1, (5, *observation_shape)).astype(np.float32)
    expected = model.predict(observations)[0]
    assert expected.shape == (5, 2, 2)
    np.testing.assert_allclose(module(th.as_tensor(observations)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert module(th.as_tensor(observations[0])).shape == (2, 2)


def test_discrete_actions_take_the_argmax() -> None:
    model = GoGePo("CartPole-v1", **small_kwargs(), seed=0).learn(500)
    observations = np.random.uniform(-0.1, 0.1, (20, 4)).astype(np.float32)
    actions, _ = model.predict(observations)
    assert actions.shape == (20,) and set(actions.tolist()) <= {0, 1}
    logits = model.generate_policy().mlp(
        (th.as_tensor(observations) - model.policy.observation_normalizer.mean) / model.policy.observation_normalizer.std
    )
    assert (logits.argmax(-1).numpy() == actions).all()
