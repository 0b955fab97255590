"""Device handling: what must live on the model's device, checked on PyTorch's data-less "meta" device (CI has no
GPU), and a full run on CUDA where one is present."""

import numpy as np
import pytest
import torch as th
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize

from sb3_gogepo import GoGePo
from sb3_gogepo.actor import SlotActor
from sb3_gogepo.rollout import SlotRollout
from tests.conftest import small_kwargs


def _devices(model: GoGePo) -> set[th.device]:
    assert model.policy_buffer is not None
    tensors = [*model.policy.parameters(), *model.policy.buffers(), model.policy_buffer.params, model.policy_buffer.returns]
    return {tensor.device for tensor in tensors}


def test_generator_evaluator_and_buffer_live_on_the_models_device() -> None:
    # The meta device holds shapes but no data, so any tensor silently left on (or copied to) the CPU would show.
    model = GoGePo("Pendulum-v1", device="meta", **small_kwargs())
    assert model.device == th.device("meta") and _devices(model) == {th.device("meta")}
    # Off the CPU, acting is a batched torch forward over the slots' parameters on the device (no NumPy copies).
    actor = SlotActor(model.policy, 3)
    assert not actor.uses_numpy and actor.params.device == th.device("meta")
    # Generation and exploration noise for new episodes happen on the device.
    model._rollout = SlotRollout(model.policy, 2)
    model._start_episodes(np.arange(2))
    assert model._rollout.actor.params.device == th.device("meta")
    params = model.policy.generate(th.zeros(4))
    assert params.device == th.device("meta") and params.shape == (4, model.policy.layout.n_params)
    assert model.policy.evaluator(params).device == th.device("meta")


def test_a_policy_exported_from_behind_vec_normalize_keeps_every_tensor_on_the_models_device() -> None:
    model = GoGePo(VecNormalize(make_vec_env("Pendulum-v1"), norm_reward=False), device="meta", **small_kwargs())
    module = model.generate_policy(0.0)
    assert "input_mean" in module.state_dict()
    assert {tensor.device for tensor in (*module.parameters(), *module.buffers())} == {th.device("meta")}


@pytest.mark.skipif(not th.cuda.is_available(), reason="needs a CUDA device")
def test_learn_predict_save_and_load_on_cuda(tmp_path) -> None:
    model = GoGePo("Pendulum-v1", device="cuda", **small_kwargs(), seed=0).learn(1000)
    assert {device.type for device in _devices(model)} == {"cuda"}
    observations = np.zeros((2, 3), dtype=np.float32)
    actions, _ = model.predict(observations)
    assert isinstance(actions, np.ndarray) and actions.shape == (2, 1)
    model.save(tmp_path / "model.zip")
    on_cpu = GoGePo.load(tmp_path / "model.zip", device="cpu")
    np.testing.assert_allclose(on_cpu.predict(observations)[0], actions, rtol=1e-4, atol=1e-5)
