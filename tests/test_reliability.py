"""Nothing lost, nothing silent: saves that fail halfway, interrupted training, bad numbers and bad arguments."""

import errno
import io
import itertools
import math
import os
import re
import stat
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import DummyVecEnv

from sb3_gogepo import CommandedPolicy, GoGePo, GoGePoPolicy
from tests.conftest import SMALL_POLICY, small_kwargs

# ----------------------------------------------------------------------------- atomic saves


def _half_then_disk_full(data: bytes, file: Any) -> None:
    if isinstance(file, (str, os.PathLike)):
        with open(file, "wb") as opened:
            _half_then_disk_full(data, opened)
    file.write(data[: len(data) // 2])
    raise OSError(errno.ENOSPC, "No space left on device")


def _failing_torch_save(save: Callable[..., Any]) -> Callable[..., None]:
    def save_half(obj: Any, file: Any, *args: Any, **kwargs: Any) -> None:
        data = io.BytesIO()
        save(obj, data, *args, **kwargs)
        _half_then_disk_full(data.getvalue(), file)

    return save_half


def _failing_savez(savez: Callable[..., Any]) -> Callable[..., None]:
    def savez_half(file: Any, **arrays: Any) -> None:
        data = io.BytesIO()
        savez(data, **arrays)
        _half_then_disk_full(data.getvalue(), file)

    return savez_half


#: For each writer: save, what the saved file loads as, the function that writes it (module, name, its failing
#: replacement) and the file's name.
SAVES: dict[str, tuple[Callable[[GoGePo, Path], None], Callable[[Path], Any], Any, str, Callable[..., Any], str]] = {
    "model": (
        lambda model, path: model.save(path),
        lambda path: GoGePo.load(path).num_timesteps,
        th,
        "save",
        _failing_torch_save,
        "model.zip",
    ),
    "policy": (
        lambda model, path: model.policy.save(path),
        lambda path: float(GoGePoPolicy.load(str(path)).best_return),
        th,
        "save",
        _failing_torch_save,
        "policy.pth",
    ),
    "commanded policy": (
        lambda model, path: model.policy.commanded(-50.0).save(path),
        lambda path: float(CommandedPolicy.load(path).policy.best_return),
        th,
        "save",
        _failing_torch_save,
        "commanded.pth",
    ),
    "policy buffer": (
        lambda model, path: model.save_policy_buffer(path),
        lambda path: _buffer_size(path),
        np,
        "savez",
        _failing_savez,
        "buffer.npz",
    ),
}


def _buffer_size(path: Path) -> int:
    model = GoGePo("Pendulum-v1", **small_kwargs())
    model.load_policy_buffer(path)
    assert model.policy_buffer is not None
    return model.policy_buffer.size()


@pytest.mark.parametrize("writer", list(SAVES))
def test_a_save_that_fails_halfway_leaves_the_previous_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    save, load, module, function, failing, name = SAVES[writer]
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0).learn(400)
    path = tmp_path / name
    save(model, path)
    saved = load(path)
    model.learn(400, reset_num_timesteps=False)  # the next save would hold something else
    monkeypatch.setattr(module, function, failing(getattr(module, function)))
    with pytest.raises(OSError, match="No space left"):
        save(model, path)
    monkeypatch.undo()
    assert load(path) == saved
    assert os.listdir(tmp_path) == [name]  # no half-written temporary file left behind


@pytest.mark.parametrize("writer", list(SAVES))
def test_a_save_writes_through_a_symbolic_link_and_keeps_the_files_permissions(tmp_path: Path, writer: str) -> None:
    save, load, *_, name = SAVES[writer]
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0).learn(400)
    target, link = tmp_path / "runs" / name, tmp_path / f"latest_{name}"
    save(model, target)
    saved = target.read_bytes()
    target.chmod(0o600)
    link.symlink_to(target)
    model.learn(400, reset_num_timesteps=False)
    save(model, link)
    assert link.is_symlink() and target.read_bytes() != saved  # as open(link, "wb"): before, the link became a file
    load(link)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_save_onto_a_loop_of_links_is_refused_as_open_refuses_it(tmp_path: Path) -> None:
    (tmp_path / "a.zip").symlink_to(tmp_path / "b.zip")
    (tmp_path / "b.zip").symlink_to(tmp_path / "a.zip")
    with pytest.raises(OSError, match="symbolic links"):
        GoGePo("Pendulum-v1", **small_kwargs()).save(tmp_path / "a.zip")
    assert (tmp_path / "a.zip").is_symlink() and sorted(os.listdir(tmp_path)) == ["a.zip", "b.zip"]


