"""The user-facing behaviour of GoGePo, point by point as an SB3 user relies on it."""

import io
import math
import shutil
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
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
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from sb3_gogepo import GeneratedPolicy, GoGePo, GoGePoPolicy
from sb3_gogepo.gogepo import CXX_COMPILERS
from tests.conftest import SMALL_POLICY, small_kwargs

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


class _BoundsEnv(gym.Env):
    """Observations in R^2, actions in an arbitrary Box; episodes of 20 steps; reward = -|a - target|."""

    def __init__(self, action_space: spaces.Space) -> None:
        self.observation_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.action_space = action_space
        self._t = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._t = 0
        return self.observation_space.sample(), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        self._t += 1
        reward = -float(np.abs(np.asarray(action, dtype=np.float64)).sum())
        return self.observation_space.sample(), reward, False, self._t >= 20, {}


@pytest.mark.parametrize(
    "low, high",
    [([0.0, -3.0], [10.0, 1.0]), ([-1.0, -1.0], [1.0, 1.0]), ([-200.0, 100.0], [-100.0, 100.5])],
)
def test_box_actions_with_any_bounds(low: list[float], high: list[float]) -> None:
    action_space = spaces.Box(np.array(low, np.float32), np.array(high, np.float32))
    model = GoGePo(_BoundsEnv(action_space), **small_kwargs(noise_std=3.0), seed=0)
    model.learn(200)
    actions, _ = model.predict(np.random.uniform(-1, 1, (50, 2)).astype(np.float32))
    assert (actions >= action_space.low).all() and (actions <= action_space.high).all()
    assert np.ptp(actions, axis=0).min() > 0  # the outputs span the box, not one corner


class _ShapeCheckingEnv(_BoundsEnv):
    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        assert np.shape(action) == self.action_space.shape and self.action_space.contains(action.astype(np.float32))
        return super().step(action)


@pytest.mark.parametrize("n_envs", [1, 3])
def test_box_actions_of_any_shape_reach_the_env_in_that_shape(n_envs: int) -> None:
    env = make_vec_env(_ShapeCheckingEnv, n_envs=n_envs, env_kwargs=dict(action_space=spaces.Box(-1, 1, (2, 3))))
    model = GoGePo(env, **small_kwargs(), seed=0).learn(60)
    assert model.predict(np.zeros((4, 2), np.float32))[0].shape == (4, 2, 3)


class _MatrixEnv(_ShapeCheckingEnv):
    def __init__(self, action_space: spaces.Space) -> None:
        super().__init__(action_space)
        self.observation_space = spaces.Box(-1.0, 1.0, (2, 3), np.float32)


def test_the_exported_policy_takes_and_gives_the_spaces_shapes_as_predict_does() -> None:
    model = GoGePo(_MatrixEnv(spaces.Box(-1, 1, (2, 2))), **small_kwargs(), seed=0).learn(60)
    module = model.generate_policy()
    observations = np.random.default_rng(0).uniform(-1, 1, (5, 2, 3)).astype(np.float32)
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


# ----------------------------------------------------------------------------- vectorised envs


def test_each_env_slot_runs_its_own_policy_from_one_batched_forward() -> None:
    model = GoGePo(make_vec_env("Pendulum-v1", n_envs=3), **small_kwargs(), seed=0)
    calls = []
    model.learn(30)
    actor = model._actor
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
    env = make_vec_env(_BoundsEnv, n_envs=n_envs, env_kwargs=dict(action_space=spaces.Box(-1, 1, (1,))))
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
    env = make_vec_env(_BoundsEnv, env_kwargs=dict(action_space=spaces.Box(-1, 1, (1,))))
    events = _Events()
    GoGePo(env, **small_kwargs(), seed=0).learn(60, callback=events)
    assert events.events == (["start"] + ["step"] * 20 + ["end"]) * 3


class _FiveStepEnv(_BoundsEnv):
    """Episodes of 5 steps paying 1 per step: every training return is 5."""

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, _, _, _, info = super().step(action)
        return obs, 1.0, False, self._t >= 5, info


