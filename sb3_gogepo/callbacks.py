"""Callbacks for GoGePo: how well the generator produces policies for the returns it is asked for."""

import importlib.util
import math
import os
import pickle
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium.envs.registration import EnvSpec
from stable_baselines3.common.callbacks import BaseCallback, CheckpointCallback, EventCallback
from stable_baselines3.common.logger import HumanOutputFormat
from stable_baselines3.common.type_aliases import GymEnv
from stable_baselines3.common.vec_env import VecEnv

from sb3_gogepo.commands import as_commands
from sb3_gogepo.envs import training_return_offset
from sb3_gogepo.eval_env import make_eval_env, recreatable_spec, sync_normalization
from sb3_gogepo.evaluation import check_env_fits, evaluate_commands
from sb3_gogepo.files import atomic_write
from sb3_gogepo.sweep_records import (
    SWEEP_CSV,
    SWEEP_FIGURE,
    read_sweep_csv,
    record_sweep,
    sweep_columns,
    sweep_figure,
    sweep_rows,
    write_sweep_csv,
)
from sb3_gogepo.validation import check_positive_integer, is_integer


class CommandSweepCallback(EventCallback):
    """
    Every ``eval_freq`` environment steps, ask the generator for a grid of returns and measure what the generated
    policies achieve (the paper's Figure 4, during training).

    The grid holds ``n_commands`` evenly spaced commands between the lowest and the highest training return seen
    so far (or the fixed ``commands``). The policy generated for each command (without exploration noise) runs
    ``n_eval_episodes`` episodes in ``eval_env``. Commands are training returns, so the achieved returns are
    compared in the same units: the true episode return plus ``alive_bonus_offset`` per step (an automatic one
    resolved for the swept task: for Hopper, the return without the survival bonus; for other tasks, the true
    return).

    Each sweep is recorded

    - as scalars under ``command_sweep/`` (mean absolute error between achieved and commanded return, their
      correlation, the command range, the best achieved mean return) and, with a TensorBoard logger, as a figure
      of achieved vs commanded return;
    - as rows of ``<log_path>/command_sweep.csv`` (one per command; columns :attr:`csv_columns`), with the figure
      of the latest sweep in ``<log_path>/command_sweep.png`` (both written atomically). A continued run
      (``reset_num_timesteps=False``) appends to the CSV, also with a new callback on a loaded model, which keeps the
      rows up to the model's steps; a new run starts the file again;
    - in memory: ``last_commands``, ``last_returns``, ``last_lengths``, ``rows``.

    If the training env is wrapped in ``VecNormalize``, the evaluation env is evaluated with the training
    env's current observation statistics (copied before every sweep, as SB3's ``EvalCallback`` does); an
    evaluation env without ``VecNormalize`` is wrapped in a non-training one for this.

    In rl-zoo3 YAML files (``python -m sb3_gogepo.train``) the callback is given by name; the launcher provides
    the zoo's evaluation env and the run's folder::

        callback:
          - sb3_gogepo.callbacks.CommandSweepCallback:
              eval_freq: 100000
              n_eval_episodes: 5

    :param eval_env: Environment to evaluate in (a ``VecEnv``, a ``gym.Env`` or an id). None: built at the
        start of training from the training env's id and keyword arguments (``Monitor``-wrapped, one env).
    :param eval_freq: Sweep every this many environment steps (counted over all parallel envs).
    :param n_commands: Number of commands of the grid.
    :param n_eval_episodes: Episodes run by the policy of each command.
    :param commands: Fixed commands to sweep instead of the grid.
    :param log_path: Folder of the CSV and the figure. None: the logger's folder if the logger writes files
        (e.g. the TensorBoard run folder), else no files are written.
    :param sweep_on_training_end: Also sweep when training ends, unless the last sweep saw the same generator.
    :param callback_after_sweep: Called after every sweep, as SB3's ``EvalCallback`` calls its ``callback_after_eval``
        (its ``parent`` is this callback: ``last_commands``, ``last_returns``, ...); training stops if it returns False.
    :param verbose: 0: silent, 1: one line per sweep.
    :param warn: Warn, as SB3's ``EvalCallback`` does, if the evaluation env has no ``Monitor`` to read the true
        returns from.
    """

    def __init__(
        self,
        eval_env: GymEnv | str | None = None,
        eval_freq: int = 10_000,
        n_commands: int = 20,
        n_eval_episodes: int = 5,
        commands: Sequence[float] | np.ndarray | None = None,
        log_path: str | os.PathLike | None = None,
        sweep_on_training_end: bool = True,
        verbose: int = 1,
        callback_after_sweep: BaseCallback | None = None,
        warn: bool = True,
    ) -> None:
        for name, value in (("eval_freq", eval_freq), ("n_commands", n_commands), ("n_eval_episodes", n_eval_episodes)):
            check_positive_integer(name, value)
        for name, flag in (("sweep_on_training_end", sweep_on_training_end), ("warn", warn)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {flag!r}")
        if not is_integer(verbose):
            raise ValueError(f"verbose must be an integer (0: silent, 1: one line per sweep), got {verbose!r}")
        if log_path is not None and not isinstance(log_path, (str, os.PathLike)):
            raise TypeError(f"log_path must be None or a folder, got {log_path!r}")
        if callback_after_sweep is not None and not isinstance(callback_after_sweep, BaseCallback):
            raise TypeError(f"callback_after_sweep must be None or a BaseCallback instance, got {callback_after_sweep!r}")
        super().__init__(callback_after_sweep, verbose=verbose)
        if commands is not None:
            commands = as_commands(commands)
        self.eval_env: GymEnv | str | None = eval_env
        self.eval_freq = int(eval_freq)
        self.n_commands = int(n_commands)
        self.n_eval_episodes = int(n_eval_episodes)
        self.commands = commands
        self.log_path: str | None = None if log_path is None else os.fspath(log_path)
        self.sweep_on_training_end = sweep_on_training_end
        self.warn = bool(warn)
        #: Path of the CSV file (None when no files are written).
        self.csv_path: str | None = None
        #: Commands, achieved true returns ``(n_commands, n_eval_episodes)`` and episode lengths of the last sweep.
        self.last_commands = np.zeros(0)
        self.last_returns = np.zeros((0, self.n_eval_episodes))
        self.last_lengths = np.zeros((0, self.n_eval_episodes), dtype=np.int64)
        #: Every CSV row written so far, as dicts.
        self.rows: list[dict[str, float]] = []
        self._vec_env: VecEnv | None = None
        self._next_sweep = self.eval_freq
        self._last_sweep: tuple[int, int] | None = None
        self._lowest_return = math.inf
        self._draw = True  # matplotlib found (checked when the callback is initialised)

    # ------------------------------------------------------------------ setup

    @property
    def csv_columns(self) -> list[str]:
        """
        Columns of the CSV: ``timesteps``, ``episodes`` (training episodes finished so far), ``command``,
        ``mean_return``, ``std_return`` (true environment returns), ``mean_training_return``,
        ``std_training_return`` (true return plus ``alive_bonus_offset`` per step: the units of the command),
        ``mean_length``, then ``return_0`` ... ``return_<n_eval_episodes - 1>`` (true return of every episode).
        """
        return sweep_columns(self.n_eval_episodes)

    def _init_callback(self) -> None:
        if not hasattr(self.model, "generate_policy") or not hasattr(self.model, "policy_buffer"):
            raise TypeError(
                f"CommandSweepCallback needs a command-conditioned model such as GoGePo, got {type(self.model).__name__}"
            )
        self._draw = importlib.util.find_spec("matplotlib") is not None
        if not self._draw:
            warnings.warn(
                "CommandSweepCallback: matplotlib is not installed, so the sweeps go to the CSV and the logger without "
                "a figure (pip install matplotlib, or the package's 'extra' extras, for the figure)",
                stacklevel=2,
            )
        # Called at every learn(): a continued run (reset_num_timesteps=False) keeps the sweeps so far and appends.
        source = self._training_spec() if self.eval_env is None else self.eval_env
        self._vec_env = make_eval_env(source, self.model.get_vec_normalize_env())
        if self.eval_env is None:
            check_env_fits(
                self._vec_env,
                self.model.policy,
                "The evaluation env made from the training env's id",
                "a wrapper without recorded arguments is not re-made from the id; pass eval_env",
            )
        else:
            check_env_fits(self._vec_env, self.model.policy, "eval_env")
        self.eval_env = self._vec_env
        if self.log_path is None:
            self.log_path = self._logger_folder()
        previous_csv_path, self.csv_path = self.csv_path, None
        steps = self.model.num_timesteps
        # The sweeps up to the model's steps stay: all of them for a continued run, none for a new one (steps 0).
        kept = [row for row in self.rows if row["timesteps"] <= steps]
        if steps == 0:
            self._lowest_return = math.inf
        if self.log_path is not None:
            os.makedirs(self.log_path, exist_ok=True)
            self.csv_path = os.path.join(self.log_path, SWEEP_CSV)
            if not self.rows and steps > 0 and os.path.isfile(self.csv_path):
                # A new callback on a continued run (a loaded model, say): the file's sweeps up to its steps stay.
                kept = [row for row in read_sweep_csv(self.csv_path, self.csv_columns) if row["timesteps"] <= steps]
            if kept != self.rows or self.csv_path != previous_csv_path or not os.path.isfile(self.csv_path):
                write_sweep_csv(self.csv_path, self.csv_columns, kept)
        self.rows = kept
        # SB3 updates a callback's step count only at its first step: take the model's (a continued or a new run).
        self.num_timesteps = self.model.num_timesteps
        self._next_sweep = self.num_timesteps + self.eval_freq
        self._last_sweep = None

    def _logger_folder(self) -> str | None:
        """:return: The logger's folder if it writes files (TensorBoard, CSV, ...); else SB3 made up a temporary one."""
        for output_format in self.logger.output_formats:
            if isinstance(output_format, HumanOutputFormat) and not output_format.own_file:
                continue  # stdout
            return self.logger.get_dir()
        return None

    def _training_spec(self) -> EnvSpec:
        spec = recreatable_spec(self.training_env)
        if spec is None:
            raise ValueError(
                "CommandSweepCallback could not find the id of the training environment; pass an eval_env explicitly"
            )
        return spec

    # ------------------------------------------------------------------ events

    def _on_step(self) -> bool:
        last_return = float(getattr(self.model, "last_training_return", math.nan))
        if math.isfinite(last_return):
            self._lowest_return = min(self._lowest_return, last_return)
        if self.num_timesteps >= self._next_sweep:
            while self._next_sweep <= self.num_timesteps:
                self._next_sweep += self.eval_freq
            if self.sweep() is not None:
                return self._on_event()
        return True

    def _on_training_end(self) -> None:
        if self.sweep_on_training_end and self._last_sweep != self._training_state():
            self.sweep()

    def _training_state(self) -> tuple[int, int]:
        """Steps and finished episodes: the generator only changes when an episode finishes."""
        return self.num_timesteps, int(getattr(self.model, "_episode_num", 0))

    # ------------------------------------------------------------------ the sweep

    def command_grid(self) -> np.ndarray | None:
        """
        :return: The commands of the next sweep: the fixed ``commands``, or ``n_commands`` evenly spaced values
            between the lowest and the highest training return seen (one value if they are equal); None before
            the first finished episode.
        """
        if self.commands is not None:
            return np.asarray(self.commands)
        model: Any = self.model
        buffer = model.policy_buffer
        returns = buffer.returns[: buffer.size()].double().cpu().numpy()
        returns = returns[np.isfinite(returns)]
        best = float(model.policy.best_return)
        candidates = [*returns.tolist(), best, self._lowest_return]
        # Compared at the buffer's float32 precision: the best and the lowest return are float64 copies of its entries.
        finite = np.array([value for value in candidates if math.isfinite(value)], dtype=np.float32)
        if not len(finite):
            return None
        low, high = float(finite.min()), float(finite.max())
        if low == high:
            return np.array([low])
        return np.linspace(low, high, self.n_commands)

    def sweep(self) -> tuple[np.ndarray, np.ndarray] | None:
        """
        Run one sweep now and record it.

        :return: The commands and the achieved true returns ``(n_commands, n_eval_episodes)``, or None if no
            training return has been seen yet.
        """
        commands = self.command_grid()
        if commands is None:
            if self.verbose >= 1:
                print(f"Command sweep at {self.num_timesteps} steps skipped: no episode has finished yet")
            return None
        assert self._vec_env is not None
        sync_normalization(self.model.get_vec_normalize_env(), self._vec_env)
        returns, lengths = evaluate_commands(
            self.model.policy,  # type: ignore[arg-type]
            self._vec_env,
            commands,
            self.n_eval_episodes,
            warn=self.warn,
        )
        self.last_commands, self.last_returns, self.last_lengths = commands, returns, lengths
        self._last_sweep = self._training_state()
        self._record(commands, returns, lengths)
        return commands, returns

    def _record(self, commands: np.ndarray, returns: np.ndarray, lengths: np.ndarray) -> None:
        # Resolved for the swept env: a model loaded without an env has not resolved an automatic setting.
        offset = training_return_offset(getattr(self.model, "alive_bonus_offset", 0.0), self._vec_env)
        training_returns = returns + offset * lengths
        timesteps, episodes = self._training_state()
        self.rows.extend(sweep_rows(timesteps, episodes, commands, returns, lengths, training_returns))
        if self.csv_path is not None:
            write_sweep_csv(self.csv_path, self.csv_columns, self.rows)
        figure = sweep_figure(commands, training_returns, offset, self.num_timesteps) if self._draw else None
        figure_path = None if self.log_path is None else os.path.join(self.log_path, SWEEP_FIGURE)
        error = record_sweep(self.logger, commands, returns, training_returns, figure, figure_path)
        if self.verbose >= 1:
            achieved = training_returns.mean(axis=1)
            print(
                f"Command sweep at {self.num_timesteps} steps: commands {commands.min():.1f} .. {commands.max():.1f}, "
                f"achieved {achieved.min():.1f} .. {achieved.max():.1f}, mean |achieved - command| {error:.1f}"
            )
        self.logger.dump(self.num_timesteps)


class GoGePoCheckpointCallback(CheckpointCallback):
    """
    SB3's ``CheckpointCallback``, with each checkpoint's files saved so that a run killed at any time can continue from
    its newest model file with everything saved beside it:

    - the policy buffer (``save_replay_buffer=True``) goes to ``<name_prefix>_policy_buffer_<steps>_steps.npz``
      (SB3 names it ``..._replay_buffer_<steps>_steps.pkl``, although GoGePo writes an ``.npz``);
    - the buffer and the ``VecNormalize`` statistics are saved before the model, and every file atomically, so that a
      model file on disk always has its companions complete.

    The RL Zoo launcher (``python -m sb3_gogepo.train --save-freq N``) uses it for GoGePo, with the buffer when
    ``--save-replay-buffer`` is given; ``-i <run>/rl_model_<steps>_steps.zip`` then loads that checkpoint's buffer.
    The arguments are SB3's.

    :param save_freq: Save a checkpoint every ``save_freq`` calls of the callback (env steps of the VecEnv).
    :param save_path: Folder of the checkpoints.
    :param name_prefix: Start of the file names.
    :param save_replay_buffer: Also save the policy buffer.
    :param save_vecnormalize: Also save the ``VecNormalize`` statistics.
    :param verbose: 2: a line per file saved.
    """

    def _on_step(self) -> bool:
        if self.n_calls % self.save_freq != 0:
            return True
        buffer = getattr(self.model, "policy_buffer", None)
        if self.save_replay_buffer and buffer is not None:
            path = self._checkpoint_path("policy_buffer_", extension="npz")
            self.model.save_policy_buffer(path)  # type: ignore[attr-defined]
            self._saved("policy buffer", path)
        vec_normalize = self.model.get_vec_normalize_env()
        if self.save_vecnormalize and vec_normalize is not None:
            path = self._checkpoint_path("vecnormalize_", extension="pkl")
            with atomic_write(path) as file:
                pickle.dump(vec_normalize, file)  # what VecNormalize.save writes
            self._saved("VecNormalize", path)
        path = self._checkpoint_path(extension="zip")
        self.model.save(path)
        self._saved("model", path)
        return True

    def _saved(self, what: str, path: str) -> None:
        if self.verbose >= 2:
            print(f"Saving {what} checkpoint to {path}")


__all__ = ["SWEEP_CSV", "SWEEP_FIGURE", "CommandSweepCallback", "GoGePoCheckpointCallback"]
