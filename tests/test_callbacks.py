"""CommandSweepCallback: the grid of commands, the CSV, TensorBoard, VecNormalize, and SB3's EvalCallback."""

import copy
import csv
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback, EvalCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.logger import configure
from stable_baselines3.common.running_mean_std import RunningMeanStd
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor, VecNormalize

from sb3_gogepo import GoGePo
from sb3_gogepo.callbacks import SWEEP_CSV, SWEEP_FIGURE, CommandSweepCallback
from tests.conftest import disk_full_after

th.set_num_threads(1)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

TINY = dict(net_arch=[8], hypernetwork_net_arch=[16], evaluator_net_arch=[16], n_probing_states=4)
FAST: dict[str, Any] = dict(n_evaluator_updates=1, n_generator_updates=2, policy_kwargs=TINY, seed=0)
COLUMNS = [
    "timesteps",
    "episodes",
    "command",
    "mean_return",
    "std_return",
    "mean_training_return",
    "std_training_return",
    "mean_length",
]


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path) as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames or []), list(reader)


def test_sweep_csv_columns_and_grid(tmp_path: Path) -> None:
    model = GoGePo("MlpPolicy", "CartPole-v1", **FAST)
    callback = CommandSweepCallback(eval_freq=300, n_commands=4, n_eval_episodes=2, log_path=tmp_path, verbose=0)
    model.learn(650, callback=callback)

    columns, rows = read_csv(tmp_path / SWEEP_CSV)
    assert columns == [*COLUMNS, "return_0", "return_1"] == callback.csv_columns
    # sweeps at 300 and 600 steps, and at the end of training (650)
    assert [int(row["timesteps"]) for row in rows] == [300] * 4 + [600] * 4 + [650] * 4
    assert (tmp_path / SWEEP_FIGURE).is_file()

    # the last grid: 4 evenly spaced commands from the lowest to the highest training return seen
    assert model.policy_buffer is not None
    returns = model.policy_buffer.returns[: model.policy_buffer.size()].numpy()
    commands = np.array([float(row["command"]) for row in rows[-4:]])
    np.testing.assert_allclose(commands, np.linspace(returns.min(), returns.max(), 4), rtol=1e-5)
    assert float(model.policy.best_return) == pytest.approx(returns.max())

    for row in rows:
        episodes = np.array([float(row["return_0"]), float(row["return_1"])])
        assert float(row["mean_return"]) == pytest.approx(episodes.mean())
        assert float(row["std_return"]) == pytest.approx(episodes.std())
        assert float(row["mean_training_return"]) == pytest.approx(episodes.mean())  # CartPole: no survival bonus removed
        assert float(row["mean_length"]) == pytest.approx(episodes.mean())  # CartPole: reward 1 per step
    assert callback.last_returns.shape == (4, 2) and len(callback.rows) == 12
    np.testing.assert_allclose(callback.last_commands, commands, rtol=1e-5)


def test_a_continued_run_appends_to_the_sweeps(tmp_path: Path) -> None:
    model = GoGePo("MlpPolicy", "CartPole-v1", **FAST)
    callback = CommandSweepCallback(eval_freq=300, n_commands=2, n_eval_episodes=1, log_path=tmp_path, verbose=0)
    model.learn(250, callback=callback)  # one sweep, at the end of training
    model.learn(400, callback=callback, reset_num_timesteps=False)  # at 550 steps and at the end (650)

    _, rows = read_csv(tmp_path / SWEEP_CSV)
    assert (
        [int(row["timesteps"]) for row in rows]
        == [row["timesteps"] for row in callback.rows]
        == [250] * 2 + [550] * 2 + [650] * 2
    )