def test_a_run_stopped_by_a_callback_continues_without_merging_episodes() -> None:
    model = GoGePo(_FiveStepEnv(spaces.Box(-1, 1, (1,))), **small_kwargs(), seed=0)
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
    model = GoGePo(_FiveStepEnv(spaces.Box(-1, 1, (1,))), **small_kwargs(), seed=0)
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


# ----------------------------------------------------------------------------- acting and commands


def _trained(**overrides) -> GoGePo:
    return GoGePo("Pendulum-v1", **small_kwargs(**overrides), seed=0).learn(1000)


def test_predict_acts_with_the_noise_free_policy_for_the_best_return() -> None:
    model = _trained()
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


def test_a_command_selects_a_different_generated_policy() -> None:
    model = _trained()
    observations = np.random.uniform(-1, 1, (7, 3)).astype(np.float32)
    low, _ = model.predict(observations, command=-1500.0)
    high, _ = model.predict(observations, command=0.0)
    assert not np.allclose(low, high)


def test_generated_policy_is_a_standalone_module(tmp_path) -> None:
    model = _trained()
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


def test_exporting_and_predicting_leave_torchs_random_generator_alone() -> None:
    # A callback that exports or acts during learn must not shift the run's later noise and buffer samples.
    model = _trained()
    state = th.random.get_rng_state()
    model.generate_policy(-300.0)
    model.predict(np.zeros(3, dtype=np.float32), command=-200.0)
    assert th.equal(th.random.get_rng_state(), state)


def test_evaluate_commands_returns_achieved_returns_per_command_and_episode() -> None:
    model = _trained()
    returns = model.evaluate_commands("Pendulum-v1", [-1000.0, -500.0, -100.0], n_eval_episodes=2)
    assert returns.shape == (3, 2)
    assert (returns < 0).all() and (returns > -2000).all()


def test_evaluate_commands_normalises_observations_as_training_did() -> None:
    training_env = VecNormalize(make_vec_env("Pendulum-v1"), norm_obs=True, norm_reward=False, clip_obs=0.5)
    model = GoGePo(training_env, **small_kwargs(), seed=0).learn(600)
    raw, by_hand = gym.make("Pendulum-v1"), gym.make("Pendulum-v1")
    raw.reset(seed=3), by_hand.reset(seed=3)
    normalized = VecNormalize(DummyVecEnv([lambda: Monitor(by_hand)]), training=False, norm_reward=False, clip_obs=0.5)
    normalized.obs_rms = training_env.obs_rms.copy()
    commands = [-1000.0, -200.0]
    np.testing.assert_array_equal(model.evaluate_commands(raw, commands, 2), model.evaluate_commands(normalized, commands, 2))


# ----------------------------------------------------------------------------- save / load


def test_save_load_restores_everything_needed_to_continue(tmp_path) -> None:
    model = _trained()
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
    model = _trained()
    model.save(tmp_path / "model.zip", include=["policy_buffer"])
    loaded = GoGePo.load(tmp_path / "model.zip", buffer_size=3)
    assert model.policy_buffer is not None and loaded.policy_buffer is not None
    assert loaded.policy_buffer.size() == 3 and loaded.policy_buffer.buffer_size == 3
    assert th.equal(loaded.policy_buffer.ordered()[1], model.policy_buffer.ordered()[1][-3:])
    whole = GoGePo.load(tmp_path / "model.zip", include=[]).policy_buffer
    assert whole is not None and whole.size() == model.policy_buffer.size()


