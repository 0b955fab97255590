"""
RL Zoo integration: GoGePo and the paper's baselines as rl-zoo3 algorithms. The experiment manager is in
:mod:`sb3_gogepo.zoo.manager`, the hyperparameter sampler in :mod:`sb3_gogepo.zoo.sampler`, the baselines' fixes in
:mod:`sb3_gogepo.zoo.baselines`; this module registers them and re-exports their names.

rl-zoo3 picks algorithms from its ``ALGOS`` dict; its documented way to add one from outside (as the SBX
launchers do) is a small launcher that adds the class to ``rl_zoo3.ALGOS`` and to the copies imported by
``rl_zoo3.train``, ``rl_zoo3.enjoy`` and ``rl_zoo3.exp_manager`` before calling the zoo's ``train()`` or
``enjoy()``. :func:`register` does that, and also

- registers an Optuna sampler for ``-optimize`` (:func:`sample_gogepo_params`) and its converter for
  ``--trial-id`` in ``rl_zoo3.hyperparams_opt.HYPERPARAMS_SAMPLER`` / ``HYPERPARAMS_CONVERTER``;
- serves ``--algo ddpg`` with :class:`SpinningUpDDPG`, SB3's DDPG plus Spinning Up's random start steps
  (identical to SB3's DDPG unless ``random_start_steps`` is set, so the zoo's own ``ddpg.yml`` still works);
- makes ``rl_zoo3.train`` use :class:`GoGePoExperimentManager`, which hands the run's folder and the zoo's
  evaluation environment to :class:`~sb3_gogepo.callbacks.CommandSweepCallback` given in a YAML ``callback:``
  entry, and accepts ``lin_<value>`` schedules for ``evaluator_learning_rate``.

Importing :mod:`sb3_gogepo` (done here) makes the paper's mujoco-py ids (``Hopper-v3``, ``Swimmer-v3``,
``InvertedPendulum-v2``) usable for every algorithm, also in ``--vec-env subproc`` workers: the environment
specs refer to :mod:`sb3_gogepo.envs`, so unpickling them in a worker imports the package.
"""

import os
import sys
from pathlib import Path

import sb3_gogepo  # noqa: F401  (registers the paper's mujoco-py ids)
from sb3_gogepo.gogepo import GoGePo
from sb3_gogepo.zoo.baselines import SpinningUpDDPG, continue_ars_from_its_policy
from sb3_gogepo.zoo.manager import POLICY_BUFFER_FILE, GoGePoExperimentManager, policy_buffer_files
from sb3_gogepo.zoo.sampler import NET_ARCHS, convert_gogepo_params, sample_gogepo_params

#: Folder of this project's YAML files (``hyperparams/gogepo.yml``, ``ars.yml``, ``ddpg.yml``) in a source checkout.
HYPERPARAMS_DIR = Path(__file__).resolve().parent.parent.parent / "hyperparams"


#: Algorithms this project adds to (or replaces in) rl-zoo3's registry.
ALGORITHMS: dict[str, type] = {"gogepo": GoGePo, "ddpg": SpinningUpDDPG}


def default_config(algo: str) -> str | None:
    """
    This project's YAML file for an algorithm, if the source checkout has one.

    :param algo: Algorithm name (``"gogepo"``, ``"ars"``, ``"ddpg"``).
    :return: Path of ``hyperparams/<algo>.yml``, or None.
    """
    path = HYPERPARAMS_DIR / f"{algo}.yml"
    return os.fspath(path) if path.is_file() else None


def register() -> None:
    """
    Add GoGePo (and :class:`SpinningUpDDPG` as ``ddpg``) to rl-zoo3: its algorithm registry (in ``rl_zoo3``,
    ``rl_zoo3.train``, ``rl_zoo3.enjoy`` and ``rl_zoo3.exp_manager``), its Optuna samplers and converters, and
    :class:`GoGePoExperimentManager` as the experiment manager of ``rl_zoo3.train``. Safe to call repeatedly.
    """
    import rl_zoo3.exp_manager
    import rl_zoo3.hyperparams_opt
    import rl_zoo3.train

    rl_zoo3.ALGOS.update(ALGORITHMS)
    # The modules import the same dict today; re-bind in case a version copies it.
    modules = [rl_zoo3.train, rl_zoo3.exp_manager, sys.modules.get("rl_zoo3.enjoy")]
    for module in modules:
        if module is not None:
            module.ALGOS = rl_zoo3.ALGOS  # type: ignore[attr-defined]
    for samplers in (rl_zoo3.hyperparams_opt.HYPERPARAMS_SAMPLER, rl_zoo3.exp_manager.HYPERPARAMS_SAMPLER):
        samplers["gogepo"] = sample_gogepo_params
    for converters in (rl_zoo3.hyperparams_opt.HYPERPARAMS_CONVERTER, rl_zoo3.exp_manager.HYPERPARAMS_CONVERTER):
        converters["gogepo"] = convert_gogepo_params
    rl_zoo3.train.ExperimentManager = GoGePoExperimentManager  # type: ignore[misc]


__all__ = [
    "ALGORITHMS",
    "HYPERPARAMS_DIR",
    "NET_ARCHS",
    "POLICY_BUFFER_FILE",
    "GoGePoExperimentManager",
    "SpinningUpDDPG",
    "continue_ars_from_its_policy",
    "convert_gogepo_params",
    "default_config",
    "policy_buffer_files",
    "register",
    "sample_gogepo_params",
]
