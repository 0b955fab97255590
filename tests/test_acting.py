"""Acting: ``predict`` with the best return or a command, the exported policy, and command evaluations."""

import copy
import gc
import math
import pickle
import warnings
import weakref
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from sb3_gogepo import GeneratedPolicy, GoGePo
from sb3_gogepo.callbacks import CommandSweepCallback
from sb3_gogepo.evaluation import evaluate_commands
from tests.conftest import SMALL_POLICY, small_kwargs, trained

# ----------------------------------------------------------------------------- acting and commands


def test_predict_acts_with_the_noise_free_policy_for_the_best_return() -> None:
    model = trained()
    observations = np.random.uniform(-1, 1, (7, 3)).astype(np.float32)
    best = float(model.policy.best_return)
    assert math.isfinite(best)
    expected = model.generate_policy(best)(th.as_tensor(observations)).detach().numpy()
    np.testing.assert_allclose(model.predict(observations, deterministic=True)[0], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(observations, command=best)[0], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "env_id, activation_fn", [("Pendulum-v1", th.nn.Tanh), ("Pendulum-v1", th.nn.ReLU), ("CartPole-v1", th.nn.Tanh)]
)
def test_predict_on_numpy_observations_matches_sb3s_torch_path(env_id: str, activation_fn: type[th.nn.Module]) -> None:
    # On the CPU predict skips SB3's BasePolicy.predict (ten times slower than these small products); both must
    # give the same actions, shapes and dtypes, after the observation statistics have moved.
    model = GoGePo(env_id, **small_kwargs(policy_kwargs=dict(SMALL_POLICY, activation_fn=activation_fn)), seed=0).learn(600)
    assert model.policy.observation_normalizer.version > 0
    space = model.observation_space
    assert space.shape is not None
    batch = np.stack([space.sample() for _ in range(6)])
    state = (np.zeros(1),)  # no recurrent state, handed back as SB3 does
    for observations in (batch[0], batch):
        for command in (None, -50.0):
            fast, fast_state = model.predict(observations, state=state, command=command)
            slow, slow_state = BasePolicy.predict(model.policy.commanded(command), observations, state=state)
            assert fast.shape == slow.shape and fast.dtype == slow.dtype
            np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)
            assert fast_state is state and slow_state is state
    with th.no_grad():  # calling the policy module acts, as SB3's and sb3-contrib's policies do
        actions = model.policy(model.policy.obs_to_tensor(batch)[0]).cpu().numpy()
    np.testing.assert_allclose(actions.reshape(model.predict(batch)[0].shape), model.predict(batch)[0], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        model.predict(np.zeros((2, space.shape[0] + 1), dtype=np.float32))


def _own_optimizer_step(model: GoGePo) -> None:
    optimizer = th.optim.SGD(model.policy.generator.parameters(), lr=0.1)
    model.policy.generate(th.tensor([5.0])).pow(2).sum().backward()
    optimizer.step()


def _own_fused_optimizer_step(model: GoGePo) -> None:
    # A fused kernel changes the tensors without counting in their in-place counters.
    optimizer = th.optim.Adam(model.policy.generator.parameters(), lr=0.1, fused=True)
    model.policy.generate(th.tensor([5.0])).pow(2).sum().backward()
    optimizer.step()


def _halve_generator(model: GoGePo) -> None:
    with th.no_grad():
        for parameter in model.policy.generator.parameters():
            parameter.mul_(0.5)


CHANGES_BY_OTHER_CODE = {
    "the user's own optimizer step": _own_optimizer_step,
    "the user's own fused optimizer step": _own_fused_optimizer_step,
    "an in-place edit": _halve_generator,
    "a submodule's load_state_dict": lambda model: model.policy.generator.load_state_dict(
        {name: 0.5 * value for name, value in model.policy.generator.state_dict().items()}
    ),
    "a submodule's load_state_dict(assign=True)": lambda model: model.policy.generator.load_state_dict(
        {name: 0.5 * value for name, value in model.policy.generator.state_dict().items()}, assign=True
    ),
    "an edit of the observation statistics": lambda model: model.policy.observation_normalizer.mean.add_(1.0),
    "vector_to_parameters (which sets .data)": lambda model: th.nn.utils.vector_to_parameters(
        0.5 * th.nn.utils.parameters_to_vector(model.policy.generator.parameters()), model.policy.generator.parameters()
    ),
}


@pytest.mark.parametrize("change", CHANGES_BY_OTHER_CODE)
def test_predict_acts_with_the_generator_as_it_is_after_changes_made_by_other_code(change: str) -> None:
    # Before, the cache of generated policies noticed only GoGePo's own changes, and predict acted as before them.
    model, observation = trained(), np.array([0.3, -0.2, 0.5], np.float32)
    before = model.predict(observation, command=5.0)[0]
    CHANGES_BY_OTHER_CODE[change](model)
    with th.no_grad():  # generate() is not cached
        expected = model.policy.act_with(model.policy.generate(th.tensor([5.0]))[0], th.as_tensor(observation)[None])[0]
    assert not np.allclose(expected, before)
    np.testing.assert_allclose(model.predict(observation, command=5.0)[0], expected, rtol=1e-5, atol=1e-6)
    exported = model.generate_policy(5.0)(th.as_tensor(observation)).detach()
    np.testing.assert_allclose(exported, expected, rtol=1e-5, atol=1e-6)


def test_predict_keeps_its_generated_policy_across_steps_of_optimizers_over_other_tensors() -> None:
    # The first version of the global step hook emptied every policy's cache at any optimizer step in the process:
    # predict after a step of another network's optimizer ran the generator again (40 times slower).
    model, observation = trained(), np.array([0.3, -0.2, 0.5], np.float32)
    generator_runs = []
    model.policy.generator.register_forward_hook(lambda *args: generator_runs.append(1))
    model.predict(observation, command=5.0)
    other = th.nn.Linear(3, 1)
    optimizer = th.optim.Adam(other.parameters(), fused=True)
    other(th.ones(3)).sum().backward()
    optimizer.step()
    model.policy.evaluator_optimizer.zero_grad()  # nor its own evaluator's
    model.policy.evaluator(model.policy.generate_layers(th.tensor([5.0]))).sum().backward()
    model.policy.evaluator_optimizer.step()
    runs_before = len(generator_runs)
    model.predict(observation, command=5.0)
    assert len(generator_runs) == runs_before


@pytest.mark.parametrize("copy_model", [copy.deepcopy, lambda model: pickle.loads(pickle.dumps(model))])
def test_a_copied_model_acts_with_its_generator_as_it_is_after_a_step_of_its_optimizer(copy_model: Any) -> None:
    # A copied optimizer loses its step hooks; the copy's cache relied on one, and the copy's own fused Adam leaves the
    # tensors' in-place counters as they were: predict acted with the generator before the step.
    model, observation = trained(), np.array([0.3, -0.2, 0.5], np.float32)
    copied = copy_model(model)
    before = copied.predict(observation, command=5.0)[0]
    copied.policy.generator_optimizer.zero_grad()
    copied.policy.generate(th.tensor([5.0])).pow(2).sum().backward()
    copied.policy.generator_optimizer.step()
    with th.no_grad():
        expected = copied.policy.act_with(copied.policy.generate(th.tensor([5.0]))[0], th.as_tensor(observation)[None])[0]
    assert not np.allclose(expected, before)
    np.testing.assert_allclose(copied.predict(observation, command=5.0)[0], expected, rtol=1e-5, atol=1e-6)


def test_a_generator_kept_on_its_own_does_not_keep_the_rest_of_the_policy_alive() -> None:
    # The first hook that noticed loads into submodules was a method of the policy: every generator module held the
    # policy, and a generator kept, saved or copied alone carried the evaluator and both optimizers with it.
    model = trained()
    generator, evaluator = model.policy.generator, weakref.ref(model.policy.evaluator)
    del model
    gc.collect()
    assert evaluator() is None
    assert generator(th.zeros(1, 1)).shape[0] == 1


def test_a_model_made_in_inference_mode_acts() -> None:
    # Before the cache keyed on the tensors' counters, which inference tensors do not have, this worked; then it raised.
    with th.inference_mode():
        model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0)
        assert model.predict(np.zeros(3, np.float32), command=5.0)[0].shape == (1,)