def test_policy_buffers_save_to_and_load_from_file_objects(tmp_path) -> None:
    model = _trained()
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
    model = _trained(policy_kwargs=dict(SMALL_POLICY, optimizer_kwargs=dict(betas=(0.8, 0.9))))
    model.policy.save(tmp_path / "policy.pth")
    loaded = GoGePoPolicy.load(tmp_path / "policy.pth")
    observations = np.random.default_rng(0).uniform(-1, 1, (5, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(observations)[0], model.policy.predict(observations)[0])
    assert float(loaded.best_return) == float(model.policy.best_return)
    assert loaded.generator_optimizer.defaults["betas"] == (0.8, 0.9)


def test_get_and_set_parameters_follow_sb3(tmp_path) -> None:
    model, other = _trained(), GoGePo("Pendulum-v1", **small_kwargs(), seed=1)
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


# ----------------------------------------------------------------------------- reproducibility


def test_same_seed_same_run() -> None:
    def run() -> GoGePo:
        return GoGePo("Pendulum-v1", **small_kwargs(), seed=7).learn(2000)

    first, second = run(), run()
    assert first.policy_buffer is not None and second.policy_buffer is not None
    assert th.equal(first.policy_buffer.ordered()[1], second.policy_buffer.ordered()[1])
    assert th.equal(first.policy_buffer.ordered()[0], second.policy_buffer.ordered()[0])
    for name, tensor in first.policy.state_dict().items():
        assert th.equal(tensor, second.policy.state_dict()[name]), name
    third = GoGePo("Pendulum-v1", **small_kwargs(), seed=8).learn(2000)
    assert third.policy_buffer is not None
    assert not th.equal(first.policy_buffer.ordered()[1], third.policy_buffer.ordered()[1])


# ----------------------------------------------------------------------------- survival bonus


def test_survival_bonus_is_removed_from_training_returns_only() -> None:
    model = GoGePo("Hopper-v3", **small_kwargs(), seed=0).learn(300)
    assert model.policy_buffer is not None and model.ep_info_buffer is not None
    stored = model.policy_buffer.ordered()[1].numpy()
    true_returns = np.array([info["r"] for info in model.ep_info_buffer])
    lengths = np.array([info["l"] for info in model.ep_info_buffer])
    np.testing.assert_allclose(stored, true_returns - lengths, rtol=1e-4, atol=1e-3)


def test_alive_bonus_offset_overrides_the_default() -> None:
    model = GoGePo("Hopper-v4", alive_bonus_offset=0.0, **small_kwargs(), seed=0).learn(300)
    assert model.policy_buffer is not None and model.ep_info_buffer is not None
    np.testing.assert_allclose(
        model.policy_buffer.ordered()[1].numpy(), [info["r"] for info in model.ep_info_buffer], rtol=1e-4, atol=1e-3
    )


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


@pytest.mark.parametrize("command", [math.nan, math.inf, -math.inf, 1e40])
def test_commands_that_are_not_finite_float32_numbers_are_refused(command: float) -> None:
    model = _trained()
    with pytest.raises(ValueError, match="finite number"):
        model.predict(np.zeros(3, np.float32), command=command)
    with pytest.raises(ValueError, match="finite number"):
        model.generate_policy(command)
    with pytest.raises(ValueError, match="finite number"):
        model.evaluate_commands("Pendulum-v1", [0.0, command], n_eval_episodes=1)


def test_unknown_policy_alias_is_named() -> None:
    with pytest.raises(ValueError, match="CnnPolicy"):
        GoGePo("CnnPolicy", "Pendulum-v1")


class _NaNRewardEnv(_BoundsEnv):
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


class _NaNObservationEnv(_BoundsEnv):
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


# ----------------------------------------------------------------------------- fast mode


def test_fast_mode_computes_the_same_losses_as_the_exact_mode_within_bf16_tolerance() -> None:
    exact = GoGePo("Pendulum-v1", **small_kwargs(policy_kwargs={**SMALL_POLICY, "net_arch": [64, 64]}), seed=0)
    fast = GoGePo(
        "Pendulum-v1",
        **small_kwargs(policy_kwargs={**SMALL_POLICY, "net_arch": [64, 64]}),
        seed=0,
        update_precision="bfloat16",
    )
    fast.policy.load_state_dict(exact.policy.state_dict())
    params = exact.policy.generate(th.linspace(-1500, 0, 8)).detach()
    with fast._autocast():
        fast_values = fast.policy.evaluator(params).float()
    exact_values = exact.policy.evaluator(params)
    th.testing.assert_close(fast_values, exact_values, rtol=0.05, atol=0.02)
    with fast._autocast():
        fast_params = fast.policy.generate(th.linspace(-1500, 0, 8)).float()
    th.testing.assert_close(fast_params, params, rtol=0.05, atol=0.01)


def test_fast_mode_trains() -> None:
    model = GoGePo(
        "Pendulum-v1",
        **small_kwargs(update_precision="bfloat16", policy_kwargs={**SMALL_POLICY, "separate_bias_networks": False}),
        seed=0,
    ).learn(600)
    assert model.policy_buffer is not None and model.policy_buffer.size() == 3
    assert all(th.isfinite(p).all() for p in model.policy.parameters())


def test_update_precision_is_validated() -> None:
    with pytest.raises(ValueError, match="update_precision"):
        GoGePo("Pendulum-v1", update_precision="float16")


# ----------------------------------------------------------------------------- compiled updates

needs_cxx_compiler = pytest.mark.skipif(
    not any(shutil.which(name) for name in CXX_COMPILERS), reason="torch.compile needs a C++ compiler"
)


def _filled(**kwargs: Any) -> GoGePo:
    model = GoGePo("Pendulum-v1", **small_kwargs(**kwargs), seed=0)
    model.set_logger(configure(None, []))
    assert model.policy_buffer is not None
    with th.no_grad():
        params = model.policy.generate(th.linspace(-1500, 0, 12))
    for index in range(12):
        model.policy_buffer.add(params[index] + 0.1 * th.randn_like(params[index]), -1500.0 + 120 * index)
    model._current_progress_remaining = 1.0
    return model


@needs_cxx_compiler
def test_compiled_update_block_computes_what_the_eager_block_computes() -> None:
    eager, compiled = _filled(), _filled(compile_updates=True)
    compiled.policy.load_state_dict(eager.policy.state_dict())
    for _ in range(2):
        for model in (eager, compiled):
            th.manual_seed(1)
            model.train()
    for (name, value), compiled_value in zip(eager.policy.state_dict().items(), compiled.policy.state_dict().values()):
        th.testing.assert_close(compiled_value, value, rtol=1e-4, atol=1e-5, msg=name)
    assert compiled._update_steps is not None and compiled._update_steps[0] is not compiled._evaluate_params


@needs_cxx_compiler
def test_a_model_with_compiled_updates_saves_loads_and_trains(tmp_path: Path) -> None:
    model = GoGePo("Pendulum-v1", **small_kwargs(compile_updates=True), seed=0).learn(400)
    model.save(tmp_path / "model")
    loaded = GoGePo.load(tmp_path / "model", env=gym.make("Pendulum-v1"))
    assert loaded.compile_updates and loaded._update_steps is None
    loaded.learn(400, reset_num_timesteps=False)
    assert all(th.isfinite(p).all() for p in loaded.policy.parameters())


def test_compile_updates_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="compile_updates must be True or False"):
        GoGePo("Pendulum-v1", compile_updates="yes")  # type: ignore[arg-type]
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ValueError, match="C\\+\\+ compiler"):
        GoGePo("Pendulum-v1", compile_updates=True)


def test_a_compiled_mode_model_loads_without_a_compiler_and_says_so_when_it_trains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    GoGePo(_FiveStepEnv(spaces.Box(-1, 1, (1,))), **small_kwargs(), compile_updates=True).save(tmp_path / "model")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    model = GoGePo.load(tmp_path / "model", env=_FiveStepEnv(spaces.Box(-1, 1, (1,))))  # e.g. to predict
    model.predict(model.observation_space.sample())
    with pytest.raises(ValueError, match="C\\+\\+ compiler"):
        model.learn(5)  # the first update block, before any compilation