def test_a_new_callback_on_a_loaded_model_keeps_the_sweeps_of_the_run_it_continues(tmp_path: Path) -> None:
    model = GoGePo("MlpPolicy", "CartPole-v1", **FAST)
    model.learn(250, callback=CommandSweepCallback(eval_freq=300, n_commands=2, n_eval_episodes=1, log_path=tmp_path))
    model.save(tmp_path / "model.zip")
    model.learn(
        400,
        callback=CommandSweepCallback(eval_freq=300, n_commands=2, n_eval_episodes=1, log_path=tmp_path),
        reset_num_timesteps=False,
    )  # went on past the checkpoint, then the process died
    _, rows = read_csv(tmp_path / SWEEP_CSV)
    assert [int(row["timesteps"]) for row in rows] == [250] * 2 + [550] * 2 + [650] * 2

    # A new process resumes from the checkpoint: the sweeps after it are dropped, the earlier ones stay.
    resumed = GoGePo.load(tmp_path / "model.zip", env=make_vec_env("CartPole-v1"))
    callback = CommandSweepCallback(eval_freq=300, n_commands=2, n_eval_episodes=1, log_path=tmp_path)
    resumed.learn(100, callback=callback, reset_num_timesteps=False)
    _, rows = read_csv(tmp_path / SWEEP_CSV)
    assert [int(row["timesteps"]) for row in rows] == [250] * 2 + [350] * 2
    assert [row["timesteps"] for row in callback.rows] == [250] * 2 + [350] * 2

    other = CommandSweepCallback(eval_freq=300, n_commands=2, n_eval_episodes=3, log_path=tmp_path)
    with pytest.raises(ValueError, match="another n_eval_episodes cannot continue it"):
        resumed.learn(100, callback=other, reset_num_timesteps=False)
    _, rows = read_csv(tmp_path / SWEEP_CSV)
    assert len(rows) == 4  # untouched


def test_sweeps_are_scheduled_from_the_models_step_count_at_every_learn(tmp_path: Path) -> None:
    model = GoGePo("MlpPolicy", "CartPole-v1", **FAST)
    model.learn(1000)
    late = CommandSweepCallback(eval_freq=500, n_commands=1, n_eval_episodes=1, sweep_on_training_end=False, verbose=0)
    model.learn(400, callback=late, reset_num_timesteps=False)  # a new callback on a continued run: next sweep at 1500
    assert late.rows == []

    reused = CommandSweepCallback(eval_freq=500, n_commands=1, n_eval_episodes=1, sweep_on_training_end=False, verbose=0)
    model = GoGePo("MlpPolicy", "CartPole-v1", **FAST)
    model.learn(1200, callback=reused)
    model.learn(1000, callback=reused)  # a fresh run (steps from 0 again): sweeps at 500 and 1000, the old ones gone
    assert [row["timesteps"] for row in reused.rows] == [500, 1000]


def test_a_callback_reused_for_a_new_run_starts_its_file_again(tmp_path: Path) -> None:
    # The rows of the run before stayed, and the next sweep wrote them back with the new run's after them.
    callback = CommandSweepCallback(
        "CartPole-v1", eval_freq=300, n_commands=2, n_eval_episodes=1, log_path=tmp_path, verbose=0
    )
    negated = gym.wrappers.TransformReward(gym.make("CartPole-v1"), lambda reward: -float(reward))  # returns below 0
    GoGePo("MlpPolicy", negated, **FAST).learn(650, callback=callback)
    _, rows = read_csv(tmp_path / SWEEP_CSV)
    assert [int(row["timesteps"]) for row in rows] == [300] * 2 + [600] * 2 + [650] * 2
    model = GoGePo("MlpPolicy", "CartPole-v1", **FAST).learn(400, callback=callback)
    _, rows = read_csv(tmp_path / SWEEP_CSV)
    assert [int(row["timesteps"]) for row in rows] == [row["timesteps"] for row in callback.rows] == [300] * 2 + [400] * 2
    assert model.policy_buffer is not None  # the grid spans this run's training returns, not the run's before
    returns = model.policy_buffer.returns[: model.policy_buffer.size()].numpy()
    np.testing.assert_allclose(callback.last_commands, [returns.min(), returns.max()], rtol=1e-5)


def test_a_single_return_gives_a_single_command() -> None:
    model = GoGePo("MlpPolicy", "Pendulum-v1", **FAST)
    callback = CommandSweepCallback(n_commands=20, n_eval_episodes=1, sweep_on_training_end=False, verbose=0)
    model.learn(200, callback=callback)  # exactly one episode: its return is stored in float32, best_return in float64
    assert model._episode_num == 1
    grid = callback.command_grid()
    assert grid is not None and grid.tolist() == pytest.approx([model.last_training_return], rel=1e-6)


def test_standalone_sweep_of_a_loaded_model(tmp_path: Path) -> None:
    GoGePo("MlpPolicy", "CartPole-v1", **FAST).learn(300).save(tmp_path / "model.zip")
    model = GoGePo.load(tmp_path / "model.zip")
    callback = CommandSweepCallback(make_vec_env("CartPole-v1", n_envs=1, seed=1), commands=[5.0, 50.0], n_eval_episodes=1)
    callback.init_callback(model)
    result = callback.sweep()
    assert result is not None and result[1].shape == (2, 1)


