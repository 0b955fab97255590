"""Collection: the episode running in every env slot, and the finished episodes it hands on to the buffer."""

from typing import NamedTuple

import numpy as np
import torch as th

from sb3_gogepo.actor import SlotActor
from sb3_gogepo.policies import GoGePoPolicy


class FinishedEpisode(NamedTuple):
    """
    An episode that the env has ended, as it goes into the policy buffer.

    :param slot: The env slot that ran it.
    :param params: The flat parameters of the policy that ran it, ``(n_params,)`` (a view of the slot's row, valid
        until the slot is given its next policy).
    :param training_return: Its return plus ``return_offset`` per step (see :meth:`SlotRollout.finish`).
    :param length: Its number of steps.
    """

    slot: int
    params: th.Tensor
    training_return: float
    length: int


class SlotRollout:
    """
    The episode in progress in every env slot of a VecEnv: the policy that runs it (held by a :class:`SlotActor`, which
    computes all slots' actions at once), and its return and length so far.

    A slot's life: :meth:`start` gives it a policy, :meth:`act` and :meth:`record` step all slots, and :meth:`finish`
    takes an episode the env has ended out of its slot, which then waits for its next policy.

    :param policy: The policy whose layout, observation statistics and action head the slots act with.
    :param n_slots: Number of env slots (``n_envs``).
    """

    def __init__(self, policy: GoGePoPolicy, n_slots: int) -> None:
        self.actor = SlotActor(policy, n_slots)
        self.returns = np.zeros(n_slots)
        self.lengths = np.zeros(n_slots, dtype=np.int64)
        #: Slots whose episode the env has ended and that :meth:`finish` has not taken yet.
        self.ended = np.zeros(n_slots, dtype=bool)
        #: Slots whose episode was taken and that have no new policy yet.
        self.awaiting_policy = np.zeros(n_slots, dtype=bool)

    @property
    def n_slots(self) -> int:
        """Number of env slots."""
        return self.actor.n_slots

    def start(self, slots: np.ndarray, params: th.Tensor) -> None:
        """
        Give slots the policies of their next episodes.

        :param slots: Slot indices.
        :param params: Their flat parameters ``(len(slots), n_params)``.
        """
        self.actor.set_params(slots, params)
        self.returns[slots] = 0.0
        self.lengths[slots] = 0
        self.awaiting_policy[slots] = False

    def act(self, observations: np.ndarray) -> np.ndarray:
        """
        :param observations: Raw observations ``(n_slots, ...)``.
        :return: Actions ``(n_slots, ...)``, each slot's from its own policy.
        """
        return self.actor.act(observations)

    def record(self, rewards: np.ndarray, dones: np.ndarray) -> None:
        """
        Count one env step of every slot.

        :param rewards: The rewards of the step ``(n_slots,)``.
        :param dones: Which slots' episodes the step ended.
        """
        self.returns += rewards
        self.lengths += 1
        self.ended |= dones

    def finish(self, slot: int, return_offset: float) -> FinishedEpisode:
        """
        Take the episode of ``slot`` (ended by the env, or cut short) out of it: the slot's return and length start
        again from zero, and it waits for a new policy.

        :param slot: The slot.
        :param return_offset: Added to the return per step (``alive_bonus_offset``), giving the training return.
        :return: The episode.
        """
        training_return = float(self.returns[slot] + return_offset * self.lengths[slot])
        episode = FinishedEpisode(slot, self.actor.params[slot], training_return, int(self.lengths[slot]))
        self.returns[slot] = 0.0
        self.lengths[slot] = 0
        self.ended[slot] = False
        self.awaiting_policy[slot] = True
        return episode


__all__ = ["FinishedEpisode", "SlotRollout"]
