"""The RL Zoo's experiment manager, with what GoGePo runs need: the policy buffer saved and loaded with the model, and
the command sweep given the zoo's evaluation environment and the run's folder."""

import importlib
import math
import os
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import optuna
import rl_zoo3
import rl_zoo3.exp_manager
import yaml
from rl_zoo3.exp_manager import ExperimentManager
from rl_zoo3.utils import SimpleLinearSchedule
from sb3_contrib import ARS
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import CheckpointCallback
from stable_baselines3.common.save_util import json_to_data
from stable_baselines3.common.vec_env import VecEnv

from sb3_gogepo.callbacks import CommandSweepCallback, GoGePoCheckpointCallback
from sb3_gogepo.gogepo import GoGePo
from sb3_gogepo.validation import is_integer, is_real
from sb3_gogepo.zoo.baselines import continue_ars_from_its_policy
from sb3_gogepo.zoo.sampler import ENTRY_POLICY_KWARGS

#: File name of GoGePo's policy buffer in a run's folder (``--save-replay-buffer``).
POLICY_BUFFER_FILE = "policy_buffer.npz"
BEST_MODEL_FILE = "best_model.zip"  # where the zoo's EvalCallback saves the best model


#: The learning rates of a YAML entry that the zoo turns into schedules (``evaluator_learning_rate`` is GoGePo's).
LEARNING_RATES = ("learning_rate", "evaluator_learning_rate")


def check_learning_rate(key: str, value: Any) -> None:
    """
    Check a learning rate of a YAML entry before the zoo wraps it in a schedule, which the algorithm's constructor then
    cannot see into: the zoo makes a schedule of any number (``True`` included) and reads ``<anything>_<number>`` as a
    linear schedule.

    :param key: The entry's key.
    :param value: Its value: a number, a ``lin_<number>`` string or a schedule.
    :raises ValueError: Unless it is a positive finite number, ``lin_`` and one, or callable.
    """
    if callable(value):
        return
    rate: Any = value
    if isinstance(value, str):
        kind, _, initial = value.partition("_")
        try:
            rate = float(initial) if kind == "lin" else None
        except ValueError:
            rate = None
    if not (is_real(rate) and math.isfinite(rate) and rate > 0):
        raise ValueError(
            f"{key} must be a positive number or 'lin_<positive number>' (a linear schedule from it to 0), got {value!r}"
        )


