import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch as th
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.policies import BasePolicy

from sb3_gogepo import CommandedPolicy, GoGePo, GoGePoPolicy, evaluate_commands
from sb3_gogepo.commands import next_command, normalize_commands, running_command_scale, symlog
from tests.conftest import SMALL_POLICY, small_kwargs


def test_first_command_is_the_initial_command() -> None:
    assert next_command(-math.inf, drive=20.0) == 0.0
    assert next_command(-math.inf, drive=20.0, initial_command=5.0) == 5.0


def test_command_asks_for_drive_more_than_the_best_return() -> None:
    assert next_command(100.0, drive=20.0) == 120.0
    assert next_command(-50.0, drive=0.0) == -50.0


def test_symlog_is_odd_monotone_and_compresses_large_returns() -> None:
    x = th.tensor([-3000.0, -10.0, -1.0, 0.0, 1.0, 10.0, 3000.0])
    y = symlog(x)
    th.testing.assert_close(y, -symlog(-x))
    assert (y[1:] > y[:-1]).all()
    assert y.abs().max() < 8.1
    assert symlog(th.tensor(0.0)) == 0.0


@pytest.mark.parametrize("low, high", [(2000.0, 2500.0), (300.0, 340.0), (-100.0, -60.0)])
def test_default_normalisation_needs_no_environment_constant(low: float, high: float) -> None:
    a, b = normalize_commands(th.tensor([low, high]))
    assert 0.05 < (b - a).item() < 1.0  # distinguishable, without any return range given


def test_a_command_scale_reproduces_the_authors_division() -> None:
    th.testing.assert_close(normalize_commands(th.tensor([310.0]), command_scale=3100.0), th.tensor([0.1]))


def _auto_model(**overrides: Any) -> GoGePo:
    kwargs = small_kwargs(**overrides)
    kwargs["policy_kwargs"]["command_scale"] = "auto"
    return GoGePo("MlpPolicy", "Pendulum-v1", seed=0, **kwargs)


def test_auto_scale_is_the_largest_return_magnitude_seen_and_at_least_one() -> None:
    assert running_command_scale(1.0, 0.3) == 1.0
    assert running_command_scale(1.0, -250.0) == 250.0
    assert running_command_scale(250.0, 100.0) == 250.0


def test_auto_scale_follows_the_stored_training_returns() -> None:
    model = _auto_model().learn(1000)
    returns = model.policy_buffer.returns[: model.policy_buffer.size()]  # type: ignore[union-attr]
    assert float(model.policy.command_input_scale) == pytest.approx(max(1.0, float(returns.abs().max())), rel=1e-6)


def test_auto_scale_takes_in_the_returns_of_a_loaded_policy_buffer(tmp_path: Path) -> None:
    # Before, a fresh model kept the scale 1 and trained its generator on commands of magnitude about 1000.
    source = _auto_model().learn(1000)
    source.save_policy_buffer(tmp_path / "buffer.npz")
    model = _auto_model()
    model.load_policy_buffer(tmp_path / "buffer.npz")
    returns = model.policy_buffer.ordered()[1]  # type: ignore[union-attr]
    assert float(returns.abs().max()) > 100.0
    assert float(model.policy.command_input_scale) == pytest.approx(float(returns.abs().max()), rel=1e-6)
    assert float(model.policy.best_return) == -math.inf  # the commands go on from the model's own best return
    # A model's own buffer holds float32 copies of its returns, which do not move its float64 scale.
    scale = float(source.policy.command_input_scale)
    source.load_policy_buffer(tmp_path / "buffer.npz")
    assert float(source.policy.command_input_scale) == scale


def test_rescaling_the_command_input_keeps_the_generator_function() -> None:
    model = _auto_model().learn(1000)  # the generator's optimizer has state by now
    policy = model.policy
    commands = th.tensor([-300.0, -20.0, 0.0, 50.0, 700.0])
    with th.no_grad():
        before = policy.generate(commands)
    scale = float(policy.command_input_scale)
    policy.observe_return(-4.0 * scale)
    assert float(policy.command_input_scale) == 4.0 * scale
    with th.no_grad():
        after = policy.generate(commands)
    th.testing.assert_close(after, before, rtol=1e-6, atol=1e-6)