@pytest.mark.parametrize("writer", list(SAVES))
def test_a_save_onto_a_file_that_may_not_be_written_is_refused_and_leaves_it_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    save, load, *_, name = SAVES[writer]
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0).learn(400)
    path = tmp_path / name
    save(model, path)
    saved = load(path)
    path.chmod(0o444)
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # root may write any file: play a user who may not
        monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    model.learn(400, reset_num_timesteps=False)
    with pytest.raises(PermissionError, match=name):
        save(model, path)
    monkeypatch.undo()
    assert load(path) == saved
    assert os.listdir(tmp_path) == [name]


# ----------------------------------------------------------------------------- interrupted training


class _FiveStepEnv(gym.Env):
    """Episodes of 5 steps paying 1 per step: every training return is 5."""

    observation_space = spaces.Box(-1, 1, (1,))
    action_space = spaces.Box(-1, 1, (1,))

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._t = 0
        return np.zeros(1, np.float32), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        self._t += 1
        return np.zeros(1, np.float32), 1.0, False, self._t >= 5, {}


class _InterruptAtFirstEpisodeEnd(BaseCallback):
    """Ctrl-C on the step that ends the first episodes (after the env has stepped)."""

    def _on_step(self) -> bool:
        if self.locals["dones"].any() and self.model._episode_num == 0:
            raise KeyboardInterrupt
        return True


@pytest.mark.parametrize("n_envs", [1, 2])
@pytest.mark.parametrize("where", ["update block", "callback"])
def test_training_interrupted_anywhere_continues_without_merging_episodes(
    monkeypatch: pytest.MonkeyPatch, n_envs: int, where: str
) -> None:
    model = GoGePo(DummyVecEnv([_FiveStepEnv] * n_envs), **small_kwargs(), seed=0)
    callback = None
    if where == "update block":
        monkeypatch.setattr(model.policy.evaluator_optimizer, "step", _raise_keyboard_interrupt)
    else:
        callback = _InterruptAtFirstEpisodeEnd()
    with pytest.raises(KeyboardInterrupt):
        model.learn(1000, callback=callback)
    monkeypatch.undo()
    assert model.num_timesteps == 5 * n_envs  # every slot ended its first episode on that step
    model.learn(10 * n_envs, reset_num_timesteps=False)  # two more episodes per slot
    assert model.policy_buffer is not None
    assert model.policy_buffer.ordered()[1].tolist() == [5.0] * 3 * n_envs  # none holds two episodes' sum
    assert float(model.policy.best_return) == 5.0 and model._episode_num == 3 * n_envs


def _raise_keyboard_interrupt(*args: Any, **kwargs: Any) -> None:
    raise KeyboardInterrupt


# ----------------------------------------------------------------------------- bad numbers


class _OneBadNumberEnv(_FiveStepEnv):
    """Episodes of 5 steps paying 1 per step, but the third step of the second episode pays or observes ``value``."""

    def __init__(self, value: float, where: str) -> None:
        self.value, self.where, self.episode = value, where, 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        self.episode += 1
        return super().reset(seed=seed)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = super().step(action)
        if self.episode == 2 and self._t == 3:
            if self.where == "reward":
                reward = self.value
            else:
                obs = np.full_like(obs, self.value)
        return obs, reward, terminated, truncated, info


@pytest.mark.parametrize("reward", [1e18, 1e30, -1e30])
def test_a_return_too_large_to_train_on_is_dropped_with_a_warning_naming_it(reward: float) -> None:
    model = GoGePo(_OneBadNumberEnv(reward, "reward"), **small_kwargs(), seed=0)
    with pytest.warns(RuntimeWarning, match=rf"Episode 2 \(step 10\) .*{re.escape(f'{reward:g}')}.*1e\+15"):
        model.learn(20)
    assert model.policy_buffer is not None
    assert model.policy_buffer.ordered()[1].tolist() == [5.0, 5.0, 5.0]  # the three others
    assert float(model.policy.best_return) == 5.0 and model.n_dropped_episodes == 1
    model.learn(20, reset_num_timesteps=False)  # later training is not affected
    assert model.policy_buffer.size() == 7


