"""GoGePo: Goal-Conditioned Generators of Deep Policies, as a Stable-Baselines3 algorithm."""

import io
import math
import os
import pathlib
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np
import torch as th
import torch.nn.functional as F
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm, maybe_make_env
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import GymEnv, MaybeCallback, Schedule
from stable_baselines3.common.utils import FloatSchedule, safe_mean, update_learning_rate

from sb3_gogepo.buffers import PolicyBuffer
from sb3_gogepo.checks import (
    check_compile_updates,
    check_constructor_arguments,
    check_device,
    check_hyperparameters,
    check_learn_arguments,
    check_run_settings,
    check_spaces,
    checked_seed,
)
from sb3_gogepo.commands import as_commands, next_command
from sb3_gogepo.envs import normalized_like_training, training_return_offset, vec_normalize_statistics
from sb3_gogepo.evaluation import evaluate_commands, warn_if_unmonitored
from sb3_gogepo.files import atomic_write
from sb3_gogepo.policies import GeneratedPolicy, GoGePoPolicy
from sb3_gogepo.rollout import FinishedEpisode, SlotRollout
from sb3_gogepo.validation import MAX_TRAINING_MAGNITUDE, check_positive_integer, is_real

SelfGoGePo = TypeVar("SelfGoGePo", bound="GoGePo")


