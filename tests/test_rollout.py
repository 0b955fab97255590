"""Collection: each env slot runs one episode at a time, and a finished episode leaves its slot with its policy and return."""

import numpy as np
import pytest
import torch as th

from sb3_gogepo import GoGePo
from sb3_gogepo.rollout import SlotRollout
from tests.conftest import small_kwargs


def test_a_finished_episode_carries_its_policy_and_training_return_and_frees_its_slot() -> None:
    policy = GoGePo("Pendulum-v1", **small_kwargs(), seed=0).policy
    rollout = SlotRollout(policy, 2)
    params = th.randn(2, policy.layout.n_params)
    rollout.start(np.arange(2), params)
    for _ in range(3):
        rollout.record(np.array([1.0, 2.0]), np.array([False, False]))
    rollout.record(np.array([1.0, 2.0]), np.array([False, True]))
    assert rollout.ended.tolist() == [False, True]

    episode = rollout.finish(1, return_offset=-0.5)
    assert (episode.slot, episode.length, episode.training_return) == (1, 4, pytest.approx(8.0 - 0.5 * 4))
    assert th.equal(episode.params, params[1])
    assert rollout.ended.tolist() == [False, False] and rollout.awaiting_policy.tolist() == [False, True]
    assert (rollout.returns.tolist(), rollout.lengths.tolist()) == ([4.0, 0.0], [4, 0])  # slot 0 goes on

    rollout.start(np.array([1]), th.zeros(1, policy.layout.n_params))
    assert not rollout.awaiting_policy.any() and th.equal(rollout.actor.params[0], params[0])


def test_the_slots_act_with_their_own_policies() -> None:
    policy = GoGePo("Pendulum-v1", **small_kwargs(), seed=0).policy
    rollout = SlotRollout(policy, 2)
    rollout.start(np.arange(2), policy.generate(th.tensor([0.0, 500.0])))
    observations = np.ones((2, 3), dtype=np.float32)
    actions = rollout.act(observations)
    assert actions.shape == (2, 1) and actions[0, 0] != actions[1, 0]
