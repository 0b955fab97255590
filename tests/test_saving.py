"""Saving and loading: models, policies, policy buffers and parameters, as in SB3."""

import io
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.callbacks import (
    CheckpointCallback,
)
from stable_baselines3.common.env_util import make_vec_env

from sb3_gogepo import GoGePo, GoGePoPolicy
from tests.conftest import SMALL_POLICY, BoundsEnv, small_kwargs, trained

# ----------------------------------------------------------------------------- save / load


def test_save_load_restores_everything_needed_to_continue(tmp_path) -> None:
    model = trained()
    model.save(tmp_path / "model.zip")
    loaded = GoGePo.load(tmp_path / "model.zip", env=make_vec_env("Pendulum-v1"))
    observations = np.random.uniform(-1, 1, (9, 3)).astype(np.float32)
    assert np.array_equal(model.predict(observations)[0], loaded.predict(observations)[0])
    assert np.array_equal(model.predict(observations, command=-700.0)[0], loaded.predict(observations, command=-700.0)[0])
    for name, tensor in model.policy.state_dict().items():
        assert th.equal(tensor, loaded.policy.state_dict()[name]), name
    for optimizer in ["generator_optimizer", "evaluator_optimizer"]:
        saved, restored = getattr(model.policy, optimizer).state_dict(), getattr(loaded.policy, optimizer).state_dict()
        assert saved["param_groups"] == restored["param_groups"]
        for key, state in saved["state"].items():
            assert all(th.equal(state[k], restored["state"][key][k]) for k in state)
    assert loaded.policy.observation_normalizer.count == model.policy.observation_normalizer.count > 0
    assert loaded.command == model.command and float(loaded.policy.best_return) == float(model.policy.best_return)
    assert (loaded.noise_std, loaded.batch_size, loaded.training_return_offset) == (model.noise_std, model.batch_size, 0.0)

    model.save_policy_buffer(tmp_path / "buffer.npz")
    loaded.load_policy_buffer(tmp_path / "buffer.npz")
    assert loaded.policy_buffer is not None and model.policy_buffer is not None
    assert loaded.policy_buffer.size() == model.policy_buffer.size()
    loaded.learn(400, reset_num_timesteps=False)
    assert loaded.num_timesteps == 1400
    assert loaded.policy_buffer.size() == model.policy_buffer.size() + 2


def test_checkpoint_callback_saves_the_policy_buffer_as_sb3_saves_replay_buffers(tmp_path) -> None:
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0)
    checkpoints = CheckpointCallback(save_freq=500, save_path=str(tmp_path), save_replay_buffer=True)
    model.learn(500, callback=checkpoints)
    buffer_file = tmp_path / "rl_model_replay_buffer_500_steps.pkl"
    loaded = GoGePo.load(tmp_path / "rl_model_500_steps.zip", env=make_vec_env("Pendulum-v1"))
    loaded.load_replay_buffer(buffer_file)  # as SB3 users resume off-policy runs
    assert model.policy_buffer is not None and loaded.policy_buffer is not None
    assert loaded.policy_buffer.size() == model.policy_buffer.size() == 2  # episodes of 200 steps
    assert th.equal(loaded.policy_buffer.ordered()[0], model.policy_buffer.ordered()[0])


def test_a_policy_buffer_saved_inside_the_model_file_is_kept_on_load(tmp_path) -> None:
    model = trained()
    model.save(tmp_path / "model.zip", include=["policy_buffer"])
    loaded = GoGePo.load(tmp_path / "model.zip", buffer_size=3)
    assert model.policy_buffer is not None and loaded.policy_buffer is not None
    assert loaded.policy_buffer.size() == 3 and loaded.policy_buffer.buffer_size == 3
    assert th.equal(loaded.policy_buffer.ordered()[1], model.policy_buffer.ordered()[1][-3:])
    whole = GoGePo.load(tmp_path / "model.zip", include=[]).policy_buffer
    assert whole is not None and whole.size() == model.policy_buffer.size()


def test_sb3s_name_replay_buffer_in_include_saves_the_policy_buffer_inside_the_model_file(tmp_path) -> None:
    # SB3's off-policy users write include=["replay_buffer"]; it saved nothing, without a word.
    model = trained()
    model.save(tmp_path / "model.zip", include=["replay_buffer"])
    loaded = GoGePo.load(tmp_path / "model.zip").policy_buffer
    assert model.policy_buffer is not None and loaded is not None
    assert loaded.size() == model.policy_buffer.size() > 0
    assert th.equal(loaded.ordered()[0], model.policy_buffer.ordered()[0])


def test_policy_buffers_save_to_and_load_from_file_objects(tmp_path) -> None:
    model = trained()
    stream = io.BytesIO()
    model.save_replay_buffer(stream)
    stream.seek(0)
    loaded = GoGePo("Pendulum-v1", **small_kwargs(), seed=1)
    loaded.load_policy_buffer(stream)
    assert model.policy_buffer is not None and loaded.policy_buffer is not None
    assert th.equal(loaded.policy_buffer.ordered()[0], model.policy_buffer.ordered()[0])


def _stored_minus_true_returns(model: GoGePo) -> np.ndarray:
    assert model.policy_buffer is not None and model.ep_info_buffer is not None
    stored = model.policy_buffer.ordered()[1].numpy()
    true = np.array([info["r"] for info in model.ep_info_buffer])[-len(stored) :]
    lengths = np.array([info["l"] for info in model.ep_info_buffer])[-len(stored) :]
    return (stored - true) / lengths


