"""The paper's baselines in the RL Zoo: Spinning Up's DDPG exploration, and ARS continued from a loaded model."""

from typing import Any

import torch as th
from sb3_contrib import ARS
from stable_baselines3 import DDPG
from stable_baselines3.common.noise import ActionNoise


class SpinningUpDDPG(DDPG):
    """
    SB3's DDPG with Spinning Up's separate random-exploration phase, for the paper's DDPG baseline.

    SB3 acts uniformly at random exactly until it starts learning (``learning_starts``); Spinning Up, the
    implementation the paper used, acts at random for ``start_steps`` (10 000) steps but starts learning after
    ``update_after`` (1 000) steps. This class keeps ``learning_starts`` as the start of learning and adds
    ``random_start_steps`` for the random actions. With ``random_start_steps=0`` it is SB3's DDPG.

    :param args: Positional arguments of :class:`~stable_baselines3.DDPG`.
    :param random_start_steps: Act uniformly at random for this many environment steps (at least
        ``learning_starts`` steps are random in any case, as in SB3).
    :param kwargs: Keyword arguments of :class:`~stable_baselines3.DDPG`.
    """

    #: Class-level default, so models saved by plain DDPG load too.
    random_start_steps: int = 0

    def __init__(self, *args: Any, random_start_steps: int | float = 0, **kwargs: Any) -> None:
        if isinstance(random_start_steps, float) and random_start_steps.is_integer():
            random_start_steps = int(random_start_steps)  # YAML's !!float 1e4
        if isinstance(random_start_steps, bool) or not isinstance(random_start_steps, int) or random_start_steps < 0:
            raise ValueError(f"random_start_steps must be a non-negative integer, got {random_start_steps!r}")
        self.random_start_steps = random_start_steps
        super().__init__(*args, **kwargs)

    def _sample_action(
        self,
        learning_starts: int,
        action_noise: ActionNoise | None = None,
        n_envs: int = 1,
    ) -> Any:
        return super()._sample_action(max(learning_starts, self.random_start_steps), action_noise, n_envs)


def continue_ars_from_its_policy(model: ARS) -> None:
    """
    Make a loaded ARS model go on from its trained policy. ARS steps from ``weights``, which ``load`` leaves at the fresh
    policy's initialisation (sb3-contrib sets it in ``_setup_model``, before the saved parameters are loaded): the next
    update would discard the training.

    :param model: An ARS model just loaded.
    """
    model.weights = th.nn.utils.parameters_to_vector(model.policy.parameters()).detach()  # type: ignore[assignment]
