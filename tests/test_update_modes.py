"""The update block's modes: fast mode (bfloat16) and compiled updates."""

import shutil
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.logger import configure

from sb3_gogepo import GoGePo
from sb3_gogepo.checks import CXX_COMPILERS
from tests.conftest import SMALL_POLICY, FiveStepEnv, small_kwargs

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
    GoGePo(FiveStepEnv(spaces.Box(-1, 1, (1,))), **small_kwargs(), compile_updates=True).save(tmp_path / "model")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    model = GoGePo.load(tmp_path / "model", env=FiveStepEnv(spaces.Box(-1, 1, (1,))))  # e.g. to predict
    model.predict(model.observation_space.sample())
    with pytest.raises(ValueError, match="C\\+\\+ compiler"):
        model.learn(5)  # the first update block, before any compilation
