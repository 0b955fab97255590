"""``learn``: callbacks, stopping, progress bar and the logger's keys, as SB3 users rely on them."""

import csv
from typing import Any

import gymnasium as gym
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.callbacks import (
    BaseCallback,
    CheckpointCallback,
    EvalCallback,
    StopTrainingOnMaxEpisodes,
    StopTrainingOnRewardThreshold,
)
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.logger import configure
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

from sb3_gogepo import GoGePo
from tests.conftest import BoundsEnv, FiveStepEnv, small_kwargs

# ----------------------------------------------------------------------------- learn(), callbacks and logging


class _Events(BaseCallback):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def _on_rollout_start(self) -> None:
        self.events.append("start")

    def _on_rollout_end(self) -> None:
        self.events.append("end")

    def _on_step(self) -> bool:
        self.events.append("step")
        return True


def test_callbacks_see_every_step_and_rollouts_around_episodes() -> None:
    env = make_vec_env(BoundsEnv, env_kwargs=dict(action_space=spaces.Box(-1, 1, (1,))))
    events = _Events()
    GoGePo(env, **small_kwargs(), seed=0).learn(60, callback=events)
    assert events.events == (["start"] + ["step"] * 20 + ["end"]) * 3


def test_a_run_stopped_by_a_callback_continues_without_merging_episodes() -> None:
    model = GoGePo(FiveStepEnv(spaces.Box(-1, 1, (1,))), **small_kwargs(), seed=0)
    model.learn(1000, callback=StopTrainingOnMaxEpisodes(max_episodes=2))  # stops on the step that ends episode 2
    assert model.num_timesteps == 10
    model.learn(12, reset_num_timesteps=False)
    assert model.policy_buffer is not None
    assert model.policy_buffer.ordered()[1].tolist() == [5.0, 5.0, 5.0, 5.0]
    assert model.num_timesteps == 22 and model._episode_num == 4


class _StopAtFirstEpisodeEnd(BaseCallback):
    """Stops training on the step that ends the first episode, and keeps the model as it was then."""

    def _on_step(self) -> bool:
        if not self.locals["dones"].any():
            return True
        policy: Any = self.model.policy
        networks = [policy.generator, policy.evaluator]
        self.weights = [parameter.detach().clone() for network in networks for parameter in network.parameters()]
        self.n_updates = self.model._n_updates
        return False


def test_no_update_block_runs_after_a_callback_stops_training() -> None:
    model = GoGePo(FiveStepEnv(spaces.Box(-1, 1, (1,))), **small_kwargs(), seed=0)
    stop = _StopAtFirstEpisodeEnd()
    model.learn(1000, callback=stop)
    assert model.policy_buffer is not None and model.policy_buffer.size() == 1  # the finished episode is stored
    assert model._n_updates == stop.n_updates == 0
    networks = [model.policy.generator, model.policy.evaluator]
    weights = [parameter for network in networks for parameter in network.parameters()]
    assert all(th.equal(now, then) for now, then in zip(weights, stop.weights, strict=True))


def test_sb3_callbacks_and_progress_bar(tmp_path) -> None:
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0)
    stop = StopTrainingOnRewardThreshold(reward_threshold=-1e9)
    evaluation = EvalCallback(
        make_vec_env("Pendulum-v1"), eval_freq=400, n_eval_episodes=1, log_path=str(tmp_path), callback_on_new_best=stop
    )
    checkpoint = CheckpointCallback(save_freq=200, save_path=str(tmp_path / "ckpt"))
    model.learn(2000, callback=[checkpoint, evaluation], progress_bar=True)
    assert model.num_timesteps == 400  # stopped by the threshold at the first evaluation
    assert (tmp_path / "evaluations.npz").exists()
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["rl_model_200_steps.zip", "rl_model_400_steps.zip"]
    GoGePo.load(tmp_path / "ckpt" / "rl_model_400_steps.zip")


def test_logger_records_rollout_train_and_time_keys(tmp_path) -> None:
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0)
    model.set_logger(configure(str(tmp_path), ["csv", "tensorboard"]))
    model.learn(800, log_interval=1)
    header = (tmp_path / "progress.csv").read_text().splitlines()[0].split(",")
    for key in [
        "rollout/ep_rew_mean",
        "rollout/ep_len_mean",
        "rollout/best_return",
        "train/command",
        "train/evaluator_loss",
        "train/generator_loss",
        "train/n_updates",
        "train/learning_rate",
        "train/evaluator_learning_rate",
        "time/fps",
    ]:
        assert key in header
    assert list(tmp_path.glob("events.out.tfevents.*"))


def test_the_logged_command_is_the_one_the_next_episodes_are_generated_for(tmp_path) -> None:
    # It was logged before the episode's return could raise the best, so it lagged whenever the best rose (from the first
    # episode on, where it was the initial command).
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0)
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(1600, log_interval=1)
    rows = list(csv.DictReader((tmp_path / "progress.csv").open()))
    assert len(rows) == 8
    for row in rows:
        assert float(row["train/command"]) == pytest.approx(float(row["rollout/best_return"]) + model.command_drive)
    assert float(rows[-1]["train/command"]) == pytest.approx(model.command)


class _ReportsSuccess(gym.Wrapper):
    """Pendulum that reports ``is_success`` at the end of every other episode, as goal-reaching tasks do."""

    episodes = 0

    def step(self, action):  # type: ignore[no-untyped-def]
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated or truncated:
            _ReportsSuccess.episodes += 1
            info["is_success"] = _ReportsSuccess.episodes % 2 == 0
        return obs, reward, terminated, truncated, info


def test_logger_records_the_success_rate_of_envs_that_report_it(tmp_path) -> None:
    model = GoGePo(DummyVecEnv([lambda: Monitor(_ReportsSuccess(gym.make("Pendulum-v1")))]), **small_kwargs(), seed=0)
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(800, log_interval=4)
    header, row = (tmp_path / "progress.csv").read_text().splitlines()[:2]
    assert dict(zip(header.split(","), row.split(",")))["rollout/success_rate"] == "0.5"
