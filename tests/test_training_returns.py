"""Training returns: reproducible runs, and the survival bonus taken out of the training return only."""

import numpy as np
import torch as th

from sb3_gogepo import GoGePo
from tests.conftest import small_kwargs

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
