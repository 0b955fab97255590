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


def test_models_saved_before_the_upper_bound_buffer_load() -> None:
    head = ActionHead(spaces.Box(-2, 3, (2,)))
    state = head.state_dict()
    assert "high" not in state
    fresh = ActionHead(spaces.Box(-2, 3, (2,)))
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.high.numpy(), [3.0, 3.0])