class GoGePo(BaseAlgorithm):
    """
    Goal-Conditioned Generators of Deep Policies (Faccio, Herrmann, Ramesh, Kirsch, Schmidhuber; AAAI 2023).
    Paper: https://arxiv.org/abs/2207.01570

    A hypernetwork ``G(c)`` generates all weights of a deterministic MLP policy for a desired return ``c``. Each
    env slot runs ``G(c) + noise`` for one episode and stores (parameters, return) in a buffer; after every
    finished episode a fingerprinting evaluator ``V(theta)`` is fitted to the stored returns and the generator is
    trained through ``V`` so that ``V(G(r)) = r``. Commands ask for ``command_drive`` more than the best return
    seen. After training, :meth:`generate_policy` produces a policy for any desired return.

    :param policy: The policy class or alias (``"MlpPolicy"``). As a shortcut, the environment may be given
        here instead, with ``env`` left out: ``GoGePo("Hopper-v3")`` is ``GoGePo("MlpPolicy", "Hopper-v3")``.
    :param env: The environment to learn from (an id, a ``gym.Env`` or a ``VecEnv``; ``None`` for loading).
    :param learning_rate: Generator learning rate, float or schedule (2e-6 in the paper).
    :param evaluator_learning_rate: Evaluator learning rate, float or schedule (5e-3 in the paper).
    :param buffer_size: Number of (parameters, return) pairs kept (10 000).
    :param batch_size: Minibatch size of evaluator and generator updates (16).
    :param noise_std: Standard deviation of the Gaussian noise added to the generated parameters (0.1).
    :param n_evaluator_updates: Evaluator gradient steps after every finished episode (5).
    :param n_generator_updates: Generator gradient steps after every finished episode (20).
    :param command_drive: The next command is the best training return seen plus this (20).
    :param initial_command: The command before any episode has finished (0).
    :param recency_exponent: Buffer entries ``x`` episodes old are sampled with weight ``1 / x**recency_exponent``
        (1.1; 0 samples uniformly).
    :param alive_bonus_offset: Constant added to every reward of the *training* return, as ARS's
        ``alive_bonus_offset``. ``None`` removes the task's survival bonus (-1 per step for Hopper, Walker2d and
        Ant, -5 for Humanoid, 0 for other tasks), as in the paper, for whichever env the model trains on (it is
        resolved again after ``set_env`` or ``load(..., env=...)``; :attr:`training_return_offset` holds the value
        in use). Logs and evaluations report the true return.
    :param buffer_dtype: Storage dtype of the buffer's parameters: ``"float32"``, ``"float16"`` or ``"bfloat16"``.
    :param update_precision: Precision of the update block. ``"float32"`` (default) is the paper's exact
        computation. ``"bfloat16"`` is the fast mode: evaluator and generator steps run under bf16 autocast
        (matrix products in bfloat16, fp32 master weights, losses and optimizer state), faster where the
        hardware has bfloat16 matrix units (CPUs with AVX-512 BF16 or AMX, recent GPUs; the speed benchmark
        measures both precisions' ceilings).
    :param compile_updates: Run the evaluator and generator steps through ``torch.compile`` (same mathematics:
        the element-wise work around the matrix products is fused). The first update block pays a one-off
        compilation; on the CPU it needs a C++ compiler.
    :param policy_kwargs: Keyword arguments of the policy (network sizes, ...), see :class:`GoGePoPolicy`.
    :param stats_window_size: Number of episodes averaged in ``rollout/ep_rew_mean`` and ``rollout/ep_len_mean``.
    :param tensorboard_log: Log folder for TensorBoard (None: no TensorBoard logging).
    :param seed: Seed of the pseudo-random generators.
    :param verbose: 0: no output, 1: info messages and logs, 2: debug.
    :param device: Device of the generator and evaluator (``"auto"``, ``"cpu"``, ``"cuda"``).
    :param _init_setup_model: Whether to build the networks at creation.
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {"MlpPolicy": GoGePoPolicy}
    policy: GoGePoPolicy

    def __init__(
        self,
        policy: str | type[GoGePoPolicy] | GymEnv = "MlpPolicy",
        env: GymEnv | str | None = None,
        learning_rate: float | Schedule = 2e-6,
        evaluator_learning_rate: float | Schedule = 5e-3,
        buffer_size: int = 10_000,
        batch_size: int = 16,
        noise_std: float = 0.1,
        n_evaluator_updates: int = 5,
        n_generator_updates: int = 20,
        command_drive: float = 20.0,
        initial_command: float = 0.0,
        recency_exponent: float = 1.1,
        alive_bonus_offset: float | None = None,
        buffer_dtype: str = "float32",
        update_precision: str = "float32",
        compile_updates: bool = False,
        policy_kwargs: dict[str, Any] | None = None,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        seed: int | np.integer | None = None,
        verbose: int = 0,
        device: th.device | str = "auto",
        _init_setup_model: bool = True,
    ) -> None:
        if env is None and not (isinstance(policy, type) or policy in self.policy_aliases):
            policy, env = "MlpPolicy", policy
        if env is None and _init_setup_model:
            name = type(self).__name__
            raise TypeError(f"{name} needs an environment: {name}('MlpPolicy', env) or {name}(env)")
        # What the base class uses; the hyperparameters are checked by _setup_model, as for a loaded model.
        check_constructor_arguments(self.policy_aliases, policy, env, policy_kwargs, device)
        check_run_settings(seed, verbose, tensorboard_log, stats_window_size)
        if env is not None:
            env = maybe_make_env(env, verbose)
            check_spaces(env.observation_space, env.action_space)
        super().__init__(
            policy,  # type: ignore[arg-type]
            env,
            learning_rate=learning_rate,
            policy_kwargs=policy_kwargs,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            verbose=verbose,
            device=device,
            support_multi_env=True,
            seed=checked_seed(seed),
        )
        self.evaluator_learning_rate = evaluator_learning_rate
        self.buffer_size = buffer_size
        self.batch_size = batch_size
        self.noise_std = noise_std
        self.n_evaluator_updates = n_evaluator_updates
        self.n_generator_updates = n_generator_updates
        self.command_drive = command_drive
        self.initial_command = initial_command
        self.recency_exponent = recency_exponent
        self.buffer_dtype = buffer_dtype
        self.update_precision = update_precision
        self.compile_updates = compile_updates
        self.alive_bonus_offset = alive_bonus_offset
        #: Added to every reward of the training return: ``alive_bonus_offset`` resolved for the current env.
        self.training_return_offset = 0.0
        self.command = initial_command
        self.n_dropped_episodes = 0
        self.last_training_return = math.nan
        self.policy_buffer: PolicyBuffer | None = None
        self._rollout: SlotRollout | None = None
        if _init_setup_model:
            self._setup_model(loaded=False)

    def _resolve_alive_bonus_offset(self) -> None:
        """``alive_bonus_offset=None`` means: remove the survival bonus of the task behind the current env."""
        self.training_return_offset = training_return_offset(self.alive_bonus_offset, self.env)

    def set_env(self, env: GymEnv, force_reset: bool = True) -> None:
        """
        Train on a new environment (see SB3's ``set_env``); an automatic ``alive_bonus_offset`` follows it.

        :param env: The new environment (same spaces).
        :param force_reset: Reset it before the next ``learn`` (SB3's default).
        """
        super().set_env(env, force_reset)
        self._resolve_alive_bonus_offset()

    def _setup_model(self, loaded: bool = True) -> None:
        """
        Check the hyperparameters and build the networks and the buffer: at construction, and when ``load`` has set the
        saved values and its keyword arguments on a model made without them.

        :param loaded: The values come from ``load`` (see :func:`check_hyperparameters`).
        """
        self.check_hyperparameters(loaded)
        self._resolve_alive_bonus_offset()
        self._setup_lr_schedule()
        self.evaluator_lr_schedule = FloatSchedule(self.evaluator_learning_rate)
        self.seed = checked_seed(self.seed)
        self.set_random_seed(self.seed)
        self.policy = self.policy_class(  # type: ignore[assignment]
            self.observation_space,
            self.action_space,
            self.lr_schedule,
            self.evaluator_lr_schedule,
            **self.policy_kwargs,
        )
        self.policy = self.policy.to(self.device)
        saved_buffer = self.policy_buffer  # set when ``load`` read a model saved with ``include=["policy_buffer"]``
        self.policy_buffer = PolicyBuffer(
            self.buffer_size,
            self.policy.layout.n_params,
            self.recency_exponent,
            self.device,
            self.buffer_dtype,
            layer_sizes=self.policy.layout.sizes,
        )
        if saved_buffer is not None:
            self.policy_buffer.set_entries(*saved_buffer.ordered())
        self._rollout = None
        self._update_steps: tuple[Callable[[th.Tensor], th.Tensor], Callable[[th.Tensor], th.Tensor]] | None = None
        if not hasattr(self, "_logger"):
            # A silent logger until learn() configures the real one, so that callbacks can be used on a model that
            # has not been trained in this process (SB3's init_callback reads model.logger).
            self._logger = Logger(folder=None, output_formats=[])

    def check_hyperparameters(self, loaded: bool) -> None:
        check_hyperparameters(
            learning_rate=self.learning_rate,
            evaluator_learning_rate=self.evaluator_learning_rate,
            buffer_size=self.buffer_size,
            batch_size=self.batch_size,
            noise_std=self.noise_std,
            n_evaluator_updates=self.n_evaluator_updates,
            n_generator_updates=self.n_generator_updates,
            command_drive=self.command_drive,
            initial_command=self.initial_command,
            recency_exponent=self.recency_exponent,
            alive_bonus_offset=self.alive_bonus_offset,
            buffer_dtype=self.buffer_dtype,
            update_precision=self.update_precision,
            compile_updates=self.compile_updates,
            loaded=loaded,
        )
        if loaded:
            check_run_settings(self.seed, self.verbose, self.tensorboard_log, self._stats_window_size)

    @classmethod
    def load(  # type: ignore[override]
        cls: type[SelfGoGePo],
        path: str | pathlib.Path | io.BufferedIOBase,
        env: GymEnv | None = None,
        device: th.device | str = "auto",
        custom_objects: dict[str, Any] | None = None,
        print_system_info: bool = False,
        force_reset: bool = True,
        **kwargs: Any,
    ) -> SelfGoGePo:
        """
        Load a model as SB3's ``BaseAlgorithm.load`` does, the device checked first as the constructor checks it.

        :param path: The file (``.zip`` added if missing) or a file object.
        :param env: The env to continue training in (its spaces must be the model's), or None.
        :param device: Device to load the model on.
        :param custom_objects: Saved values to replace instead of loading them (as SB3's).
        :param print_system_info: Print the system the model was saved on and this one.
        :param force_reset: Reset the env before training continues (as SB3's).
        :param kwargs: Attributes to set on the loaded model (``seed=...``, hyperparameters).
        :return: The loaded model.
        """
        check_device(device)
        return super().load(path, env, device, custom_objects, print_system_info, force_reset, **kwargs)

    def set_random_seed(self, seed: int | np.integer | None = None) -> None:
        """
        Seed the pseudo-random generators as SB3 does, the seed checked first and taken as a Python integer
        (``random.seed`` refuses NumPy's).

        :param seed: None or an integer from 0 to 2**32 - 1.
        """
        super().set_random_seed(checked_seed(seed))

    def _excluded_save_params(self) -> list[str]:
        return [
            *super()._excluded_save_params(),
            "policy_buffer",
            "_rollout",
            "_update_steps",
        ]

    def _get_torch_save_params(self) -> tuple[list[str], list[str]]:
        return ["policy", "policy.generator_optimizer", "policy.evaluator_optimizer"], []

    def save(
        self,
        path: str | pathlib.Path | io.BufferedIOBase,
        exclude: Iterable[str] | None = None,
        include: Iterable[str] | None = None,
    ) -> None:
        """
        Save the model in a zip file, as SB3 does (``.zip`` is added to a name without a suffix), but atomically: the
        file is written aside and moved onto ``path`` once complete, so that a save that fails or is killed halfway
        leaves the previous file at ``path`` whole.

        :param path: Target file, or a binary file object open for writing (written to directly).
        :param exclude: Names of attributes to leave out, besides the default ones.
        :param include: Names of attributes to save although they are left out by default (``"policy_buffer"``, or
            SB3's name for it, ``"replay_buffer"``).
        """
        if include is not None:
            include = ["policy_buffer" if name == "replay_buffer" else name for name in include]
        if not isinstance(path, (str, os.PathLike)):
            super().save(path, exclude, include)
            return
        target = pathlib.Path(path)
        if target.suffix == "":
            target = target.with_name(target.name + ".zip")
        with atomic_write(target) as file:
            super().save(file, exclude, include)

    # ------------------------------------------------------------------ training

    def learn(
        self: SelfGoGePo,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 10,
        tb_log_name: str = "GoGePo",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfGoGePo:
        """
        Train the generator.

        :param total_timesteps: Number of environment steps to train for (a whole number, ``1e6`` included). If they
            end no episode, nothing is stored or trained, and a warning says so.
        :param callback: Callback(s) called at every step (``on_step``) and around every rollout
            (``on_rollout_start``/``on_rollout_end``; a rollout lasts until an episode finishes).
        :param log_interval: Write the logs every ``log_interval`` finished episodes (None: never).
        :param tb_log_name: Name of the run in TensorBoard.
        :param reset_num_timesteps: Whether to reset the timestep counter (False continues a run).
        :param progress_bar: Display a progress bar (tqdm and rich).
        :return: The trained model.
        """
        check_learn_arguments(total_timesteps, callback, log_interval, tb_log_name, reset_num_timesteps, progress_bar)
        if self.env is None:  # before SB3's _setup_learn, which resets the step count of the run it would continue
            raise ValueError("learn() needs an environment: give one to GoGePo.load(path, env=...) or call set_env(env)")
        self.check_hyperparameters(loaded=True)  # values set on the model since, as at construction
        self._check_finite_networks()
        steps_asked, last_obs = total_timesteps, self._last_obs
        total_timesteps, callback = self._setup_learn(
            int(total_timesteps), callback, reset_num_timesteps, tb_log_name, progress_bar
        )
        steps_before, episodes_before = self.num_timesteps, self._episode_num  # after a reset, if there is one
        assert self.env is not None
        self._resolve_alive_bonus_offset()
        if self._rollout is None or self._rollout.n_slots != self.env.num_envs or self._last_obs is not last_obs:
            self._rollout = SlotRollout(self.policy, self.env.num_envs)
            self._start_episodes(np.arange(self.env.num_envs))
        elif self._rollout.awaiting_policy.any():  # an exception left the last learn() before these slots had a policy
            self._renew_policies(np.flatnonzero(self._rollout.awaiting_policy))
        callback.on_training_start(locals(), globals())
        continue_training = True
        while continue_training and self.num_timesteps < total_timesteps:
            self._update_current_progress_remaining(self.num_timesteps, total_timesteps)
            try:
                finished, continue_training = self._collect_episodes(callback, total_timesteps)
                # No update block after a stop (as in SB3): the model learn returns is the one the callback saw.
                self._end_episodes(finished, log_interval, train=continue_training)
            except BaseException:
                # Ctrl-C in an update block, a callback that raises: the episodes the env has ended are stored
                # untrained, as after a stop, so that a continued run does not add their returns to the next ones'.
                self._store_ended_episodes()
                raise
        callback.on_training_end()
        if continue_training and self._episode_num == episodes_before and self.num_timesteps > steps_before:
            warnings.warn(
                f"learn({steps_asked}) ended no episode in {self.num_timesteps - steps_before} steps, so nothing was stored "
                "or trained: GoGePo learns from whole episodes. Give the env a time limit (gymnasium's TimeLimit wrapper, "
                "or max_episode_steps in gym.make), or learn for more steps than an episode lasts",
                UserWarning,
                stacklevel=2,
            )
        return self

    def _start_episodes(self, slots: np.ndarray) -> None:
        """Give each of the ``slots`` ``G(command) + noise`` for its next episode."""
        assert self._rollout is not None
        with th.no_grad():
            commands = th.full((len(slots),), self.command, device=self.device)
            params = self.policy.generate(commands)
            params = params + self.noise_std * th.randn_like(params)
        self._rollout.start(slots, params)

    def _renew_policies(self, slots: np.ndarray) -> None:
        """The next command, from the best return so far, and new policies for it in the ``slots``."""
        self.command = self._next_command()
        self._start_episodes(slots)

    def _next_command(self) -> float:
        """:return: The command of the next episodes: the best return so far plus ``command_drive``."""
        return next_command(float(self.policy.best_return), self.command_drive, self.initial_command)

    def _collect_episodes(self, callback: BaseCallback, total_timesteps: int) -> tuple[np.ndarray, bool]:
        """
        Step all slots until at least one episode ends.

        :return: The slots whose episodes ended, and False if a callback stopped training.
        """
        assert self.env is not None and self._rollout is not None and self._last_obs is not None
        dones = np.zeros(self.env.num_envs, dtype=bool)
        continue_training = True
        callback.on_rollout_start()
        while continue_training and not dones.any() and self.num_timesteps < total_timesteps:
            observations = np.asarray(self._last_obs)
            actions = self._rollout.act(observations)
            self.policy.observation_normalizer.accumulate(observations.reshape(self.env.num_envs, -1))
            new_obs, rewards, dones, infos = self.env.step(actions)
            if self._vec_normalize_env is not None:
                rewards = self._vec_normalize_env.get_original_reward()
            self._rollout.record(rewards, dones)
            self.num_timesteps += self.env.num_envs
            self._last_obs = new_obs  # type: ignore[assignment]
            self._last_episode_starts = dones
            callback.update_locals(locals())
            continue_training = callback.on_step()
            self._update_info_buffer(infos, dones)
        if continue_training:
            callback.on_rollout_end()
        return np.flatnonzero(dones), continue_training

    def _end_episodes(self, finished: np.ndarray, log_interval: int | None, train: bool = True) -> None:
        """
        Store the episodes of the ``finished`` slots and run an update block for each, then give the slots new policies.

        :param train: Run the update blocks (not when a callback has stopped training).
        """
        assert self._rollout is not None
        for slot in finished:
            if self._store_episode(self._rollout.finish(int(slot), self.training_return_offset)) and train:
                self.train()
            if log_interval is not None and self._episode_num % log_interval == 0:
                self.dump_logs()
        if len(finished):
            self._renew_policies(finished)

    def _store_ended_episodes(self) -> None:
        """Store, untrained, the episodes that the env has ended and that are not stored yet."""
        assert self._rollout is not None
        for slot in np.flatnonzero(self._rollout.ended):
            self._store_episode(self._rollout.finish(int(slot), self.training_return_offset))

    def _store_episode(self, episode: FinishedEpisode) -> bool:
        """
        Everything an episode end does before the update block, together: the observation statistics committed, the
        policy and its return stored (unless the return cannot be trained on: NaN, infinite or beyond
        :data:`~sb3_gogepo.validation.MAX_TRAINING_MAGNITUDE`), the best return updated. Warnings come last, so that one
        turned into an exception leaves all of this done.

        :return: Whether the episode was stored.
        """
        assert self.policy_buffer is not None
        training_return = episode.training_return
        self._episode_num += 1
        normalizer = self.policy.observation_normalizer
        n_left_out = normalizer.commit()
        trainable = abs(training_return) <= MAX_TRAINING_MAGNITUDE  # False for NaN
        stored = trainable and self.policy_buffer.add(episode.params, training_return)
        if stored:
            self.last_training_return = training_return
            if training_return > float(self.policy.best_return):
                self.policy.best_return.fill_(training_return)
            self.policy.observe_return(training_return)
        else:
            self.n_dropped_episodes += 1
        name = f"Episode {self._episode_num} (step {self.num_timesteps})"
        if n_left_out:
            largest = normalizer.largest_left_out
            values = "all NaN" if math.isnan(largest) else f"largest magnitude {largest:g}"
            warnings.warn(
                f"{name}: {n_left_out} training observation(s) with NaN, infinite or too large values ({values}; "
                f"GoGePo trains on magnitudes up to {MAX_TRAINING_MAGNITUDE:g}) were left out of the observation "
                "statistics (the policies acting on them produced unusable actions)",
                RuntimeWarning,
                stacklevel=3,
            )
        if not trainable:
            warnings.warn(
                f"{name} has a training return of {training_return:g}, which cannot be trained on (NaN, infinite or of "
                f"magnitude above {MAX_TRAINING_MAGNITUDE:g}, see MAX_TRAINING_MAGNITUDE): it is neither stored nor trained "
                f"on ({self.n_dropped_episodes} dropped so far)",
                RuntimeWarning,
                stacklevel=3,
            )
        elif not stored:
            warnings.warn(
                f"{name}: its policy has parameters that are not finite in the buffer's dtype ({self.buffer_dtype}; "
                f"largest magnitude {float(episode.params.abs().max()):g}): it is neither stored nor trained on "
                f"({self.n_dropped_episodes} dropped so far)",
                RuntimeWarning,
                stacklevel=3,
            )
        return stored

    def train(self) -> None:
        """
        One update block: ``n_evaluator_updates`` evaluator steps, then ``n_generator_updates`` generator steps.

        A block that meets a non-finite loss, or leaves a non-finite parameter, is undone (the generator's and the
        evaluator's parameters and optimizer states are put back as they were before it) and raises
        ``FloatingPointError`` saying why. A step that makes a parameter non-finite is caught by the next step's loss,
        which depends on every parameter, or by the check of all parameters at the end of the block.
        """
        assert self.policy_buffer is not None
        progress = self._current_progress_remaining
        evaluator_lr, generator_lr = self.evaluator_lr_schedule(progress), self.lr_schedule(progress)
        for name, rate in (("learning_rate", generator_lr), ("evaluator_learning_rate", evaluator_lr)):
            if not (is_real(rate) and math.isfinite(rate) and rate >= 0):
                raise ValueError(
                    f"{name}'s schedule gave {rate!r} at progress_remaining {progress:g} (step {self.num_timesteps}); a "
                    "learning rate must be a finite number >= 0. No update was made with it"
                )
        update_learning_rate(self.policy.evaluator_optimizer, evaluator_lr)
        update_learning_rate(self.policy.generator_optimizer, generator_lr)
        self.logger.record("train/learning_rate", generator_lr)
        self.logger.record("train/evaluator_learning_rate", evaluator_lr)
        block_start = _NetworksState(self.policy)
        self.policy.set_training_mode(True)
        try:
            evaluator_losses, generator_losses = self._update_block()
            for name in block_start.names_of_non_finite():
                raise _NonFinite(f"the {name}'s parameters are not finite after the block")
        except _NonFinite as failure:
            error = self._non_finite_error(str(failure), generator_lr, evaluator_lr)
            block_start.restore()
            raise error from None
        finally:
            self.policy.set_training_mode(False)
        self._n_updates += self.n_evaluator_updates + self.n_generator_updates
        if evaluator_losses:
            self.logger.record("train/evaluator_loss", float(np.mean(evaluator_losses)))
        if generator_losses:
            self.logger.record("train/generator_loss", float(np.mean(generator_losses)))
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")

    def _update_block(self) -> tuple[list[float], list[float]]:
        """:return: The losses of the evaluator steps and of the generator steps."""
        assert self.policy_buffer is not None
        evaluator, optimizer = self.policy.evaluator, self.policy.evaluator_optimizer
        buffer = self.policy_buffer
        evaluate_params, evaluate_generated = self._get_update_steps()
        # Batches are drawn with replacement, so they repeat entries (about 13 distinct of 16 with a full buffer,
        # far fewer early on). V and G run once per distinct policy / command and predictions are gathered back:
        # the loss and its gradients are exactly those of the full batch, for less work.
        evaluator_losses = []
        for _ in range(self.n_evaluator_updates):
            samples = buffer.sample(self.batch_size)
            predictions = evaluate_params(samples.params)[samples.policy_index]
            loss = F.mse_loss(predictions.float(), samples.returns)
            evaluator_losses.append(_finite(loss, "evaluator"))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        generator_losses = []
        optimizer = self.policy.generator_optimizer
        evaluator.requires_grad_(False)
        try:
            for _ in range(self.n_generator_updates):
                commands = buffer.sample_returns(self.batch_size)
                distinct, inverse = th.unique(commands, return_inverse=True)
                predictions = evaluate_generated(distinct)[inverse]
                loss = F.mse_loss(predictions.float(), commands)
                generator_losses.append(_finite(loss, "generator"))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        finally:
            evaluator.requires_grad_(True)
        return evaluator_losses, generator_losses

    def _check_finite_networks(self) -> None:
        """
        :raises ValueError: If a parameter or a buffer (observation statistics, command scale, ...) is not finite (set
            so by ``set_parameters``, a load or an edit): training would act with NaN actions and fail at its first
            update block.
        """
        for name, tensor in (*self.policy.named_parameters(), *self.policy.named_buffers()):
            if name != "best_return" and not bool(th.isfinite(tensor).all()):  # -inf before any episode
                raise ValueError(
                    f"The policy's tensor {name} is not finite (NaN or inf), so training cannot start: the model's "
                    "state was set so (set_parameters, a load or an edit)"
                )

    def _non_finite_error(self, what: str, generator_lr: float, evaluator_lr: float) -> FloatingPointError:
        """:return: The error of an update block that met ``what``, with the likely cause."""
        largest = {  # NaN if one is NaN
            name: float(th.stack([parameter.detach().abs().max() for parameter in network.parameters()]).max())
            for name, network in (("generator", self.policy.generator), ("evaluator", self.policy.evaluator))
        }
        scale = self.policy.command_scale
        scale_cause = ""
        if isinstance(scale, (int, float)) and scale < 1:
            scale_cause = f", or command_scale={scale:g} makes the generator's inputs too large"
        return FloatingPointError(
            f"The update block at step {self.num_timesteps}: {what}; the block is undone (the parameters and "
            "optimizer states are as before it). The returns and observations trained on are finite and within "
            f"+-{MAX_TRAINING_MAGNITUDE:g} (checked when they were stored), so the networks' own numbers overflowed: the "
            f"learning rates (generator {generator_lr:g}, evaluator {evaluator_lr:g}) are likely too large (largest "
            f"parameter magnitudes: generator {largest['generator']:g}, evaluator {largest['evaluator']:g})" + scale_cause
        )

    def _autocast(self) -> th.autocast:
        return th.autocast(self.device.type, dtype=th.bfloat16, enabled=self.update_precision == "bfloat16")

    def _evaluate_params(self, params: th.Tensor) -> th.Tensor:
        with self._autocast():
            return self.policy.evaluator(params)

    def _evaluate_generated(self, commands: th.Tensor) -> th.Tensor:
        with self._autocast():
            return self.policy.evaluator(self.policy.generate_layers(commands))

    def _get_update_steps(self) -> tuple[Callable[[th.Tensor], th.Tensor], Callable[[th.Tensor], th.Tensor]]:
        """:return: The forward passes of the evaluator and generator steps (compiled when ``compile_updates``)."""
        if self._update_steps is None:
            steps = (self._evaluate_params, self._evaluate_generated)
            if self.compile_updates:
                check_compile_updates(self.compile_updates)
                # The number of distinct entries in a batch varies from step to step: dynamic shapes, so that one graph
                # serves every batch with more than one distinct entry (torch specialises size 1 in a second one).
                steps = (th.compile(steps[0], dynamic=True), th.compile(steps[1], dynamic=True))
            self._update_steps = steps
        return self._update_steps

    def dump_logs(self) -> None:
        """Write the training statistics to the logger."""
        assert self.ep_info_buffer is not None and self.policy_buffer is not None
        time_elapsed = max((time.time_ns() - self.start_time) / 1e9, sys.float_info.epsilon)
        fps = int((self.num_timesteps - self._num_timesteps_at_start) / time_elapsed)
        if len(self.ep_info_buffer) > 0:
            self.logger.record("rollout/ep_rew_mean", safe_mean([info["r"] for info in self.ep_info_buffer]))
            self.logger.record("rollout/ep_len_mean", safe_mean([info["l"] for info in self.ep_info_buffer]))
        if self.ep_success_buffer is not None and len(self.ep_success_buffer) > 0:
            self.logger.record("rollout/success_rate", safe_mean(self.ep_success_buffer))
        self.logger.record("rollout/best_return", float(self.policy.best_return))
        self.logger.record("rollout/training_return", self.last_training_return)
        self.logger.record("train/command", self._next_command())
        self.logger.record("train/buffer_size", self.policy_buffer.size())
        self.logger.record("train/dropped_episodes", self.n_dropped_episodes)
        self.logger.record("time/episodes", self._episode_num, exclude="tensorboard")
        self.logger.record("time/fps", fps)
        self.logger.record("time/time_elapsed", int(time_elapsed), exclude="tensorboard")
        self.logger.record("time/total_timesteps", self.num_timesteps, exclude="tensorboard")
        self.logger.dump(step=self.num_timesteps)

    # ------------------------------------------------------------------ acting and commands

    def predict(  # type: ignore[override]
        self,
        observation: np.ndarray | dict[str, np.ndarray],
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
        command: float | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """
        Act with the policy generated for the best training return seen (no noise), or for ``command``.

        :param observation: Observation(s).
        :param state: Unused (the generated policies have no recurrent state); returned as it is, as in SB3.
        :param episode_start: Unused.
        :param deterministic: Unused: generated policies are deterministic (as for ARS).
        :param command: Desired return; act with the policy the generator produces for it.
        :return: Actions and ``state``.
        """
        return self.policy.predict(observation, state, episode_start, deterministic, command=command)

    def generate_policy(self, command: float | None = None) -> GeneratedPolicy:
        """
        The policy the generator produces for a desired return, as a standalone ``torch.nn.Module``.

        :param command: Desired return (default: the best training return seen).
        :return: A plain MLP with the observation statistics and action mapping built in. If the model's env is a
            ``VecNormalize``, the module applies a copy of its observation statistics (and clipping) too, so it takes
            the env's raw observations (SB3's own policies leave that step to the ``VecNormalize``). A model loaded
            without its env knows no such statistics: load it with ``env=VecNormalize.load(...)`` first.
        """
        return self.policy.export(command, vec_normalize_statistics(self.get_vec_normalize_env()))

    def evaluate_commands(
        self,
        env: GymEnv | str,
        commands: Sequence[float] | np.ndarray | th.Tensor,
        n_eval_episodes: int = 10,
        warn: bool = True,
    ) -> np.ndarray:
        """
        Run the policy generated for each command (the data of the paper's Figure 4).

        :param env: Environment to evaluate in (an id, a ``gym.Env`` or a ``VecEnv``); returns are read from its
            ``Monitor`` wrapper if it has one, so they are true environment returns. If the model's env is a
            ``VecNormalize`` and ``env`` has none, observations are normalised with a copy of its statistics (a model
            loaded without its env knows none: load it with ``env=VecNormalize.load(...)`` first).
        :param commands: Desired returns (a sequence, an array or a tensor; flattened).
        :param n_eval_episodes: Episodes per command.
        :param warn: Warn, as SB3's ``evaluate_policy`` does, if a ``VecEnv`` given has no ``Monitor``.
        :return: Achieved returns, shape ``(number of commands, n_eval_episodes)``.
        """
        check_positive_integer("n_eval_episodes", n_eval_episodes)  # before an env is made
        commands = as_commands(commands)
        vec_env = self._wrap_env(maybe_make_env(env, self.verbose), self.verbose)
        vec_env = normalized_like_training(vec_env, self.get_vec_normalize_env())
        if warn:  # here, so that the warning names the caller's line
            warn_if_unmonitored(vec_env, stacklevel=3)
        return evaluate_commands(self.policy, vec_env, commands, n_eval_episodes, warn=False)[0]

    # ------------------------------------------------------------------ policy buffer persistence

    def save_policy_buffer(self, path: str | os.PathLike | io.BufferedIOBase) -> None:
        """
        Save the policy buffer as plain arrays (``.npz``, no pickle), like SB3's ``save_replay_buffer``; a file is
        replaced atomically, as by :meth:`save`.

        :param path: Target file, or a binary file object open for writing.
        """
        assert self.policy_buffer is not None
        self.policy_buffer.save(path, self._buffer_policies())

    def _buffer_policies(self) -> dict[str, np.ndarray]:
        """
        :return: What the buffer's entries mean besides their layer sizes, recorded in its files and compared: the
            policies' activation, observation normalisation and action space, and the returns' units (the training
            return's offset, where it is known: a set ``alive_bonus_offset``, or an automatic one with an env).
        """
        action_space = self.action_space
        policies = {
            "activation": np.array(self.policy.activation_fn.__name__),
            "normalize_observations": np.array(self.policy.normalize_observations),
            "action_space": np.array(type(action_space).__name__),
        }
        if isinstance(action_space, spaces.Box):
            policies.update(action_low=action_space.low.astype(np.float64), action_high=action_space.high.astype(np.float64))
        if self.alive_bonus_offset is not None or self.env is not None:
            policies["training_return_offset"] = np.array(self.training_return_offset, dtype=np.float64)
        return policies

    def load_policy_buffer(self, path: str | os.PathLike | io.BufferedIOBase) -> None:
        """
        Load a buffer written by :meth:`save_policy_buffer`; loading runs no code from the file. With
        ``command_scale="auto"`` the command scale takes in the loaded returns, as it would have had they been trained
        on here; the best return seen, from which the commands go on, stays the model's own.

        :param path: Source file, or a binary file object open for reading.
        """
        assert self.policy_buffer is not None
        self.policy_buffer.load(path, self._buffer_policies())
        returns = self.policy_buffer.ordered()[1]
        # Compared at the buffer's float32 precision: a model's own buffer holds float32 copies of the returns it saw.
        if self.policy.command_scale == "auto" and len(returns):
            largest = returns.abs().max().float()
            if largest > self.policy.command_input_scale.float():
                self.policy.observe_return(float(largest))

    @property
    def replay_buffer(self) -> PolicyBuffer | None:
        """The policy buffer, under the name SB3's tools (``CheckpointCallback(save_replay_buffer=True)``) look for."""
        return self.policy_buffer

    def save_replay_buffer(self, path: str | os.PathLike | io.BufferedIOBase) -> None:
        """
        SB3's name for :meth:`save_policy_buffer` (the file is an ``.npz`` whatever its extension).

        :param path: Target file, or a binary file object open for writing.
        """
        self.save_policy_buffer(path)

    def load_replay_buffer(self, path: str | os.PathLike | io.BufferedIOBase, truncate_last_traj: bool = True) -> None:
        """
        SB3's name for :meth:`load_policy_buffer`.

        :param path: Source file, or a binary file object open for reading.
        :param truncate_last_traj: Unused: the buffer holds whole episodes only.
        """
        self.load_policy_buffer(path)


class _NonFinite(Exception):
    """An update block met a number that is not finite (the message says which)."""


def _finite(loss: th.Tensor, name: str) -> float:
    value = loss.item()
    if not math.isfinite(value):
        raise _NonFinite(f"the {name} loss is {value}")
    return value


class _NetworksState:
    """A copy of the generator's and the evaluator's parameters and optimizer states, to undo an update block."""

    def __init__(self, policy: GoGePoPolicy) -> None:
        self.networks = {
            "evaluator": (policy.evaluator, policy.evaluator_optimizer),
            "generator": (policy.generator, policy.generator_optimizer),
        }
        self.parameters = {
            name: [parameter.detach().clone() for parameter in network.parameters()]
            for name, (network, _) in self.networks.items()
        }
        self.optimizer_states = {
            name: {
                parameter: {key: value.clone() if isinstance(value, th.Tensor) else value for key, value in state.items()}
                for parameter, state in optimizer.state.items()
            }
            for name, (_, optimizer) in self.networks.items()
        }

    def names_of_non_finite(self) -> list[str]:
        """
        :return: The networks with a parameter that is not finite now, found from the sum of each parameter tensor (one
            reduction per tensor, a fraction of an optimizer step; finite values whose sum overflows float32 count too,
            they are far beyond what can be trained on).
        """
        return [
            name
            for name, (network, _) in self.networks.items()
            if not bool(th.stack([parameter.detach().sum() for parameter in network.parameters()]).isfinite().all())
        ]

    def restore(self) -> None:
        """Put the parameters and optimizer states back as they were copied."""
        with th.no_grad():
            for name, (network, optimizer) in self.networks.items():
                for parameter, saved in zip(network.parameters(), self.parameters[name], strict=True):
                    parameter.copy_(saved)
                optimizer.state.clear()
                optimizer.state.update(self.optimizer_states[name])
