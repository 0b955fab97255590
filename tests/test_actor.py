"""The rollout's fast action path computes what the plain torch forward computes."""

import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from torch import nn

from sb3_gogepo.actor import SlotActor
from sb3_gogepo.policies import GoGePoPolicy


def _policy(action_space: spaces.Space, activation_fn: type[nn.Module] = nn.Tanh) -> GoGePoPolicy:
    return GoGePoPolicy(
        spaces.Box(-5, 5, (6,)),
        action_space,
        net_arch=[20, 9],
        activation_fn=activation_fn,
        hypernetwork_net_arch=[16],
        evaluator_net_arch=[8],
        n_probing_states=4,
        slice_size=8,
    )


@pytest.mark.parametrize("n_slots", [1, 3])
@pytest.mark.parametrize("action_space", [spaces.Box(np.array([0.0, -2.0]), np.array([10.0, 1.0])), spaces.Discrete(4)])
@pytest.mark.parametrize("activation_fn", [nn.Tanh, nn.ReLU])
def test_numpy_path_equals_torch_path(n_slots: int, action_space: spaces.Space, activation_fn: type[nn.Module]) -> None:
    th.manual_seed(0)
    policy = _policy(action_space, activation_fn)
    rng = np.random.default_rng(0)
    policy.observation_normalizer.accumulate(rng.normal(2.0, 3.0, (50, 6)))
    policy.observation_normalizer.commit()
    fast, plain = SlotActor(policy, n_slots), SlotActor(policy, n_slots, use_numpy=False)
    assert fast.uses_numpy and not plain.uses_numpy
    params = policy.generate(th.linspace(-1, 1, n_slots)).detach() + 0.3 * th.randn(n_slots, policy.layout.n_params)
    for actor in (fast, plain):
        actor.set_params(list(range(n_slots)), params)
    for _ in range(5):
        observations = rng.normal(2.0, 3.0, (n_slots, 6))
        if isinstance(action_space, spaces.Discrete):
            assert np.array_equal(fast.act(observations), plain.act(observations))
        else:
            np.testing.assert_allclose(fast.act(observations), plain.act(observations), rtol=1e-4, atol=1e-5)


def test_acting_copies_follow_new_statistics_and_new_parameters() -> None:
    th.manual_seed(0)
    policy = _policy(spaces.Box(-1, 1, (2,)))
    fast, plain = SlotActor(policy, 2), SlotActor(policy, 2, use_numpy=False)
    params = th.randn(2, policy.layout.n_params)
    fast.set_params([0, 1], params)
    plain.set_params([0, 1], params)
    observations = np.random.default_rng(1).normal(size=(2, 6))
    before = fast.act(observations)
    policy.observation_normalizer.accumulate(np.random.default_rng(2).normal(5.0, 2.0, (30, 6)))
    policy.observation_normalizer.commit()
    after = fast.act(observations)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, plain.act(observations), rtol=1e-4, atol=1e-5)
    new = th.randn(1, policy.layout.n_params)
    fast.set_params([1], new)
    plain.set_params([1], new)
    np.testing.assert_allclose(fast.act(observations), plain.act(observations), rtol=1e-4, atol=1e-5)


def test_slots_still_running_when_another_slot_ends_act_with_the_new_statistics() -> None:
    # What GoGePo does when one of several episodes ends: commit the statistics, then new parameters for that slot only.
    th.manual_seed(0)
    policy = _policy(spaces.Box(-1, 1, (2,)))
    fast, plain = SlotActor(policy, 2), SlotActor(policy, 2, use_numpy=False)
    params = th.randn(2, policy.layout.n_params)
    for actor in (fast, plain):
        actor.set_params([0, 1], params)
    observations = np.random.default_rng(1).normal(size=(2, 6))
    fast.act(observations)
    policy.observation_normalizer.accumulate(np.random.default_rng(2).normal(5.0, 2.0, (30, 6)))
    policy.observation_normalizer.commit()
    new = th.randn(1, policy.layout.n_params)
    for actor in (fast, plain):
        actor.set_params([0], new)
    np.testing.assert_allclose(fast.act(observations), plain.act(observations), rtol=1e-4, atol=1e-5)


def test_the_torch_path_is_used_off_the_cpu_and_keeps_everything_on_the_policy_device() -> None:
    policy = _policy(spaces.Box(-1, 1, (2,)))
    actor = SlotActor(policy, 2, use_numpy=False)
    assert actor.params.device == policy.device
    assert all(w.data_ptr() >= actor.params.data_ptr() for w, _ in actor._torch_layers)  # views, not copies
    actions = actor.act(np.zeros((2, 6)))
    assert isinstance(actions, np.ndarray) and actions.shape == (2, 2)


@pytest.mark.parametrize("level", [1.0, 500.0, 1e5])
def test_a_feature_of_large_mean_and_no_spread_acts_alike_in_numpy_and_in_torch(level: float) -> None:
    # A constant feature (a fixed goal coordinate, say) gets the smallest std; folding its mean into the bias made the
    # NumPy path cancel two terms of about level / std in float32 (this test failed at all three levels before).
    th.manual_seed(0)
    policy = _policy(spaces.Box(-1, 1, (2,)))
    observations = np.random.default_rng(0).normal(0.0, 1.0, (200, 6))
    observations[:, 2] = level
    policy.observation_normalizer.accumulate(observations)
    policy.observation_normalizer.commit()
    fast, plain = SlotActor(policy, 2), SlotActor(policy, 2, use_numpy=False)
    params = th.randn(2, policy.layout.n_params) * 0.3
    fast.set_params([0, 1], params)
    plain.set_params([0, 1], params)
    np.testing.assert_allclose(fast.act(observations[:2]), plain.act(observations[:2]), rtol=0, atol=1e-5)
    batch = observations[:5].astype(np.float32)
    exported = policy.export()(th.as_tensor(batch)).detach().numpy()
    np.testing.assert_allclose(policy.predict(batch)[0], exported, rtol=0, atol=1e-5)  # predict's NumPy path