def check_saved_algorithm(path: str, algo: str) -> None:
    """
    Refuse to continue a model file saved by another algorithm, by its policy class (read from the file's data, without
    its parameters); a file that cannot be read so is left to the algorithm's ``load`` to refuse.

    :param path: The model file (``-i``).
    :param algo: The zoo's name of the algorithm that is to continue it (``--algo``).
    :raises ValueError: If the file's policy is not one the algorithm takes.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            policy_class = json_to_data(archive.read("data").decode()).get("policy_class")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return
    algo_class = rl_zoo3.ALGOS[algo]
    accepted = tuple(algo_class.policy_aliases.values())
    if isinstance(policy_class, type) and accepted and not issubclass(policy_class, accepted):
        raise ValueError(
            f"{path} holds a model with the policy {policy_class.__name__}, which {algo_class.__name__} (--algo {algo}) "
            "does not take: continue it with the algorithm that saved it"
        )


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
    - ``evaluator_learning_rate`` accepts the zoo's ``lin_<value>`` schedule strings, like ``learning_rate``;
    - the network sizes a search samples (``-optimize``) or a loaded trial has (``--trial-id``) join the YAML entry's
      ``policy_kwargs`` instead of replacing them, so that its ``command_scale`` and other settings stay.
    """

    def objective(self, trial: optuna.Trial) -> float:
        token = ENTRY_POLICY_KWARGS.set(dict(self._hyperparams.get("policy_kwargs") or {}))
        try:
            return super().objective(trial)
        finally:
            ENTRY_POLICY_KWARGS.reset(token)

    def load_trial(self, storage: str, study_name: str, trial_id: int | None = None, convert: bool = True) -> dict[str, Any]:
        token = ENTRY_POLICY_KWARGS.set(entry_policy_kwargs(self.config, self.env_name.gym_id))
        try:
            return super().load_trial(storage, study_name, trial_id, convert)
        finally:
            ENTRY_POLICY_KWARGS.reset(token)

    def _preprocess_hyperparams(self, hyperparams: dict[str, Any]) -> Any:
        n_envs = hyperparams.get("n_envs", 1)
        if not is_integer(n_envs) or n_envs < 1:
            raise ValueError(f"n_envs must be a positive integer, got {n_envs!r}")
        budget: Any = hyperparams.get("n_timesteps")
        if self.n_timesteps <= 0 and not (is_real(budget) and math.isfinite(budget) and budget >= 1):
            hint = " (YAML reads 1e6 as a string: write 1.0e6)" if isinstance(budget, str) else ""
            raise ValueError(f"n_timesteps must be a positive number of steps{hint}, got {budget!r}")
        policy = hyperparams.get("policy")
        if not isinstance(policy, (str, type)):
            raise ValueError(f"policy must be a policy's name, such as 'MlpPolicy', or its class, got {policy!r}")
        return super()._preprocess_hyperparams(hyperparams)

    @staticmethod
    def _preprocess_schedules(hyperparams: dict[str, Any]) -> dict[str, Any]:
        for key in LEARNING_RATES:
            if key in hyperparams:
                check_learning_rate(key, hyperparams[key])
        hyperparams = ExperimentManager._preprocess_schedules(hyperparams)
        value = hyperparams.get("evaluator_learning_rate")
        if isinstance(value, str):
            hyperparams["evaluator_learning_rate"] = SimpleLinearSchedule(float(value.partition("_")[2]))
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
        check_saved_algorithm(self.trained_agent, self.algo)
        model = super()._load_pretrained_agent(hyperparams, env)
        if isinstance(model, ARS):
            continue_ars_from_its_policy(model)
        if isinstance(model, GoGePo):
            candidates = policy_buffer_files(self.trained_agent)
            found = [path for path in candidates if os.path.isfile(path)]
            if found:
                print(f"Loading policy buffer from {found[0]}")
                model.load_policy_buffer(found[0])
            else:
                missing = (
                    f"no {' or '.join(candidates)}"
                    if candidates
                    else "no buffer is saved with the best model (EvalCallback saves the model alone)"
                )
                warnings.warn(
                    f"Continuing {self.trained_agent} with an empty policy buffer: {missing}. The evaluator and the "
                    "generator will train on the new episodes only; train with --save-replay-buffer to save the buffer "
                    "with the final model and with every checkpoint (--save-freq), and continue from one of those",
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


def entry_policy_kwargs(config: str, env_id: str) -> dict[str, Any]:
    """
    The ``policy_kwargs`` of an environment's entry in a zoo config, read as ``rl_zoo3`` reads them.

    :param config: A YAML file, a Python file or the name of a Python module with a ``hyperparams`` dict.
    :param env_id: The environment; without an entry of its own, the ``default`` entry's.
    :return: The entry's ``policy_kwargs`` (a ``dict(...)`` string evaluated in the zoo's namespace), or ``{}``.
    """
    if config.endswith((".yml", ".yaml")):
        with open(config) as file:
            entries = yaml.safe_load(file)
    elif config.endswith(".py"):
        namespace: dict[str, Any] = {}
        exec(Path(config).read_text(), namespace)
        entries = namespace["hyperparams"]
    else:
        entries = importlib.import_module(config).hyperparams
    return zoo_policy_kwargs(entries.get(env_id, entries.get("default", {})).get("policy_kwargs", {}))


def zoo_policy_kwargs(policy_kwargs: str | dict[str, Any]) -> dict[str, Any]:
    """
    :param policy_kwargs: ``policy_kwargs`` as a config or ``run.json`` holds them.
    :return: Them as the zoo reads them: a ``dict(...)`` string evaluated in ``rl_zoo3``'s namespace (as
        ``ExperimentManager._preprocess_hyperparams`` does), a dict as it is.
    """
    if isinstance(policy_kwargs, str):
        return dict(eval(policy_kwargs, vars(rl_zoo3.exp_manager)))
    return dict(policy_kwargs)


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
    ``CheckpointCallback``'s ``<prefix>_replay_buffer_<steps>_steps.pkl``; for the best model (``best_model.zip``,
    saved by the ``EvalCallback`` alone), none; for any other model file, the run's ``policy_buffer.npz`` (saved with
    the final model).

    :param model_path: The model file given to ``-i``.
    :return: The candidate files, in the order they are tried.
    """
    folder, name = os.path.split(model_path)
    if name == BEST_MODEL_FILE:
        return []  # the run's policy_buffer.npz holds the final model's episodes, from after the best model
    checkpoint = re.fullmatch(r"(.*)_(\d+)_steps\.zip", name)
    if checkpoint is None:
        return [os.path.join(folder, POLICY_BUFFER_FILE)]
    prefix, steps = checkpoint.groups()
    return [
        os.path.join(folder, f"{prefix}_policy_buffer_{steps}_steps.npz"),
        os.path.join(folder, f"{prefix}_replay_buffer_{steps}_steps.pkl"),
    ]
