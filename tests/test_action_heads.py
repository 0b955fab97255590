"""Actions from raw network outputs: within the Box whatever the bounds, on both acting paths."""

import numpy as np
import pytest
import torch as th
from gymnasium import spaces

from sb3_gogepo.action_heads import ActionHead


@pytest.mark.parametrize("raw_value", [50.0, -50.0, 0.3])
def test_actions_stay_within_any_bounds_even_when_saturated(raw_value: float) -> None:
    rng = np.random.default_rng(0)
    low = rng.uniform(-3, 1, 10_000).astype(np.float32)
    high = (low + rng.uniform(0.01, 4, 10_000)).astype(np.float32)  # float32 bounds that tanh * half + center misses
    space = spaces.Box(low, high, dtype=np.float32)
    head = ActionHead(space)
    raw = np.full((1, 10_000), raw_value, np.float32)
    for actions in (head.act_numpy(raw.copy())[0], head.act(th.as_tensor(raw))[0].numpy()):
        assert space.contains(actions)


def test_nothing_is_saved_and_the_bounds_saved_by_0_1_0_are_accepted() -> None:
    head = ActionHead(spaces.Box(-2, 3, (2,)))
    assert head.state_dict() == {}  # everything derives from the action space
    head.load_state_dict({"low": th.full((2,), -2.0), "half_range": th.full((2,), 2.5)})


def test_actions_are_the_affine_map_of_tanh_to_a_few_float_steps() -> None:
    head = ActionHead(spaces.Box(np.array([-3, 0, 100], dtype=np.float32), np.array([3, 10, 100.5], dtype=np.float32)))
    raw = th.linspace(-4, 4, 81).reshape(27, 3)
    low, high = th.tensor([-3.0, 0.0, 100.0], dtype=th.float64), th.tensor([3.0, 10.0, 100.5], dtype=th.float64)
    exact = (low + (th.tanh(raw.double()) + 1) * (high - low) / 2).numpy()
    np.testing.assert_allclose(head.act(raw).numpy(), exact, rtol=0, atol=1e-4)
    np.testing.assert_allclose(head.act_numpy(raw.numpy().copy()), exact, rtol=0, atol=1e-4)
