"""
The evaluation env of a :class:`~sb3_gogepo.callbacks.CommandSweepCallback`: the one given, or one made from the
training env's spec, seeing observations normalised with the training env's statistics.
"""

import dataclasses

import gymnasium as gym
from gymnasium.envs.registration import EnvSpec
from stable_baselines3.common.env_util import is_wrapped
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.type_aliases import GymEnv
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecNormalize

from sb3_gogepo.envs import find_vec_normalize, normalized_like_training


def recreatable_spec(env: VecEnv) -> EnvSpec | None:
    """
    :param env: The training env.
    :return: The spec of its first env without the wrappers that cannot be re-created from a spec (``Monitor``, ...),
        or None if it has no spec.
    """
    try:
        spec = env.get_attr("spec", indices=[0])[0]
    except (AttributeError, TypeError):
        return None
    if spec is None:
        return None
    recreatable = tuple(wrapper for wrapper in spec.additional_wrappers if wrapper.kwargs is not None)
    return dataclasses.replace(spec, additional_wrappers=recreatable)


def make_eval_env(env: GymEnv | str | EnvSpec, training: VecNormalize | None) -> VecEnv:
    """
    :param env: A ``VecEnv`` (used as it is), a ``gym.Env`` (``Monitor``-wrapped unless it is already), or an id or a
        spec (made, ``Monitor``-wrapped), so that evaluation returns are true environment returns.
    :param training: The training env's ``VecNormalize`` (``model.get_vec_normalize_env()``), if any.
    :return: The evaluation VecEnv, wrapped as by :func:`~sb3_gogepo.envs.normalized_like_training`.
    """
    if isinstance(env, (str, EnvSpec)):
        spec = env

        def make_env() -> gym.Env:
            return Monitor(gym.make(spec))

        vec_env: VecEnv = DummyVecEnv([make_env])
    elif isinstance(env, VecEnv):
        vec_env = env
    else:
        gym_env: gym.Env = env if is_wrapped(env, Monitor) else Monitor(env)
        vec_env = DummyVecEnv([lambda: gym_env])
    return normalized_like_training(vec_env, training)


def sync_normalization(training: VecNormalize | None, eval_env: VecEnv) -> None:
    """
    Copy the training env's current normalisation statistics into the evaluation env, as SB3's
    ``sync_envs_normalization`` does, but from one ``VecNormalize`` to the other wherever each sits: an evaluation env
    made from the spec is not wrapped as the training env may be (a ``VecMonitor`` below its ``VecNormalize``, say),
    where SB3's function, which walks both wrapper chains in step, fails.

    :param training: The training env's ``VecNormalize`` (``model.get_vec_normalize_env()``); None: nothing is copied.
    :param eval_env: The evaluation env; one without ``VecNormalize`` is left as it is.
    """
    evaluation = find_vec_normalize(eval_env)
    if training is None or evaluation is None:
        return
    evaluation.obs_rms = training.obs_rms.copy()
    evaluation.ret_rms = training.ret_rms.copy()
