"""
Environment helpers: the paper's MuJoCo ids on gymnasium 1.x, survival bonuses to remove from training returns, and
evaluation envs that normalise observations as the training env does.
"""

import functools
import importlib.util
import warnings
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import EnvSpec, load_env_creator
from stable_baselines3.common.running_mean_std import RunningMeanStd
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper, VecNormalize

from sb3_gogepo.functional import InputStatistics

#: Per-step survival bonus of the MuJoCo locomotion tasks that have one (gymnasium's ``healthy_reward``).
SURVIVAL_BONUSES = {"Hopper": 1.0, "Walker2d": 1.0, "Ant": 1.0, "Humanoid": 5.0}

_warned: set[str] = set()
#: Keyword arguments that make a v4 environment what its mujoco-py version was (v4 Ant drops the contact forces from
#: its observations and reward by default; v2/v3 had them: 111 observations).
LEGACY_KWARGS = {"Ant": {"use_contact_forces": True}}


class LegacyMujocoIdWarning(UserWarning):
    """Emitted once per process and id when a mujoco-py id is served by its v4 implementation."""


def _make_legacy_env(legacy_id: str, target_id: str, target_entry_point: Any, **kwargs: Any) -> Any:
    if legacy_id not in _warned:
        _warned.add(legacy_id)
        warnings.warn(
            f"{legacy_id} needs mujoco-py, which cannot be installed with gymnasium 1.x; sb3_gogepo serves it with "
            f"{target_id} (same model, reward and observations on the maintained mujoco bindings).",
            LegacyMujocoIdWarning,
            stacklevel=3,
        )
    return (
        load_env_creator(target_entry_point)(**kwargs) if isinstance(target_entry_point, str) else target_entry_point(**kwargs)
    )


def _needs_mujoco_py(spec: EnvSpec) -> bool:
    entry_point = spec.entry_point
    return callable(entry_point) and getattr(entry_point, "__name__", "") == "_raise_mujoco_py_error"


def register_legacy_mujoco_ids() -> list[str]:
    """
    Make gymnasium's mujoco-py ids (``Hopper-v3``, ``Swimmer-v3``, ``InvertedPendulum-v2``, ...) usable.

    Gymnasium 1.x registers them to raise unless mujoco-py is installed. Each such id is re-registered to build
    its ``-v4`` environment (same model, rewards and observations; episode limit and reward threshold copied
    from the v4 spec) and to warn once. Ids that already work, and all ids when mujoco-py is importable, are
    left untouched. Called when :mod:`sb3_gogepo` is imported, so every algorithm (ARS, DDPG, ...) benefits.

    :return: The ids that were re-registered.
    """
    if importlib.util.find_spec("mujoco_py") is not None:
        return []
    replaced = []
    for env_id, spec in list(gym.envs.registry.items()):
        if not _needs_mujoco_py(spec):
            continue
        target_id = f"{spec.namespace + '/' if spec.namespace else ''}{spec.name}-v4"
        target = gym.envs.registry.get(target_id)
        if target is None:
            continue
        gym.envs.registry[env_id] = EnvSpec(
            id=env_id,
            entry_point=functools.partial(_make_legacy_env, env_id, target_id, target.entry_point),
            reward_threshold=target.reward_threshold,
            nondeterministic=target.nondeterministic,
            max_episode_steps=target.max_episode_steps,
            order_enforce=target.order_enforce,
            disable_env_checker=target.disable_env_checker,
            kwargs={**target.kwargs, **LEGACY_KWARGS.get(spec.name, {})},
        )
        replaced.append(env_id)
    return replaced


def survival_bonus(env: VecEnv) -> float:
    """
    The per-step survival bonus of the task behind a VecEnv (``healthy_reward``), 0 if it has none.

    Known for Hopper, Walker2d, Ant (1) and Humanoid (5); a ``healthy_reward`` passed to ``gym.make`` is honoured.

    :param env: The training environment.
    :return: The bonus paid at every step of an episode.
    """
    try:
        spec = env.get_attr("spec", indices=[0])[0]
    except (AttributeError, TypeError):
        return 0.0
    if spec is None or spec.name not in SURVIVAL_BONUSES:
        return 0.0
    return float(spec.kwargs.get("healthy_reward", SURVIVAL_BONUSES[spec.name]))


def training_return_offset(alive_bonus_offset: float | None, env: VecEnv | None) -> float:
    """
    :param alive_bonus_offset: The setting: a constant, or None for the task's survival bonus removed.
    :param env: The env whose task an automatic setting follows (None: not known yet, 0).
    :return: What is added to every reward of the training return.
    """
    if alive_bonus_offset is not None:
        return float(alive_bonus_offset)
    return -survival_bonus(env) if env is not None else 0.0


def find_vec_normalize(env: VecEnv) -> VecNormalize | None:
    """
    :param env: A VecEnv, possibly wrapped.
    :return: The ``VecNormalize`` wrapper of ``env`` (``env`` itself or one it wraps), or None.
    """
    while isinstance(env, VecEnvWrapper):
        if isinstance(env, VecNormalize):
            return env
        env = env.venv
    return None


def normalized_like_training(env: VecEnv, training: VecNormalize | None) -> VecEnv:
    """
    An evaluation env that sees observations as the policy saw them in training.

    :param env: The evaluation env.
    :param training: The training env's ``VecNormalize`` (``model.get_vec_normalize_env()``), if any.
    :return: ``env`` wrapped in a frozen ``VecNormalize`` with a copy of the training observation statistics (and its
        clipping), or ``env`` itself when training did not normalise or ``env`` already does.
    """
    if training is None or find_vec_normalize(env) is not None:
        return env
    evaluation = VecNormalize(env, training=False, norm_obs=training.norm_obs, norm_reward=False, clip_obs=training.clip_obs)
    evaluation.epsilon = training.epsilon
    evaluation.obs_rms = training.obs_rms.copy()
    return evaluation


def vec_normalize_statistics(vec_normalize: VecNormalize | None) -> InputStatistics | None:
    """
    :param vec_normalize: A ``VecNormalize`` (``model.get_vec_normalize_env()``), or None.
    :return: A frozen copy of what it does to observations, or None if there is none or it does not normalise them.
    """
    if vec_normalize is None or not vec_normalize.norm_obs:
        return None
    obs_rms = vec_normalize.obs_rms
    assert isinstance(obs_rms, RunningMeanStd)  # not a dict of them: GoGePo's observations are a Box
    return InputStatistics(
        obs_rms.mean.copy(), obs_rms.var.copy(), float(vec_normalize.epsilon), float(vec_normalize.clip_obs)
    )
