"""A ``DummyVecEnv`` that copies only what it reuses: the same steps, less Python work per step."""

from collections import OrderedDict
from typing import Any

from stable_baselines3.common.vec_env import DummyVecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs
from stable_baselines3.common.vec_env.util import dict_to_obs


class _InfoList(list):
    """The per-env info dicts of a step; ``deepcopy`` gives a new list holding the same dicts."""

    def __deepcopy__(self, memo: dict[int, Any]) -> list[dict[str, Any]]:
        return list(self)


class LeanDummyVecEnv(DummyVecEnv):
    """
    SB3's ``DummyVecEnv`` without its per-step ``deepcopy`` of the infos and observations.

    ``DummyVecEnv.step_wait`` returns ``deepcopy`` of its info list and of its observation buffer. The observation
    buffer is overwritten at the next step, so it must be copied, but ``ndarray.copy`` does that at a fraction of the
    cost of ``deepcopy``'s generic machinery. The info dicts are new objects at every step (gymnasium environments and
    wrappers return a fresh dict from ``step``), so a new list holding them is enough.
    ``python -m benchmarks.performance.rollout`` times GoGePo's rollout with both classes on MuJoCo tasks. Steps,
    resets, rewards and observations are exactly ``DummyVecEnv``'s.

    Use it where an environment does not keep and later mutate the info dict it returned, for example
    ``make_vec_env(env_id, n_envs, vec_env_cls=LeanDummyVecEnv)``. The benchmark runner builds every algorithm's
    environment with it.

    :param env_fns: Functions that each return a new environment (as for ``DummyVecEnv``).
    """

    def __init__(self, env_fns: list) -> None:
        super().__init__(env_fns)
        self.buf_infos = _InfoList(self.buf_infos)

    def _obs_from_buf(self) -> VecEnvObs:
        return dict_to_obs(self.observation_space, OrderedDict((key, value.copy()) for key, value in self.buf_obs.items()))