def test_an_observation_too_large_to_train_on_is_left_out_of_the_statistics_with_a_warning_naming_it() -> None:
    model = GoGePo(_OneBadNumberEnv(1e30, "observation"), **small_kwargs(), seed=0)
    with pytest.warns(RuntimeWarning, match=r"Episode 2 \(step 10\): 1 training observation.*1e\+30.*1e\+15"):
        model.learn(20)
    normalizer = model.policy.observation_normalizer
    assert normalizer.count == 19 and float(normalizer.std.max()) < 1.0  # the observations are all 0 but that one


@pytest.mark.parametrize(("array", "value", "message"), [("returns", 1e30, r"1e\+30"), ("params", math.nan, "NaN")])
def test_a_policy_buffer_file_with_entries_that_cannot_be_trained_on_is_refused(
    tmp_path: Path, array: str, value: float, message: str
) -> None:
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0)
    assert model.policy_buffer is not None
    model.policy_buffer.add(th.zeros(model.policy_buffer.n_params), 1.0)
    model.save_policy_buffer(tmp_path / "buffer.npz")
    with np.load(tmp_path / "buffer.npz") as data:
        arrays = dict(data)
    arrays[array] = np.full_like(arrays[array], value)
    np.savez(tmp_path / "crafted.npz", **arrays)
    with pytest.raises(ValueError, match=rf"crafted\.npz.*{message}"):
        model.load_policy_buffer(tmp_path / "crafted.npz")
    assert model.policy_buffer.ordered()[1].tolist() == [1.0]  # unchanged


@pytest.mark.parametrize("name", ["command_drive", "initial_command"])
def test_commands_too_large_to_train_on_are_refused_at_construction(name: str) -> None:
    with pytest.raises(ValueError, match=rf"{name} must be .* at most 1e\+15"):
        GoGePo("Pendulum-v1", **small_kwargs(**{name: 1e30}))


# ----------------------------------------------------------------------------- silent no-ops and NaN


class _EndlessEnv(_FiveStepEnv):
    """Episodes that never end."""

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, reward, _, _, info = super().step(action)
        return obs, reward, False, False, info