def _bounds_model(low: float = -1.0, alive_bonus_offset: float | None = None, **policy_kwargs: Any) -> GoGePo:
    kwargs = small_kwargs(policy_kwargs=dict(SMALL_POLICY, **policy_kwargs), alive_bonus_offset=alive_bonus_offset)
    return GoGePo(BoundsEnv(spaces.Box(low, -low, (1,))), **kwargs, seed=0)


@pytest.mark.parametrize(
    "make_model, what",
    [
        (lambda: _bounds_model(activation_fn=th.nn.ReLU), "activation"),
        (lambda: _bounds_model(normalize_observations=False), "normalize_observations"),
        (lambda: _bounds_model(low=-2.0), "action_low"),
        (lambda: _bounds_model(alive_bonus_offset=1.0), "training_return_offset"),
    ],
)
def test_a_policy_buffer_of_policies_that_mean_something_else_is_refused(tmp_path, make_model, what: str) -> None:
    # Before, only the layer sizes were compared: such a buffer loaded, its returns those of other policies, or in
    # other units (the survival bonus removed in one model's training returns and kept in the other's).
    source = _bounds_model().learn(60)
    source.save_policy_buffer(tmp_path / "buffer.npz")
    _bounds_model().load_policy_buffer(tmp_path / "buffer.npz")
    model = make_model()
    with pytest.raises(ValueError, match=f"holds policies with {what} .* this model's have"):
        model.load_policy_buffer(tmp_path / "buffer.npz")
    assert model.policy_buffer is not None and model.policy_buffer.size() == 0


def test_a_model_whose_training_return_offset_is_not_known_yet_loads_a_buffer_of_any(tmp_path) -> None:
    # An automatic alive_bonus_offset is resolved only for an env: a model loaded without one has nothing to compare.
    source = _bounds_model(alive_bonus_offset=1.0).learn(60)
    source.save_policy_buffer(tmp_path / "buffer.npz")
    _bounds_model().save(tmp_path / "model.zip")
    loaded = GoGePo.load(tmp_path / "model.zip")
    assert loaded.alive_bonus_offset is None and loaded.env is None
    loaded.load_policy_buffer(tmp_path / "buffer.npz")
    assert loaded.policy_buffer is not None and source.policy_buffer is not None
    assert th.equal(loaded.policy_buffer.ordered()[1], source.policy_buffer.ordered()[1])


def test_an_automatic_survival_bonus_follows_the_env_the_model_is_moved_to(tmp_path) -> None:
    # Walker2d pays +1 per step while alive, HalfCheetah nothing; both have 17 observations and 6 actions.
    model = GoGePo("Walker2d-v4", **small_kwargs(), buffer_size=3, seed=0)
    model.learn(200)
    np.testing.assert_allclose(_stored_minus_true_returns(model), -1.0, atol=1e-4)
    model.set_env(make_vec_env("HalfCheetah-v4"))
    assert model.training_return_offset == 0.0
    model.learn(3000)  # three 1000-step episodes fill the buffer
    np.testing.assert_allclose(_stored_minus_true_returns(model), 0.0, atol=1e-4)
    model.save(tmp_path / "model.zip")
    assert GoGePo.load(tmp_path / "model.zip", env=make_vec_env("Walker2d-v4")).training_return_offset == -1.0


def test_loading_with_automatic_survival_bonus_resolves_it_for_the_new_env(tmp_path) -> None:
    GoGePo("Hopper-v4", **small_kwargs(), seed=0).learn(100).save(tmp_path / "hopper.zip")
    loaded = GoGePo.load(tmp_path / "hopper.zip", env=gym.make("Hopper-v4"), alive_bonus_offset=None)
    assert loaded.training_return_offset == -1.0
    loaded.learn(200, reset_num_timesteps=False)
    assert loaded.policy_buffer is not None and loaded.policy_buffer.size() > 0


def test_the_policy_saves_and_loads_on_its_own_as_sb3_policies_do(tmp_path) -> None:
    model = trained(policy_kwargs=dict(SMALL_POLICY, optimizer_kwargs=dict(betas=(0.8, 0.9))))
    model.policy.save(tmp_path / "policy.pth")
    loaded = GoGePoPolicy.load(tmp_path / "policy.pth")
    observations = np.random.default_rng(0).uniform(-1, 1, (5, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(observations)[0], model.policy.predict(observations)[0])
    assert float(loaded.best_return) == float(model.policy.best_return)
    assert loaded.generator_optimizer.defaults["betas"] == (0.8, 0.9)


def test_get_and_set_parameters_follow_sb3(tmp_path) -> None:
    model, other = trained(), GoGePo("Pendulum-v1", **small_kwargs(), seed=1)
    params: Any = model.get_parameters()  # SB3 annotates set_parameters' dict as of tensors; it takes state dicts
    assert set(params) == {"policy", "policy.generator_optimizer", "policy.evaluator_optimizer"}
    other.set_parameters(params)
    observations = np.random.uniform(-1, 1, (4, 3)).astype(np.float32)
    assert np.array_equal(model.predict(observations)[0], other.predict(observations)[0])
    without_optimizer = {k: v for k, v in params.items() if k != "policy.evaluator_optimizer"}
    with pytest.raises(ValueError, match="do not match"):
        other.set_parameters(without_optimizer, exact_match=True)
    other.set_parameters(without_optimizer, exact_match=False)
    incomplete = {**params, "policy": {k: v for k, v in params["policy"].items() if not k.startswith("evaluator.")}}
    with pytest.raises(RuntimeError, match=r"evaluator\.probing_states"):
        other.set_parameters(incomplete, exact_match=True)
    other.set_parameters(incomplete, exact_match=False)