def test_a_sweep_whose_files_fail_to_write_halfway_leaves_the_previous_ones_whole(tmp_path: Path) -> None:
    model = GoGePo("MlpPolicy", "CartPole-v1", **FAST).learn(300)
    callback = CommandSweepCallback(commands=[5.0, 50.0], n_eval_episodes=1, log_path=tmp_path, verbose=0)
    callback.init_callback(model)
    callback.sweep()
    before = {name: (tmp_path / name).read_bytes() for name in (SWEEP_CSV, SWEEP_FIGURE)}
    with pytest.raises(OSError), disk_full_after(tmp_path / SWEEP_CSV, 20):  # less than a row
        callback.sweep()
    assert {name: (tmp_path / name).read_bytes() for name in (SWEEP_CSV, SWEEP_FIGURE)} == before


def test_sweep_runs_the_policy_generated_for_each_command(tmp_path: Path) -> None:
    """Fixed commands, swept once at the end: the returns are those of ``model.evaluate_commands``."""
    model = GoGePo("MlpPolicy", "CartPole-v1", **FAST)
    eval_env = make_vec_env("CartPole-v1", n_envs=1, seed=123)
    callback = CommandSweepCallback(eval_env, eval_freq=10_000, commands=[5.0, 50.0], n_eval_episodes=2, log_path=tmp_path)
    model.learn(300, callback=callback)
    _, rows = read_csv(tmp_path / SWEEP_CSV)
    assert [float(row["command"]) for row in rows] == [5.0, 50.0]
    assert {int(row["timesteps"]) for row in rows} == {300}
    expected = model.evaluate_commands(make_vec_env("CartPole-v1", n_envs=1, seed=123), [5.0, 50.0], n_eval_episodes=2)
    np.testing.assert_allclose(callback.last_returns, expected)


def test_survival_bonus_removed_from_achieved_returns(tmp_path: Path) -> None:
    model = GoGePo("MlpPolicy", "Hopper-v4", **FAST)
    assert model.training_return_offset == -1.0
    callback = CommandSweepCallback(eval_freq=200, n_commands=2, n_eval_episodes=1, log_path=tmp_path, verbose=0)
    model.learn(200, callback=callback)
    _, rows = read_csv(tmp_path / SWEEP_CSV)
    assert len(rows) == 2
    for row in rows:
        expected = float(row["mean_return"]) - float(row["mean_length"])
        assert float(row["mean_training_return"]) == pytest.approx(expected, abs=1e-4)


def test_a_sweep_of_a_model_loaded_without_env_uses_the_survival_bonus_of_the_swept_task(tmp_path: Path) -> None:
    GoGePo("MlpPolicy", "Hopper-v4", **FAST).learn(100).save(tmp_path / "hopper.zip")
    model = GoGePo.load(tmp_path / "hopper.zip")  # no env: nothing to resolve an automatic offset with
    model.set_logger(configure(None, []))
    sweep = CommandSweepCallback(eval_env="Hopper-v4", commands=[0.0, 50.0], n_eval_episodes=1, log_path=tmp_path)
    sweep.init_callback(model)
    sweep.sweep()
    for row in read_csv(tmp_path / SWEEP_CSV)[1]:
        assert float(row["mean_training_return"]) == pytest.approx(float(row["mean_return"]) - float(row["mean_length"]))


def test_without_matplotlib_sweeps_are_recorded_without_a_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    model = GoGePo("MlpPolicy", "CartPole-v1", **FAST)
    callback = CommandSweepCallback(eval_freq=200, n_commands=2, n_eval_episodes=1, log_path=tmp_path, verbose=0)
    with pytest.warns(UserWarning, match="matplotlib is not installed"):
        model.learn(200, callback=callback)
    assert len(read_csv(tmp_path / SWEEP_CSV)[1]) == 2 and not (tmp_path / SWEEP_FIGURE).exists()