def test_rescaling_gives_the_optimizer_the_moments_of_the_new_parameterisation() -> None:
    model = _auto_model().learn(1000)
    policy = model.policy
    first = policy.generator.weight_networks["input"].linears[0]  # type: ignore[index]
    assert isinstance(first, th.nn.Linear)
    weight = first.weight
    state = policy.generator_optimizer.state[weight]
    exp_avg, exp_avg_sq = state["exp_avg"].clone(), state["exp_avg_sq"].clone()
    policy.observe_return(-2.0 * float(policy.command_input_scale))
    th.testing.assert_close(state["exp_avg"][:, -1], exp_avg[:, -1] / 2.0)
    th.testing.assert_close(state["exp_avg_sq"][:, -1], exp_avg_sq[:, -1] / 4.0)
    th.testing.assert_close(state["exp_avg"][:, :-1], exp_avg[:, :-1])


def test_auto_scale_and_generator_survive_save_and_load(tmp_path: Path) -> None:
    model = _auto_model().learn(1000)
    model.save(tmp_path / "model.zip")
    loaded = GoGePo.load(tmp_path / "model.zip")
    assert float(loaded.policy.command_input_scale) == float(model.policy.command_input_scale) > 1.0
    commands = th.tensor([-100.0, 0.0, 100.0])
    with th.no_grad():
        th.testing.assert_close(loaded.policy.generate(commands), model.policy.generate(commands), rtol=1e-6, atol=1e-6)


def test_auto_scale_needs_an_optimizer_whose_state_it_can_rescale() -> None:
    with pytest.raises(ValueError, match=r"command_scale='auto'.*Adagrad"):
        _auto_model(policy_kwargs=dict(SMALL_POLICY, optimizer_class=th.optim.Adagrad))


def test_command_scale_must_be_symlog_auto_or_positive() -> None:
    with pytest.raises(ValueError, match="command_scale"):
        GoGePo("MlpPolicy", "Pendulum-v1", **small_kwargs(policy_kwargs=dict(SMALL_POLICY, command_scale="running")))


def test_a_commanded_policy_is_an_sb3_policy_acting_with_the_policy_generated_for_its_command() -> None:
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0).learn(400)
    observations = np.stack([model.observation_space.sample() for _ in range(4)])
    commanded = model.policy.commanded(-50.0)
    assert isinstance(commanded, BasePolicy)
    np.testing.assert_array_equal(commanded.predict(observations)[0], model.predict(observations, command=-50.0)[0])
    np.testing.assert_array_equal(
        model.policy.commanded().predict(observations)[0], model.predict(observations)[0]
    )  # no command: the best return seen
    env = make_vec_env("Pendulum-v1", n_envs=1, seed=1)
    returns, lengths = evaluate_policy(commanded, env, n_eval_episodes=2, return_episode_rewards=True)
    env = make_vec_env("Pendulum-v1", n_envs=1, seed=1)
    swept_returns, swept_lengths = evaluate_commands(model.policy, env, [-50.0], n_eval_episodes=2)
    np.testing.assert_array_equal(swept_returns[0], returns)
    np.testing.assert_array_equal(swept_lengths[0], lengths)
    exported = commanded.export()(th.as_tensor(observations)).detach().numpy()
    np.testing.assert_allclose(exported, commanded.predict(observations)[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("command", [-50.0, None])
def test_a_commanded_policy_saves_and_loads_as_an_sb3_policy_does(tmp_path: Path, command: float | None) -> None:
    # Before, save wrote SB3's default file, which neither CommandedPolicy.load nor GoGePoPolicy.load could read, and
    # failed where the folder did not exist.
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0).learn(400)
    observations = np.stack([model.observation_space.sample() for _ in range(4)])
    commanded = model.policy.commanded(command)
    path = tmp_path / "new folder" / "commanded.pt"
    commanded.save(path)
    loaded = CommandedPolicy.load(path)
    assert loaded.command == command
    np.testing.assert_array_equal(loaded.predict(observations)[0], commanded.predict(observations)[0])
    # The file holds the whole policy it comes from, so the generator answers other commands too.
    np.testing.assert_array_equal(
        GoGePoPolicy.load(str(path)).commanded(-300.0).predict(observations)[0], model.predict(observations, command=-300.0)[0]
    )
    model.policy.save(tmp_path / "policy.pt")  # a policy's file loads as the policy for the best return seen
    assert CommandedPolicy.load(tmp_path / "policy.pt").command is None


class _OwnPolicy(GoGePoPolicy):
    pass


def test_a_commanded_policy_of_a_policy_subclass_loads_as_that_subclass(tmp_path: Path) -> None:
    model = GoGePo(_OwnPolicy, "Pendulum-v1", **small_kwargs(), seed=0)
    model.policy.commanded(-50.0).save(tmp_path / "commanded.pt")
    assert type(CommandedPolicy.load(tmp_path / "commanded.pt").policy) is _OwnPolicy
