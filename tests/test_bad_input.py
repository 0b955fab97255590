"""Bad input is refused with a message naming it: spaces, hyperparameters, commands, non-finite rewards and observations."""

import math
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

from sb3_gogepo import GoGePo, evaluate_commands
from sb3_gogepo.callbacks import CommandSweepCallback
from sb3_gogepo.commands import as_commands
from sb3_gogepo.enjoy import commanded_gogepo
from sb3_gogepo.enjoy import main as enjoy_main
from tests.conftest import BoundsEnv, small_kwargs, trained

# ----------------------------------------------------------------------------- bad input


class _SpaceEnv(gym.Env):
    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space) -> None:
        self.observation_space = observation_space
        self.action_space = action_space

    def reset(self, *, seed: int | None = None, options: dict | None = None):  # type: ignore[no-untyped-def]
        return self.observation_space.sample(), {}

    def step(self, action):  # type: ignore[no-untyped-def]
        return self.observation_space.sample(), 0.0, True, False, {}


BOX = spaces.Box(-1, 1, (3,))


class _DropFirstObservation(gym.ObservationWrapper):
    """A wrapper made without recorded arguments (a lambda's), so gymnasium's spec of the env does not have it."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.observation_space = spaces.Box(-np.inf, np.inf, (2,), np.float32)

    def observation(self, observation: np.ndarray) -> np.ndarray:
        return observation[1:]


@pytest.mark.parametrize(
    "observation_space, action_space, message",
    [
        (spaces.Dict({"a": BOX}), BOX, "Dict"),
        (spaces.Box(0, 255, (32, 32, 3), np.uint8), BOX, "image"),
        (spaces.MultiBinary(4), BOX, "MultiBinary"),
        (spaces.Discrete(4), BOX, "Discrete"),
        (BOX, spaces.MultiDiscrete([2, 3]), "MultiDiscrete"),
        (BOX, spaces.MultiBinary(2), "MultiBinary"),
        (BOX, spaces.Box(-np.inf, np.inf, (2,)), "finite"),
        (BOX, spaces.Box(-1e300, 1e300, (2,), np.float64), "float32"),  # before: NaN actions, every episode dropped
        (BOX, spaces.Discrete(3, start=1), "start=1"),
    ],
)
def test_unsupported_spaces_fail_at_construction(observation_space, action_space, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GoGePo(_SpaceEnv(observation_space, action_space))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(batch_size=0), "batch_size"),
        (dict(buffer_size=-5), "buffer_size"),
        (dict(noise_std=-0.1), "noise_std"),
        (dict(noise_std=float("nan")), "noise_std"),
        (dict(n_generator_updates=1.5), "n_generator_updates"),
        (dict(learning_rate=0.0), "learning_rate"),
        (dict(evaluator_learning_rate=-1.0), "evaluator_learning_rate"),
        (dict(recency_exponent=-1.0), "recency_exponent"),
        (dict(command_drive=float("inf")), "command_drive"),
        (dict(buffer_dtype="int8"), "buffer_dtype"),
        (dict(policy_kwargs=dict(net_arch=[0])), "net_arch"),
        (dict(policy_kwargs=dict(slice_size=0)), "slice_size"),
        (dict(policy_kwargs=dict(command_scale=-3.0)), "command_scale"),
        (dict(policy_kwargs=dict(command_scale="3")), "command_scale"),
        (dict(noise_std=True), "noise_std"),
        (dict(batch_size=True), "batch_size"),
        (dict(policy_kwargs=dict(net_arch=[64, True])), "net_arch"),
        (dict(policy_kwargs=dict(net_arch=64)), "net_arch"),
        (dict(policy_kwargs=dict(evaluator_net_arch="64")), "evaluator_net_arch"),
        (dict(policy_kwargs=dict(normalize_observations="no")), "normalize_observations"),
        (dict(policy_kwargs=dict(output_scaling=0)), "output_scaling"),
        (dict(policy_kwargs=dict(separate_bias_networks=None)), "separate_bias_networks"),
        (dict(stats_window_size=0), "stats_window_size"),
        (dict(stats_window_size=1.5), "stats_window_size"),
        (dict(buffer_dtype=["float32"]), "buffer_dtype"),
        (dict(update_precision=["bfloat16"]), "update_precision"),
    ],
)
def test_invalid_hyperparameters_fail_at_construction(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GoGePo("Pendulum-v1", **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(update_precision="bf16"), "update_precision"),
        (dict(recency_exponent=-1.0), "recency_exponent"),
        (dict(n_generator_updates=1.5), "n_generator_updates"),
        (dict(learning_rate=-1e-3), "learning_rate"),
    ],
)
def test_invalid_hyperparameters_given_to_load_are_refused_as_at_construction(tmp_path, kwargs: dict, message: str) -> None:
    GoGePo("Pendulum-v1", **small_kwargs()).save(tmp_path / "model")
    with pytest.raises(ValueError, match=message):  # as rl-zoo's continued training (-i) passes its YAML values
        GoGePo.load(tmp_path / "model", env=make_vec_env("Pendulum-v1"), **kwargs)


def test_a_model_loads_with_the_zero_learning_rate_rl_zoos_enjoy_gives_it(tmp_path) -> None:
    GoGePo("Pendulum-v1", **small_kwargs()).save(tmp_path / "model")
    model = GoGePo.load(tmp_path / "model", custom_objects={"learning_rate": 0.0, "lr_schedule": lambda _: 0.0})
    assert model.learning_rate == 0.0


def test_a_policy_alias_without_an_environment_is_refused_as_sb3_does() -> None:
    with pytest.raises(TypeError, match="needs an environment"):
        GoGePo("MlpPolicy")


@pytest.mark.parametrize(
    "command, message",
    [
        *[(value, "command must be a finite number") for value in (math.nan, math.inf, -math.inf, 1e40)],
        # Before, True acted as the return 1 and "5" as 5; arrays failed deep in NumPy without naming the command.
        *[(value, "command must be a real number") for value in (True, np.bool_(False), "5", [5.0], np.array([5.0, 7.0]))],
    ],
)
def test_a_command_that_is_not_one_finite_float32_number_is_refused(command: Any, message: str) -> None:
    model = trained()
    with pytest.raises(ValueError, match=message):
        model.predict(np.zeros(3, np.float32), command=command)
    with pytest.raises(ValueError, match=message):
        model.generate_policy(command)
    with pytest.raises(ValueError, match=message):
        model.policy.commanded(command)


def test_unknown_policy_alias_is_named() -> None:
    with pytest.raises(ValueError, match="CnnPolicy"):
        GoGePo("CnnPolicy", "Pendulum-v1")


class _NaNRewardEnv(BoundsEnv):
    """Every third episode pays a NaN reward."""

    def __init__(self) -> None:
        super().__init__(spaces.Box(-1, 1, (1,)))
        self.episode = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        self.episode += 1
        return super().reset(seed=seed)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = super().step(action)
        return obs, (math.nan if self.episode % 3 == 0 else reward), terminated, truncated, info


def test_non_finite_returns_are_dropped_counted_and_warned_about() -> None:
    model = GoGePo(DummyVecEnv([lambda: Monitor(_NaNRewardEnv())]), **small_kwargs(), seed=0)
    with pytest.warns(RuntimeWarning, match="return of nan, which cannot be trained on"):
        model.learn(180)
    assert model.n_dropped_episodes == 3
    assert model.policy_buffer is not None and model.policy_buffer.size() == 6
    assert th.isfinite(model.policy_buffer.ordered()[1]).all()
    assert math.isfinite(float(model.policy.best_return))


class _NaNObservationEnv(BoundsEnv):
    """The 7th step of the first episode observes a NaN."""

    def __init__(self) -> None:
        super().__init__(spaces.Box(-1, 1, (1,)))
        self.steps = 0

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = super().step(np.nan_to_num(action))
        self.steps += 1
        return (np.full_like(obs, np.nan) if self.steps == 7 else obs), reward, terminated, truncated, info


def test_a_non_finite_observation_is_left_out_of_the_statistics_with_a_warning() -> None:
    model = GoGePo(_NaNObservationEnv(), **small_kwargs(), seed=0)
    with pytest.warns(RuntimeWarning, match="1 training observation"):
        model.learn(100)
    normalizer = model.policy.observation_normalizer
    assert th.isfinite(normalizer.mean).all() and th.isfinite(normalizer.std).all() and normalizer.count == 99
    assert np.isfinite(model.predict(np.zeros(2, np.float32))[0]).all()


@pytest.mark.parametrize(
    "make_eval_env, message",
    [
        (lambda: _SpaceEnv(spaces.Box(-1, 1, (3,)), spaces.Box(-1, 1, (1,))), "observation space Box"),
        (lambda: BoundsEnv(spaces.Box(-1.0, 1.0, (3,))), r"action space Box\(-1.0, 1.0, \(3,\)"),
        (lambda: BoundsEnv(spaces.Box(-2.0, 2.0, (1,))), r"action space Box\(-2.0, 2.0, \(1,\)"),
    ],
)
def test_an_evaluation_env_of_another_task_is_refused_before_anything_runs(make_eval_env, message: str) -> None:
    # Before, other actions were clipped or broadcast to the model's and the sweep returned figures of the wrong task.
    model = GoGePo(BoundsEnv(spaces.Box(-1.0, 1.0, (1,))), **small_kwargs(), seed=0).learn(60)
    with pytest.raises(ValueError, match=f"env's {message}.* is not the model's"):
        model.evaluate_commands(make_eval_env(), [0.0], n_eval_episodes=1)
    with pytest.raises(ValueError, match=f"env's {message}"):
        evaluate_commands(model.policy, DummyVecEnv([make_eval_env]), [0.0], n_eval_episodes=1)
    with pytest.raises(ValueError, match=f"eval_env's {message}"):
        model.learn(100, callback=CommandSweepCallback(make_eval_env(), eval_freq=10), reset_num_timesteps=False)
    assert model.num_timesteps == 60 and model.policy_buffer is not None and model.policy_buffer.size() == 3


def test_a_default_evaluation_env_that_does_not_fit_says_a_wrapper_was_not_re_made() -> None:
    model = GoGePo(make_vec_env("Pendulum-v1", wrapper_class=_DropFirstObservation), **small_kwargs(), seed=0)
    with pytest.raises(ValueError, match=r"made from the training env's id.*not re-made from the id; pass eval_env"):
        model.learn(100, callback=CommandSweepCallback(eval_freq=10))


def test_learn_on_a_model_loaded_without_an_environment_is_refused_and_keeps_its_step_count(tmp_path) -> None:
    trained().save(tmp_path / "model")
    model = GoGePo.load(tmp_path / "model")
    with pytest.raises(ValueError, match=r"learn\(\) needs an environment"):
        model.learn(100)
    assert model.num_timesteps == 1000  # SB3's _setup_learn had already reset it, so a continued run restarted at 0
    model.set_env(make_vec_env("Pendulum-v1"))
    assert model.learn(200, reset_num_timesteps=False).num_timesteps == 1200


@pytest.mark.parametrize(
    "attribute, value",
    [("noise_std", math.nan), ("batch_size", 0), ("command_drive", math.inf), ("n_generator_updates", 2.5)],
)
def test_hyperparameters_set_on_the_model_are_checked_when_it_learns(attribute: str, value: float) -> None:
    model = GoGePo(BoundsEnv(spaces.Box(-1.0, 1.0, (1,))), **small_kwargs(), seed=0).learn(60)
    setattr(model, attribute, value)
    with pytest.raises(ValueError, match=attribute):
        model.learn(60, reset_num_timesteps=False)
    assert model.num_timesteps == 60 and model.policy_buffer is not None and model.policy_buffer.size() == 3


def test_a_command_may_be_a_number_held_by_an_array_or_a_tensor() -> None:
    model, obs = trained(), np.zeros(3, np.float32)
    action = model.predict(obs, command=5.0)[0]
    commands: tuple[Any, ...] = (5, np.float32(5.0), np.array([5.0]), th.tensor(5.0), th.tensor(5.0, dtype=th.bfloat16))
    for command in commands:
        np.testing.assert_array_equal(model.predict(obs, command=command)[0], action)


def test_commands_to_sweep_may_be_anything_numpy_reads_as_numbers() -> None:
    expected = np.array([0.0, 500.0, 1000.0])
    for commands in (
        [0, 500.0, np.float32(1000.0)],
        [np.array(0.0), th.tensor(500.0), th.tensor(1000.0, dtype=th.bfloat16)],
        th.tensor([[0.0], [500.0], [1000.0]]),
        pd.Series(expected),
    ):
        np.testing.assert_array_equal(as_commands(commands), expected)


def test_the_replay_launchers_command_is_checked_when_it_is_parsed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="--command must be a finite number"):
        commanded_gogepo(math.nan)
    with pytest.raises(SystemExit):
        enjoy_main(["--algo", "gogepo", "--env", "Pendulum-v1", "--command", "nan"])
    error = capsys.readouterr().err
    assert "argument --command: --command must be a finite number within float32 range, got nan" in error
    assert error.startswith("usage: python -m sb3_gogepo.enjoy [options]")  # it named the test runner, or enjoy.py


def test_the_replay_launchers_help_lists_its_command_option_after_the_zoos(capsys: pytest.CaptureFixture[str]) -> None:
    # --help gave the zoo's options only: --command was nowhere.
    with pytest.raises(SystemExit) as stopped:
        enjoy_main(["--help"])
    assert stopped.value.code == 0
    output = capsys.readouterr().out
    assert output.index("--load-best") < output.index("GoGePo's option:\n  --command R ") and "desired return R" in output


@pytest.mark.parametrize(
    "make_commands, message",
    [
        (lambda: "12", "real numbers"),
        (lambda: [0, "1e3"], r"real numbers.*YAML reads 1e3 as a string"),
        (lambda: [True, False], "real numbers"),
        (lambda: (command for command in [0.0, 1.0]), "real numbers"),
        (lambda: [], "at least one"),
        (lambda: [0.0, 1e39], "float32 range"),
        (lambda: [0.0, 1.0, math.nan], "float32 range"),
    ],
)
def test_commands_to_sweep_that_are_not_real_numbers_are_refused_before_anything_runs(make_commands, message: str) -> None:
    # Before, "12" swept the commands 1 and 2, [] returned nothing, and a NaN was found after the commands before it ran.
    model = trained()
    with pytest.raises(ValueError, match=f"commands must .*{message}"):
        model.evaluate_commands("Pendulum-v1", make_commands(), n_eval_episodes=1)
    with pytest.raises(ValueError, match=f"commands must .*{message}"):
        CommandSweepCallback("Pendulum-v1", commands=make_commands())