def test_tensorboard_scalars_and_figure(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model = GoGePo("MlpPolicy", "CartPole-v1", tensorboard_log=str(tmp_path), **FAST)
    callback = CommandSweepCallback(eval_freq=200, n_commands=3, n_eval_episodes=1, verbose=0)
    model.learn(400, callback=callback)
    run = tmp_path / "GoGePo_1"
    # without log_path, the files go to the logger's folder
    assert callback.csv_path == str(run / SWEEP_CSV)
    _, rows = read_csv(run / SWEEP_CSV)
    assert len(rows) == 6

    events = EventAccumulator(str(run), size_guidance={"images": 0, "scalars": 0})
    events.Reload()
    scalars = set(events.Tags()["scalars"])
    for name in ["mean_abs_error", "lowest_command", "highest_command", "best_mean_return", "return_at_highest_command"]:
        assert f"command_sweep/{name}" in scalars
    assert [event.step for event in events.Scalars("command_sweep/mean_abs_error")] == [200, 400]
    assert "command_sweep/figure" in events.Tags()["images"]


def test_no_files_without_a_folder() -> None:
    model = GoGePo("MlpPolicy", "CartPole-v1", **FAST)
    callback = CommandSweepCallback("CartPole-v1", eval_freq=150, n_commands=2, n_eval_episodes=1, verbose=0)
    model.learn(150, callback=callback)
    assert callback.csv_path is None and len(callback.rows) == 2


def test_skips_before_the_first_episode(capsys: pytest.CaptureFixture[str]) -> None:
    model = GoGePo("MlpPolicy", "CartPole-v1", **FAST)
    callback = CommandSweepCallback(eval_freq=2, n_commands=2, n_eval_episodes=1, sweep_on_training_end=False)
    model.learn(4, callback=callback)
    assert "skipped: no episode has finished yet" in capsys.readouterr().out
    assert callback.rows == []


def test_vec_normalize_statistics_are_synced(tmp_path: Path) -> None:
    env = VecNormalize(make_vec_env("Pendulum-v1", n_envs=2, seed=0), norm_reward=False)
    model = GoGePo("MlpPolicy", env, **FAST)
    plain_eval_env = DummyVecEnv([lambda: gym.make("Pendulum-v1")])
    callbacks: list[BaseCallback] = [
        CommandSweepCallback(eval_freq=400, n_commands=2, n_eval_episodes=1, log_path=tmp_path / "auto", verbose=0),
        CommandSweepCallback(plain_eval_env, eval_freq=400, n_commands=2, n_eval_episodes=1, verbose=0),
    ]
    model.learn(400, callback=callbacks)
    for callback in callbacks:
        assert isinstance(callback, CommandSweepCallback)
        eval_env = callback.eval_env
        assert isinstance(eval_env, VecNormalize)
        assert not eval_env.training and not eval_env.norm_reward
        eval_rms, rms = eval_env.obs_rms, env.obs_rms
        assert isinstance(eval_rms, RunningMeanStd) and isinstance(rms, RunningMeanStd)
        np.testing.assert_allclose(eval_rms.mean, rms.mean)
        assert eval_rms.count == rms.count and eval_rms is not rms
        assert len(callback.rows) == 2
    _, rows = read_csv(tmp_path / "auto" / SWEEP_CSV)
    # true returns (Monitor), not normalised ones: Pendulum's are at most 0 and about -1000 at worst
    assert all(-2000 < float(row["mean_return"]) <= 0 for row in rows)


class _CompareStatistics(BaseCallback):
    """After every sweep: the statistics its evaluation env normalised with, next to the training env's of that moment."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[RunningMeanStd, RunningMeanStd]] = []

    def _on_step(self) -> bool:
        assert isinstance(self.parent, CommandSweepCallback) and isinstance(self.parent.eval_env, VecNormalize)
        training = self.model.get_vec_normalize_env()
        assert training is not None
        evaluation, current = self.parent.eval_env.obs_rms, training.obs_rms
        assert isinstance(evaluation, RunningMeanStd) and isinstance(current, RunningMeanStd)
        self.seen.append((copy.deepcopy(evaluation), copy.deepcopy(current)))
        return True


@pytest.mark.parametrize("vec_monitor", [False, True], ids=["VecNormalize", "VecNormalize over VecMonitor"])
def test_every_sweep_evaluates_with_the_training_statistics_of_its_moment(vec_monitor: bool) -> None:
    """Also when the evaluation env made from the spec is not wrapped as the training env (SB3's
    ``sync_envs_normalization`` asserts that both envs are wrapped alike)."""
    venv = DummyVecEnv([lambda: gym.make("Pendulum-v1")])
    env = VecNormalize(VecMonitor(venv) if vec_monitor else venv, norm_reward=False)
    model = GoGePo("MlpPolicy", env, **FAST)
    after = _CompareStatistics()
    callback = CommandSweepCallback(eval_freq=400, n_commands=2, n_eval_episodes=1, verbose=0, callback_after_sweep=after)
    model.learn(1200, callback=callback)
    assert len(after.seen) == 3
    for evaluation, training in after.seen:
        np.testing.assert_array_equal(evaluation.mean, training.mean)
        np.testing.assert_array_equal(evaluation.var, training.var)
        assert evaluation.count == training.count
    assert after.seen[0][1].count < after.seen[-1][1].count


def test_zoo_style_eval_callback_works_for_gogepo(tmp_path: Path) -> None:
    """SB3's EvalCallback, as rl-zoo3 uses it, on a VecNormalize-wrapped training env."""
    env = VecNormalize(make_vec_env("Pendulum-v1", n_envs=1, seed=0), norm_reward=False)
    eval_env = VecNormalize(make_vec_env("Pendulum-v1", n_envs=1, seed=1), training=False, norm_reward=False)
    model = GoGePo("MlpPolicy", env, **FAST)
    callback = EvalCallback(
        eval_env, eval_freq=200, n_eval_episodes=1, log_path=str(tmp_path), best_model_save_path=str(tmp_path)
    )
    model.learn(400, callback=callback)
    assert (tmp_path / "best_model.zip").is_file()
    assert list(np.load(tmp_path / "evaluations.npz")["timesteps"]) == [200, 400]
    eval_rms, rms = eval_env.obs_rms, env.obs_rms
    assert isinstance(eval_rms, RunningMeanStd) and isinstance(rms, RunningMeanStd)
    np.testing.assert_allclose(eval_rms.mean, rms.mean)
    GoGePo.load(tmp_path / "best_model.zip")


def test_multiple_envs_count_steps(tmp_path: Path) -> None:
    model = GoGePo("MlpPolicy", make_vec_env("CartPole-v1", n_envs=3, seed=0), **FAST)
    callback = CommandSweepCallback(eval_freq=200, n_commands=2, n_eval_episodes=1, log_path=tmp_path, verbose=0)
    model.learn(600, callback=callback)
    _, rows = read_csv(tmp_path / SWEEP_CSV)
    assert sorted({int(row["timesteps"]) for row in rows}) == [201, 402, 600]


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(eval_freq=0), "eval_freq"),
        (dict(n_commands=0), "n_commands"),
        (dict(n_eval_episodes=0), "n_eval_episodes"),
        (dict(commands=[]), "commands"),
        (dict(commands=[1.0, np.nan]), "commands"),
        # Before: "no" meant yes, "1" failed after the first sweep, a function failed at learn() with an AttributeError.
        (dict(sweep_on_training_end="no"), "sweep_on_training_end"),
        (dict(verbose="1"), "verbose"),
        (dict(log_path=3), "log_path"),
        (dict(callback_after_sweep=lambda: True), "callback_after_sweep"),
    ],
)
def test_invalid_arguments_are_refused_naming_them(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises((ValueError, TypeError), match=name):
        CommandSweepCallback(**kwargs)


def test_needs_a_command_conditioned_model() -> None:
    model = PPO("MlpPolicy", "CartPole-v1", n_steps=16, batch_size=16)
    with pytest.raises(TypeError, match="command-conditioned"):
        model.learn(16, callback=CommandSweepCallback(eval_freq=8))


class _StopAfterSweeps(BaseCallback):
    """Sees every sweep through its parent, and stops training after the second."""

    def __init__(self) -> None:
        super().__init__()
        self.sweeps: list[int] = []

    def _on_step(self) -> bool:
        assert isinstance(self.parent, CommandSweepCallback)
        self.sweeps.append(self.parent.num_timesteps)
        return len(self.sweeps) < 2


def test_a_callback_after_each_sweep_sees_it_and_can_stop_training_as_with_sb3s_eval_callback() -> None:
    model = GoGePo("MlpPolicy", "CartPole-v1", **FAST)
    after = _StopAfterSweeps()
    callback = CommandSweepCallback(eval_freq=200, n_commands=1, n_eval_episodes=1, verbose=0, callback_after_sweep=after)
    model.learn(2000, callback=callback)
    assert after.sweeps == [200, 400]
    assert model.num_timesteps < 2000 and len(callback.rows) == 2
