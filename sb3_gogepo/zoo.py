"""
RL Zoo integration: GoGePo and the paper's baselines as rl-zoo3 algorithms.

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
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import optuna
import torch as th
from rl_zoo3.exp_manager import ExperimentManager
from rl_zoo3.utils import SimpleLinearSchedule
from sb3_contrib import ARS
from stable_baselines3 import DDPG
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import CheckpointCallback
from stable_baselines3.common.noise import ActionNoise
from stable_baselines3.common.vec_env import VecEnv
from torch import nn

import sb3_gogepo  # noqa: F401  (registers the paper's mujoco-py ids)
from sb3_gogepo.callbacks import CommandSweepCallback, GoGePoCheckpointCallback
from sb3_gogepo.gogepo import GoGePo

#: File name of GoGePo's policy buffer in a run's folder (``--save-replay-buffer``).
POLICY_BUFFER_FILE = "policy_buffer.npz"
#: Folder of this project's YAML files (``hyperparams/gogepo.yml``, ``ars.yml``, ``ddpg.yml``) in a source checkout.
HYPERPARAMS_DIR = Path(__file__).resolve().parent.parent / "hyperparams"


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


#: Algorithms this project adds to (or replaces in) rl-zoo3's registry.
ALGORITHMS: dict[str, type] = {"gogepo": GoGePo, "ddpg": SpinningUpDDPG}

#: Named network sizes searched by :func:`sample_gogepo_params`.
NET_ARCHS: dict[str, list[int]] = {"tiny": [32, 32], "small": [64, 64], "medium": [256, 256]}


def convert_gogepo_params(sampled_params: dict[str, Any]) -> dict[str, Any]:
    """
    Turn the values an Optuna trial sampled (:func:`sample_gogepo_params`) into GoGePo constructor arguments.

    Network sizes are sampled by name (``policy_net_arch``, ``hypernetwork_net_arch``, ``evaluator_net_arch``,
    see :data:`NET_ARCHS`) and become ``policy_kwargs``; ``batch_size_pow`` becomes ``batch_size = 2**pow``.
    Used by rl-zoo3 to load a trial's hyperparameters (``--storage ... --trial-id ...``).

    :param sampled_params: ``trial.params`` of a GoGePo trial.
    :return: Keyword arguments of :class:`~sb3_gogepo.GoGePo`.
    """
    hyperparams = dict(sampled_params)
    policy_kwargs: dict[str, Any] = {}
    for trial_key, policy_key in (
        ("policy_net_arch", "net_arch"),
        ("hypernetwork_net_arch", "hypernetwork_net_arch"),
        ("evaluator_net_arch", "evaluator_net_arch"),
    ):
        if trial_key in hyperparams:
            policy_kwargs[policy_key] = list(NET_ARCHS[hyperparams.pop(trial_key)])
    if policy_kwargs:
        policy_kwargs["activation_fn"] = nn.Tanh
        hyperparams["policy_kwargs"] = policy_kwargs
    if "batch_size_pow" in hyperparams:
        hyperparams["batch_size"] = 2 ** int(hyperparams.pop("batch_size_pow"))
    return hyperparams


def sample_gogepo_params(trial: optuna.Trial, n_actions: int, n_envs: int, additional_args: dict[str, Any]) -> dict[str, Any]:
    """
    Optuna sampler of GoGePo's main hyperparameters, with rl-zoo3's sampler signature.

    Searched: parameter noise (``noise_std``), generator and evaluator learning rates, ``command_drive``,
    ``recency_exponent``, updates per episode (``n_evaluator_updates``, ``n_generator_updates``), ``batch_size``
    and the sizes of the generated policies, of the hypernetwork's slice networks and of the evaluator. The
    paper's values lie inside every range. Sampled network sizes replace the ``policy_kwargs`` of the YAML entry.

    :param trial: The Optuna trial.
    :param n_actions: Size of the action space (unused).
    :param n_envs: Number of environments (unused).
    :param additional_args: rl-zoo3's extra arguments (unused).
    :return: Keyword arguments of :class:`~sb3_gogepo.GoGePo`.
    """
    sampled = {
        "noise_std": trial.suggest_float("noise_std", 0.01, 0.5, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 1e-7, 1e-4, log=True),
        "evaluator_learning_rate": trial.suggest_float("evaluator_learning_rate", 1e-4, 2e-2, log=True),
        "command_drive": trial.suggest_categorical("command_drive", [0.0, 5.0, 10.0, 20.0, 50.0, 100.0]),
        "recency_exponent": trial.suggest_float("recency_exponent", 0.0, 2.0),
        "n_evaluator_updates": trial.suggest_categorical("n_evaluator_updates", [1, 2, 5, 10, 20]),
        "n_generator_updates": trial.suggest_categorical("n_generator_updates", [5, 10, 20, 50]),
        "batch_size_pow": trial.suggest_int("batch_size_pow", 3, 6),
        "policy_net_arch": trial.suggest_categorical("policy_net_arch", list(NET_ARCHS)),
        "hypernetwork_net_arch": trial.suggest_categorical("hypernetwork_net_arch", list(NET_ARCHS)),
        "evaluator_net_arch": trial.suggest_categorical("evaluator_net_arch", list(NET_ARCHS)),
    }
    return convert_gogepo_params(sampled)


class GoGePoExperimentManager(ExperimentManager):
    """
    rl-zoo3's ``ExperimentManager`` with these additions for GoGePo runs (all other behaviour is the zoo's):

    - ``--save-replay-buffer`` saves GoGePo's policy buffer with the final model (``policy_buffer.npz`` in the run's
      folder) and with every checkpoint of ``--save-freq`` (``rl_model_policy_buffer_<steps>_steps.npz``, see
      :class:`~sb3_gogepo.callbacks.GoGePoCheckpointCallback`), and continuing a run (``-i <run>/<env>.zip`` or
      ``-i <run>/rl_model_<steps>_steps.zip``) loads the buffer saved with that model, so that the evaluator and the
      generator go on training on the stored policies; without one, it warns that the run continues with an empty
      buffer;
    - a :class:`~sb3_gogepo.callbacks.CommandSweepCallback` from the YAML ``callback:`` key that was given no
      ``eval_env``/``log_path`` gets the zoo's evaluation environment (same wrappers and normalisation as the
      ``EvalCallback``'s) and writes its CSV into the run's folder (``logs/<algo>/<env>_<id>/``);
    - ``evaluator_learning_rate`` accepts the zoo's ``lin_<value>`` schedule strings, like ``learning_rate``.
    """

    @staticmethod
    def _preprocess_schedules(hyperparams: dict[str, Any]) -> dict[str, Any]:
        hyperparams = ExperimentManager._preprocess_schedules(hyperparams)
        value = hyperparams.get("evaluator_learning_rate")
        if isinstance(value, str):
            _, initial_value = value.split("_")
            hyperparams["evaluator_learning_rate"] = SimpleLinearSchedule(float(initial_value))
        return hyperparams

    def save_trained_model(self, model: BaseAlgorithm) -> None:
        if not isinstance(model, GoGePo):
            super().save_trained_model(model)
            return
        # Buffer first, so that the model file, once there, has it beside it.
        if self.save_replay_buffer:
            path = os.path.join(self.save_path, POLICY_BUFFER_FILE)
            print(f"Saving policy buffer to {path}")
            model.save_policy_buffer(path)
        # The zoo would also write the buffer as replay_buffer.pkl (GoGePo has SB3's save_replay_buffer): once is enough.
        save_buffer, self.save_replay_buffer = self.save_replay_buffer, False
        try:
            super().save_trained_model(model)
        finally:
            self.save_replay_buffer = save_buffer

    def _load_pretrained_agent(self, hyperparams: dict[str, Any], env: VecEnv) -> BaseAlgorithm:
        model = super()._load_pretrained_agent(hyperparams, env)
        if isinstance(model, ARS):
            # ARS steps from ``weights``, which ``load`` leaves at the fresh policy's initialisation (sb3-contrib sets it
            # in ``_setup_model``, before the saved parameters are loaded): the next update would discard the training.
            model.weights = th.nn.utils.parameters_to_vector(model.policy.parameters()).detach()  # type: ignore[assignment]
        if isinstance(model, GoGePo):
            candidates = policy_buffer_files(self.trained_agent)
            found = [path for path in candidates if os.path.isfile(path)]
            if found:
                print(f"Loading policy buffer from {found[0]}")
                model.load_policy_buffer(found[0])
            else:
                warnings.warn(
                    f"Continuing {self.trained_agent} with an empty policy buffer: no {' or '.join(candidates)}. "
                    "The evaluator and the generator will train on the new episodes only; train with "
                    "--save-replay-buffer to save the buffer with the model and with every checkpoint (--save-freq)",
                    UserWarning,
                    stacklevel=2,
                )
        return model

    def create_callbacks(self) -> None:
        super().create_callbacks()
        if self.algo == "gogepo":
            self.callbacks = [_with_policy_buffer(callback, self.save_replay_buffer) for callback in self.callbacks]
        for callback in self.callbacks:
            if not isinstance(callback, CommandSweepCallback):
                continue
            if callback.log_path is None:
                callback.log_path = self.save_path
            if callback.eval_env is None:
                callback.eval_env = self.create_envs(self.n_eval_envs, eval_env=True)


def _with_policy_buffer(callback: Any, save_replay_buffer: bool) -> Any:
    """The zoo's checkpoint callback as a :class:`~sb3_gogepo.callbacks.GoGePoCheckpointCallback` (other callbacks as
    they are), saving the policy buffer with every checkpoint if ``save_replay_buffer``."""
    if type(callback) is not CheckpointCallback:
        return callback
    return GoGePoCheckpointCallback(
        save_freq=callback.save_freq,
        save_path=callback.save_path,
        name_prefix=callback.name_prefix,
        save_replay_buffer=save_replay_buffer,
        save_vecnormalize=callback.save_vecnormalize,
        verbose=callback.verbose,
    )


def policy_buffer_files(model_path: str) -> list[str]:
    """
    The files where the policy buffer saved with a model may be: for a checkpoint ``<prefix>_<steps>_steps.zip``, the
    :class:`~sb3_gogepo.callbacks.GoGePoCheckpointCallback`'s ``<prefix>_policy_buffer_<steps>_steps.npz`` and SB3's
    ``CheckpointCallback``'s ``<prefix>_replay_buffer_<steps>_steps.pkl``; for any other model file, the run's
    ``policy_buffer.npz`` (saved with the final model).

    :param model_path: The model file given to ``-i``.
    :return: The candidate files, in the order they are tried.
    """
    folder, name = os.path.split(model_path)
    checkpoint = re.fullmatch(r"(.*)_(\d+)_steps\.zip", name)
    if checkpoint is None:
        return [os.path.join(folder, POLICY_BUFFER_FILE)]
    prefix, steps = checkpoint.groups()
    return [
        os.path.join(folder, f"{prefix}_policy_buffer_{steps}_steps.npz"),
        os.path.join(folder, f"{prefix}_replay_buffer_{steps}_steps.pkl"),
    ]


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