def test_predict_refuses_observations_that_are_not_numbers_as_sb3_does() -> None:
    # Before, the NumPy path converted None to NaN and answered with a NaN action.
    with pytest.raises(TypeError, match="object"):
        trained().predict(np.array([None, 1.0, 2.0], dtype=object))


def test_a_command_selects_a_different_generated_policy() -> None:
    model = trained()
    observations = np.random.uniform(-1, 1, (7, 3)).astype(np.float32)
    low, _ = model.predict(observations, command=-1500.0)
    high, _ = model.predict(observations, command=0.0)
    assert not np.allclose(low, high)


def test_generated_policy_is_a_standalone_module(tmp_path) -> None:
    model = trained()
    module = model.generate_policy(-300.0)
    assert isinstance(module, GeneratedPolicy)
    observations = th.rand(5, 3)
    expected = model.predict(observations.numpy(), command=-300.0)[0]
    th.save(module, tmp_path / "policy.pt")
    del model
    restored = th.load(tmp_path / "policy.pt", weights_only=False)
    np.testing.assert_allclose(restored(observations).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    traced = th.jit.trace(restored, observations)
    th.testing.assert_close(traced(observations), restored(observations))
    assert [type(m).__name__ for m in module.mlp] == ["Linear", "Tanh", "Linear"]


@pytest.mark.parametrize("shape", [(), (1,), (4,), (5, 4), (3, 1)])
def test_the_exported_policy_refuses_observations_of_another_shape(shape: tuple[int, ...]) -> None:
    # Before, a scalar was broadcast to every feature and a (3, 1) array read as one observation, without a word.
    policy = trained().generate_policy()
    assert policy(th.zeros(5, 3)).shape == (5, 1) and policy(th.zeros(3)).shape == (1,)
    with pytest.raises(ValueError, match=r"observations must be of shape \(\.\.\., \*\(3,\)\)"):
        policy(th.zeros(shape))


def test_a_policy_trained_behind_vec_normalize_exports_with_its_statistics_and_takes_raw_observations(tmp_path) -> None:
    # The docs promise raw observations in; the module held only GoGePo's own statistics, so it acted on them as if normalised.
    training_env = VecNormalize(make_vec_env("Pendulum-v1", seed=0), norm_obs=True, norm_reward=False, clip_obs=1.5)
    model = GoGePo(training_env, **small_kwargs(), seed=0).learn(600)
    raw = np.random.default_rng(0).uniform(-8, 8, (50, 3)).astype(np.float32)
    raw[:, :2] = np.clip(raw[:, :2], -1, 1)
    normalized = training_env.normalize_obs(raw)
    assert isinstance(normalized, np.ndarray) and np.abs(normalized).max() == pytest.approx(1.5)  # some are clipped
    expected = model.predict(normalized, command=-300.0)[0]
    module = model.generate_policy(-300.0)
    th.save(module.state_dict(), tmp_path / "policy.pt")
    restored = model.generate_policy(0.0)
    restored.load_state_dict(th.load(tmp_path / "policy.pt"))
    with th.no_grad():
        for policy in (module, restored, th.jit.trace(restored, th.as_tensor(raw))):
            np.testing.assert_allclose(policy(th.as_tensor(raw)).numpy(), expected, rtol=1e-5, atol=1e-5)
        # The policy's own export takes the observations the policy sees; one without VecNormalize keeps its keys.
        own = model.policy.export(-300.0)(th.as_tensor(normalized)).numpy()
    np.testing.assert_allclose(own, expected, rtol=1e-5, atol=1e-5)
    assert "input_mean" not in trained().generate_policy(-300.0).state_dict()


def test_a_model_loaded_with_its_saved_vec_normalize_exports_and_evaluates_as_before_the_save(tmp_path) -> None:
    # The statistics are saved apart from the model, as in SB3: the docs' way back to them is load(env=...).
    training_env = VecNormalize(make_vec_env("Pendulum-v1", seed=0), norm_obs=True, norm_reward=False)
    model = GoGePo(training_env, **small_kwargs(), seed=0).learn(600)
    model.save(tmp_path / "model")
    training_env.save(str(tmp_path / "vec_normalize.pkl"))
    loaded = GoGePo.load(
        tmp_path / "model", env=VecNormalize.load(str(tmp_path / "vec_normalize.pkl"), make_vec_env("Pendulum-v1"))
    )
    raw = th.as_tensor(training_env.get_original_obs())
    with th.no_grad():
        th.testing.assert_close(loaded.generate_policy(-300.0)(raw), model.generate_policy(-300.0)(raw))
        assert "input_mean" not in GoGePo.load(tmp_path / "model").generate_policy(-300.0).state_dict()  # without
    commands = [-1000.0, -300.0]
    np.testing.assert_array_equal(
        loaded.evaluate_commands(make_vec_env("Pendulum-v1", seed=3), commands, 1),
        model.evaluate_commands(make_vec_env("Pendulum-v1", seed=3), commands, 1),
    )


def test_exporting_and_predicting_leave_torchs_random_generator_alone() -> None:
    # A callback that exports or acts during learn must not shift the run's later noise and buffer samples.
    model = trained()
    state = th.random.get_rng_state()
    model.generate_policy(-300.0)
    model.predict(np.zeros(3, dtype=np.float32), command=-200.0)
    assert th.equal(th.random.get_rng_state(), state)


def test_evaluate_commands_returns_achieved_returns_per_command_and_episode() -> None:
    model = trained()
    returns = model.evaluate_commands("Pendulum-v1", [-1000.0, -500.0, -100.0], n_eval_episodes=2)
    assert returns.shape == (3, 2)
    assert (returns < 0).all() and (returns > -2000).all()


@pytest.mark.parametrize("n_eval_episodes", [0, -1, 2.5, True])
def test_evaluate_commands_refuses_a_count_of_episodes_that_is_not_a_positive_integer(n_eval_episodes: Any) -> None:
    # 0 returned empty rows (NaN means), the others NumPy's errors that did not name the argument.
    model = trained()
    with pytest.raises(ValueError, match=r"n_eval_episodes must be a positive integer"):
        model.evaluate_commands("Pendulum-v1", [-100.0], n_eval_episodes=n_eval_episodes)
    with pytest.raises(ValueError, match=r"n_eval_episodes must be a positive integer"):
        evaluate_commands(model.policy, make_vec_env("Pendulum-v1"), [-100.0], n_eval_episodes=n_eval_episodes)


def test_evaluate_commands_warns_as_sb3_does_when_the_returns_cannot_come_from_a_monitor() -> None:
    # Before, a VecEnv without Monitor gave the returns its wrappers made (a VecNormalize's normalised rewards, say)
    # without a word.
    model = trained()
    with pytest.warns(UserWarning, match="not wrapped with a ``Monitor``") as method_warnings:
        model.evaluate_commands(DummyVecEnv([lambda: gym.make("Pendulum-v1")]), [-100.0], n_eval_episodes=1)
    with pytest.warns(UserWarning, match="not wrapped with a ``Monitor``") as function_warnings:
        evaluate_commands(model.policy, DummyVecEnv([lambda: gym.make("Pendulum-v1")]), [-100.0], n_eval_episodes=1)
    # Both name the caller's line (the method's named gogepo.py before), as SB3's warnings do.
    assert [warning.filename for warning in (*method_warnings, *function_warnings)] == [__file__, __file__]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.evaluate_commands(make_vec_env("Pendulum-v1"), [-100.0], n_eval_episodes=1)
        model.evaluate_commands("Pendulum-v1", [-100.0], n_eval_episodes=1)
        evaluate_commands(model.policy, DummyVecEnv([lambda: gym.make("Pendulum-v1")]), [-100.0], 1, warn=False)
        model.evaluate_commands(DummyVecEnv([lambda: gym.make("Pendulum-v1")]), [-100.0], 1, warn=False)
        quiet = CommandSweepCallback(DummyVecEnv([lambda: gym.make("Pendulum-v1")]), 200, 2, 1, verbose=0, warn=False)
        model.learn(200, callback=quiet, reset_num_timesteps=False)
        assert len(quiet.last_commands) == 2  # it swept
    with pytest.warns(UserWarning, match="not wrapped with a ``Monitor``"):
        sweep = CommandSweepCallback(DummyVecEnv([lambda: gym.make("Pendulum-v1")]), 200, 2, 1, verbose=0)
        model.learn(200, callback=sweep, reset_num_timesteps=False)


def test_evaluate_commands_normalises_observations_as_training_did() -> None:
    training_env = VecNormalize(make_vec_env("Pendulum-v1"), norm_obs=True, norm_reward=False, clip_obs=0.5)
    model = GoGePo(training_env, **small_kwargs(), seed=0).learn(600)
    raw, by_hand = gym.make("Pendulum-v1"), gym.make("Pendulum-v1")
    raw.reset(seed=3), by_hand.reset(seed=3)
    normalized = VecNormalize(DummyVecEnv([lambda: Monitor(by_hand)]), training=False, norm_reward=False, clip_obs=0.5)
    normalized.obs_rms = training_env.obs_rms.copy()
    commands = [-1000.0, -200.0]
    np.testing.assert_array_equal(model.evaluate_commands(raw, commands, 2), model.evaluate_commands(normalized, commands, 2))
