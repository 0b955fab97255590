"""Evaluating the policies the generator produces for given commands (the data of the paper's Figure 4)."""

import warnings
from collections.abc import Sequence

import numpy as np
import torch as th
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.vec_env import VecEnv, VecMonitor, is_vecenv_wrapped

from sb3_gogepo.commands import as_commands
from sb3_gogepo.policies import GoGePoPolicy
from sb3_gogepo.validation import check_positive_integer


def check_env_fits(env: VecEnv, policy: BasePolicy, name: str, hint: str = "is it the task trained on?") -> None:
    """
    Refuse an evaluation env whose spaces are not the model's, before anything runs in it: SB3's ``predict`` catches
    only some observation shapes, and actions are clipped to the model's bounds whatever the env's, so other mismatches
    would give returns of the wrong task without a word.

    :param env: The evaluation env.
    :param policy: The model's policy.
    :param name: The argument that gave ``env``, for the error.
    :param hint: What the error suggests.
    :raises ValueError: If the observation or the action space differs from the policy's.
    """
    for kind, env_space, model_space in (
        ("observation", env.observation_space, policy.observation_space),
        ("action", env.action_space, policy.action_space),
    ):
        if env_space != model_space:
            raise ValueError(f"{name}'s {kind} space {env_space} is not the model's {model_space}: {hint}")


def warn_if_unmonitored(env: VecEnv, stacklevel: int) -> None:
    """
    Warn, as SB3's ``evaluate_policy`` does, if the returns of ``env`` cannot come from a ``Monitor``.

    :param env: The evaluation environment.
    :param stacklevel: ``warnings.warn``'s, counted from this function: the warning names the user's line.
    """
    if not (is_vecenv_wrapped(env, VecMonitor) or env.env_is_wrapped(Monitor)[0]):
        warnings.warn(
            "The evaluation env is not wrapped with a ``Monitor`` wrapper: the returns and lengths are those its other "
            "wrappers make (a VecNormalize's normalised rewards, say). Wrap its envs with ``Monitor`` first.",
            UserWarning,
            stacklevel=stacklevel,
        )


def evaluate_commands(
    policy: GoGePoPolicy,
    env: VecEnv,
    commands: Sequence[float] | np.ndarray | th.Tensor,
    n_eval_episodes: int = 10,
    warn: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """
    Run the policy generated for each command (:class:`~sb3_gogepo.policies.CommandedPolicy`) with SB3's
    ``evaluate_policy``.

    :param policy: The policy whose generator is evaluated (``model.policy``).
    :param env: The environment, as it is: returns are read from its ``Monitor`` wrapper if it has one, and its
        observation statistics (``VecNormalize``) are used as they are.
    :param commands: Desired returns (a sequence, an array or a tensor; flattened).
    :param n_eval_episodes: Episodes per command.
    :param warn: Warn, as SB3's ``evaluate_policy`` does, if ``env`` has no ``Monitor`` to read the true returns from.
    :return: Episode returns and episode lengths, each of shape ``(number of commands, n_eval_episodes)``.
    :raises ValueError: If ``env``'s observation or action space is not the policy's, or if ``commands`` are not
        finite real numbers within float32 range.
    """
    check_positive_integer("n_eval_episodes", n_eval_episodes)
    commands = as_commands(commands)
    check_env_fits(env, policy, "env")
    if warn:
        warn_if_unmonitored(env, stacklevel=3)
    returns = np.zeros((len(commands), n_eval_episodes))
    lengths = np.zeros((len(commands), n_eval_episodes), dtype=np.int64)
    for index, command in enumerate(commands):
        episode_returns, episode_lengths = evaluate_policy(
            policy.commanded(float(command)),
            env,
            n_eval_episodes=n_eval_episodes,
            deterministic=True,
            return_episode_rewards=True,
            warn=False,
        )
        returns[index] = episode_returns
        lengths[index] = episode_lengths
    return returns, lengths
