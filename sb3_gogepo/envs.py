"""Environment helpers: the paper's MuJoCo ids on gymnasium 1.x, and survival bonuses to remove from training returns."""

import functools
import importlib.util
import warnings
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import EnvSpec, load_env_creator
from stable_baselines3.common.vec_env import VecEnv

#: Per-step survival bonus of the MuJoCo locomotion tasks that have one (gymnasium's ``healthy_reward``).
SURVIVAL_BONUSES = {"Hopper": 1.0, "Walker2d": 1.0, "Ant": 1.0, "Humanoid": 5.0}

_warned: set[str] = set()


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
            kwargs=dict(target.kwargs),
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