def test_learning_without_a_finished_episode_warns_that_nothing_was_trained() -> None:
    model = GoGePo(_EndlessEnv(), **small_kwargs(), seed=0)
    with pytest.warns(UserWarning, match=r"learn\(500\) ended no episode.*nothing was stored or trained.*TimeLimit"):
        model.learn(500)
    assert model._n_updates == 0
    episodic = GoGePo(_FiveStepEnv(), **small_kwargs(), seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        episodic.learn(5)  # one episode, one update block: nothing to warn about


class _StopAtOnce(BaseCallback):
    def _on_step(self) -> bool:
        return False


def test_a_callback_that_stops_training_before_an_episode_ends_is_not_taken_for_an_env_without_a_time_limit() -> None:
    # learn warned that the env needs a time limit or a longer learn, although the callback (an EvalCallback's
    # StopTrainingOnRewardThreshold, say) had stopped it: SB3 says nothing then.
    model = GoGePo(_FiveStepEnv(), **small_kwargs(), seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.learn(500, callback=_StopAtOnce())
    assert model.num_timesteps == 1 and model._n_updates == 0


def test_the_no_episode_warning_counts_the_steps_and_episodes_of_this_learn_call_after_a_reset() -> None:
    # The counters were read before learn reset them: a new run of 9 steps that ended an episode (after one of 8) was
    # warned about with 1 step, and one of 3 steps that ended none (after 50 steps) was not warned about.
    model = GoGePo(_FiveStepEnv(), **small_kwargs(), seed=0)
    model.learn(8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.learn(9)
    model = GoGePo(_FiveStepEnv(), **small_kwargs(), seed=0).learn(50)
    with pytest.warns(UserWarning, match=r"learn\(3\) ended no episode in 3 steps"):
        model.learn(3)
    with pytest.warns(UserWarning, match=r"learn\(1\) ended no episode in 1 steps"):
        model.learn(1, reset_num_timesteps=False)  # continues the episode of the 3 steps, to its 4th
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.learn(1, reset_num_timesteps=False)  # its 5th: it ends


def test_a_command_scale_too_small_for_float32_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match=r"command_scale must be .* at least 1e-15.*1e-40"):
        GoGePo("Pendulum-v1", **small_kwargs(policy_kwargs={**SMALL_POLICY, "command_scale": 1e-40}))


def _write_nan_after_the_last_step(step: Callable[..., Any], parameter: th.Tensor, n_steps: int) -> Callable[..., Any]:
    """The last of ``n_steps`` optimizer steps also writes a NaN into ``parameter`` (no later loss sees it)."""
    calls = itertools.count(1)

    def step_then_nan(*args: Any, **kwargs: Any) -> Any:
        result = step(*args, **kwargs)
        if next(calls) == n_steps:
            with th.no_grad():
                parameter.view(-1)[0] = math.nan
        return result

    return step_then_nan


def _training_state(model: GoGePo) -> list[th.Tensor]:
    policy = model.policy
    tensors = [tensor.clone() for tensor in policy.state_dict().values()]
    for optimizer in (policy.generator_optimizer, policy.evaluator_optimizer):
        tensors += [value.clone() for state in optimizer.state.values() for value in state.values()]
    return tensors


@pytest.mark.parametrize("fault", ["evaluator learning rate of 1e10", "generator step that writes a NaN"])
def test_an_update_block_that_meets_non_finite_numbers_is_undone_and_says_why(
    monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    model = GoGePo("CartPole-v1", **small_kwargs(), seed=0).learn(300)  # a few blocks: the optimizers have state
    before = _training_state(model)
    if fault.startswith("evaluator"):
        monkeypatch.setattr(model, "evaluator_lr_schedule", lambda progress: 1e10)
        message = r"evaluator loss is inf.*undone.*learning rates.*evaluator 1e\+10"
    else:
        optimizer = model.policy.generator_optimizer
        parameter = next(model.policy.generator.parameters())
        step = _write_nan_after_the_last_step(optimizer.step, parameter, model.n_generator_updates)
        monkeypatch.setattr(optimizer, "step", step)
        message = r"generator's parameters are not finite.*undone"
    with pytest.raises(FloatingPointError, match=message) as error:
        model.train()
    assert "environment" not in str(error.value)  # the rewards and observations were checked when they were stored
    after = _training_state(model)
    assert len(after) == len(before) and all(th.equal(a, b) for a, b in zip(after, before, strict=True))


@pytest.mark.parametrize("total_timesteps", [-5, math.nan, 1.5, "100", True, None])
def test_learn_refuses_a_number_of_steps_that_is_not_a_count(total_timesteps: Any) -> None:
    model = GoGePo("Pendulum-v1", **small_kwargs())
    with pytest.raises((TypeError, ValueError), match="total_timesteps"):
        model.learn(total_timesteps)
    model.learn(2e2)  # type: ignore[arg-type]  # SB3 users write 1e6: a float that is a whole number is a count
    assert model.num_timesteps == 200


# ----------------------------------------------------------------------------- invalid arguments

#: Invalid values of the constructor's arguments, of the policy's (``policy_kwargs``) and of ``learn``'s: each must
#: raise a ``ValueError`` or ``TypeError`` that names the argument, at construction or when ``learn`` is called.
INVALID_ARGUMENTS: dict[str, dict[str, list[Any]]] = {
    "constructor": {
        "policy": [5, "CnnPolicy", th.nn.Linear],
        "env": [5, ["Pendulum-v1"]],
        "learning_rate": [0.0, -1e-3, math.nan, math.inf, "1e-3", True, None],
        "evaluator_learning_rate": [0.0, -1.0, math.nan, "5e-3"],
        "buffer_size": [0, -5, 1.5, "100", True, 10**12],
        "batch_size": [0, -1, 2.5, None],
        "noise_std": [-0.1, math.nan, math.inf, "0.1", True, 1e39],
        "n_evaluator_updates": [-1, 1.5, "5"],
        "n_generator_updates": [-1, 2.5, None],
        "command_drive": [math.nan, math.inf, 1e30, "20"],
        "initial_command": [-math.inf, 1e30, None],
        "recency_exponent": [-1.0, math.nan, "1.1"],
        "alive_bonus_offset": [math.nan, math.inf, "auto", True],
        "buffer_dtype": ["int8", "float64", ["float32"]],
        "update_precision": ["bf16", "float16", None],
        "compile_updates": ["yes", 1, None],
        "policy_kwargs": ["net_arch=[8]", [8]],
        "stats_window_size": [0, 1.5, -3],
        "tensorboard_log": [5, ["logs"]],
        "seed": ["abc", -1, 1.5, 2**32, True],
        "verbose": ["1", 1.5, None],
        "device": ["abc", 5],
    },
    "policy_kwargs": {
        "net_arch": [[0], 64, [64, True], "64"],
        "hypernetwork_net_arch": [[-1], [1.5]],
        "evaluator_net_arch": ["64", [0]],
        "activation_fn": ["relu", th.nn.ReLU(), str, th.relu],
        "slice_size": [0, 2.5],
        "embedding_dim": [0, "8"],
        "n_probing_states": [0, -3],
        "command_scale": [-3.0, 0.0, 1e-40, math.nan, math.inf, "3"],
        "output_scaling": [0, "yes"],
        "separate_bias_networks": [None],
        "normalize_observations": ["no"],
        "optimizer_class": [str, "Adam", th.nn.Linear, th.optim.LBFGS],
        "optimizer_kwargs": ["lr=1e-3", [1]],
    },
    "learn": {
        "total_timesteps": [-5, math.nan, math.inf, 1.5, "100", None, True],
        "callback": ["abc", 5, ["abc"], BaseCallback],
        "log_interval": [0, -1, 1.5, "10"],
        "tb_log_name": [5, None],
        "reset_num_timesteps": ["no", None],
        "progress_bar": ["yes", 1],
    },
}
INVALID_CASES = [
    pytest.param(where, name, value, id=f"{where}-{name}={getattr(value, '__name__', repr(value))}")
    for where, arguments in INVALID_ARGUMENTS.items()
    for name, values in arguments.items()
    for value in values
]


def test_the_list_of_invalid_arguments_is_long() -> None:
    assert len(INVALID_CASES) >= 60


@pytest.mark.parametrize(("where", "name", "value"), INVALID_CASES)
def test_an_invalid_argument_gets_an_error_that_names_it(where: str, name: str, value: Any) -> None:
    kwargs = small_kwargs()
    if where == "learn":
        model = GoGePo("Pendulum-v1", **kwargs)
        with pytest.raises((ValueError, TypeError), match=name):
            model.learn(**{"total_timesteps": 10, name: value})
        assert model.num_timesteps == 0
        return
    if where == "policy_kwargs":
        kwargs["policy_kwargs"] = {**kwargs["policy_kwargs"], name: value}
    else:
        kwargs[name] = value
    arguments = {"policy": "MlpPolicy", "env": "Pendulum-v1", **kwargs}
    with pytest.raises((ValueError, TypeError), match=name):
        GoGePo(**arguments)


def test_learn_refuses_a_model_whose_networks_hold_nan_before_any_step() -> None:
    # Before, NaN parameters set by set_parameters ran episodes with NaN actions (all dropped) until the first update
    # block, whose error blamed the learning rates.
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0).learn(400)
    parameters: Any = model.get_parameters()  # SB3 annotates set_parameters' dict as of tensors; it takes state dicts
    parameters["policy"] = {
        name: value * math.nan if name.startswith("generator.") else value for name, value in parameters["policy"].items()
    }
    model.set_parameters(parameters)
    with pytest.raises(ValueError, match=r"tensor generator\.\S+ is not finite"):
        model.learn(400, reset_num_timesteps=False)
    assert model.num_timesteps == 400
    scaled = GoGePo("Pendulum-v1", **small_kwargs(policy_kwargs=dict(SMALL_POLICY, command_scale="auto")), seed=0)
    scaled.policy.command_input_scale.fill_(math.nan)  # every generated policy would act with NaN
    with pytest.raises(ValueError, match=r"tensor command_input_scale is not finite"):
        scaled.learn(400)


@pytest.mark.parametrize("device", ["gpu", 5])
def test_load_names_a_device_that_is_not_one_as_the_constructor_does(tmp_path: Path, device: Any) -> None:
    # Before, load gave torch's "Expected one of cpu, cuda, ... device type at start of device string: gpu".
    GoGePo("Pendulum-v1", **small_kwargs()).save(tmp_path / "model")
    with pytest.raises((ValueError, TypeError), match="device must be 'auto', a torch device or its name"):
        GoGePo.load(tmp_path / "model", device=device)


def test_a_numpy_integer_seed_seeds_as_the_same_python_integer_does(tmp_path: Path) -> None:
    # Before, the seed check took NumPy integers and random.seed then refused them, in the constructor, in
    # set_random_seed and in load(seed=...), with an error that did not name the seed.
    by_int = GoGePo("Pendulum-v1", **small_kwargs(), seed=3).learn(400)
    by_numpy = GoGePo("Pendulum-v1", **small_kwargs(), seed=np.int64(3)).learn(400)
    assert type(by_numpy.seed) is int
    for name, value in by_int.policy.state_dict().items():
        th.testing.assert_close(by_numpy.policy.state_dict()[name], value, rtol=0, atol=0)
    by_numpy.set_random_seed(np.uint32(4))
    by_numpy.save(tmp_path / "model")
    assert GoGePo.load(tmp_path / "model", seed=np.int32(5)).seed == 5
    with pytest.raises(ValueError, match="seed must be None or an integer"):
        by_numpy.set_random_seed(-1)


@pytest.mark.parametrize("name", ["learning_rate", "evaluator_learning_rate"])
def test_a_learning_rate_schedule_that_gives_nan_mid_run_is_named_before_a_step_uses_it(name: str) -> None:
    def schedule(progress_remaining: float) -> float:
        return 1e-3 if progress_remaining > 0.5 else math.nan

    model = GoGePo("Pendulum-v1", **small_kwargs(**{name: schedule}), seed=0)
    with pytest.raises(ValueError, match=rf"{name}'s schedule gave nan at progress_remaining 0\.4"):
        model.learn(1000)  # the block at step 800 has the progress of its rollout's start, step 600: 0.4
    assert model._n_updates == 3 * (model.n_evaluator_updates + model.n_generator_updates)  # at 200, 400 and 600
    assert all(bool(th.isfinite(tensor).all()) for tensor in model.policy.state_dict().values())


def test_a_policy_beyond_the_buffer_dtypes_range_is_dropped_with_a_warning_naming_it() -> None:
    from sb3_gogepo.rollout import FinishedEpisode

    model = GoGePo("Pendulum-v1", **small_kwargs(), buffer_dtype="float16", seed=0)
    model.learn(400)  # two episodes stored
    assert model.policy_buffer is not None
    n_params = model.policy.layout.n_params
    with pytest.warns(
        RuntimeWarning, match=r"Episode 3 .*not finite in the buffer's dtype \(float16; largest magnitude 100000\)"
    ):
        stored = model._store_episode(FinishedEpisode(0, th.full((n_params,), 1e5), -100.0, 200))
    assert not stored and model.policy_buffer.size() == 2 and model.n_dropped_episodes == 1


def test_a_model_saved_with_its_policy_buffer_grows_with_the_entries_not_the_capacity(tmp_path: Path) -> None:
    sizes = {}
    for buffer_size in (10, 20_000):
        model = GoGePo("Pendulum-v1", **small_kwargs(), buffer_size=buffer_size, seed=0)
        model.learn(400)
        model.save(tmp_path / f"{buffer_size}.zip", include=["policy_buffer"])
        sizes[buffer_size] = (tmp_path / f"{buffer_size}.zip").stat().st_size
        loaded = GoGePo.load(tmp_path / f"{buffer_size}.zip", device="cpu")
        assert loaded.policy_buffer is not None and loaded.policy_buffer.size() == 2
    assert sizes[20_000] < 1.5 * sizes[10]
