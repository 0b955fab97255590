"""The checks of GoGePo's arguments: each error names the argument, and says what it must be."""

import math
import os
import shutil
from typing import Any

import gymnasium as gym
import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.preprocessing import is_image_space
from stable_baselines3.common.vec_env import VecEnv

from sb3_gogepo.buffers import BUFFER_DTYPES
from sb3_gogepo.policies import GoGePoPolicy
from sb3_gogepo.validation import MAX_TRAINING_MAGNITUDE, check_positive_integer, is_integer, is_real

#: C++ compilers torch.compile's CPU backend can use.
CXX_COMPILERS = ("g++", "c++", "clang++")


def check_spaces(observation_space: spaces.Space, action_space: spaces.Space) -> None:
    """
    Fail early, with the reason, on spaces GoGePo cannot handle.

    :param observation_space: Must be a ``Box`` that is not an image (by SB3's ``is_image_space``); other shapes are
        flattened.
    :param action_space: Must be a ``Box`` with finite bounds within float32 range or a ``Discrete``.
    """
    if not isinstance(observation_space, spaces.Box):
        raise ValueError(
            f"GoGePo needs a flat Box observation space (the generated policies are MLPs); got "
            f"{type(observation_space).__name__}. Wrap the env (e.g. gymnasium's FlattenObservation) to turn it into a Box."
        )
    if is_image_space(observation_space, check_channels=False):
        raise ValueError(f"GoGePo does not support image observations (got a Box of shape {observation_space.shape})")
    if not isinstance(action_space, (spaces.Box, spaces.Discrete)):
        raise ValueError(f"GoGePo supports Box and Discrete action spaces, not {type(action_space).__name__}")
    if isinstance(action_space, spaces.Box):
        bounds = np.abs(np.concatenate([action_space.low.ravel(), action_space.high.ravel()]))
        if not np.isfinite(bounds).all():
            raise ValueError(f"GoGePo maps actions onto the Box bounds, which must be finite; got {action_space}")
        if bounds.max() > np.finfo(np.float32).max:
            raise ValueError(f"GoGePo acts in float32, whose range the Box bounds must be within; got {action_space}")
    if isinstance(action_space, spaces.Discrete) and action_space.start != 0:
        raise ValueError(
            f"GoGePo's Discrete actions are 0 .. n-1; got {action_space} with start={action_space.start}. "
            "Wrap the env with an action wrapper that adds the offset."
        )


def check_learn_arguments(
    total_timesteps: Any,
    callback: Any,
    log_interval: Any,
    tb_log_name: Any,
    reset_num_timesteps: Any,
    progress_bar: Any,
) -> None:
    """``learn``'s arguments, checked before anything changes (see :meth:`GoGePo.learn`)."""
    whole = is_integer(total_timesteps) or (is_real(total_timesteps) and float(total_timesteps).is_integer())
    if not whole or total_timesteps < 0:
        raise ValueError(f"total_timesteps must be a whole number of steps >= 0, got {total_timesteps!r}")
    is_callback_list = isinstance(callback, list) and all(isinstance(item, BaseCallback) for item in callback)
    function = callable(callback) and not isinstance(callback, type)  # old-style callback(locals, globals) -> bool
    if not (callback is None or isinstance(callback, BaseCallback) or is_callback_list or function):
        raise TypeError(
            "callback must be None, a BaseCallback instance, a list of them or a function (locals, globals) -> bool, got "
            f"{callback!r}"
        )
    if log_interval is not None and (not is_integer(log_interval) or log_interval < 1):
        raise ValueError(f"log_interval must be a positive integer (episodes) or None (no logs), got {log_interval!r}")
    if not isinstance(tb_log_name, str):
        raise TypeError(f"tb_log_name must be a string, got {tb_log_name!r}")
    for name, flag in (("reset_num_timesteps", reset_num_timesteps), ("progress_bar", progress_bar)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {flag!r}")


def check_constructor_arguments(
    policy_aliases: dict[str, type[BasePolicy]], policy: Any, env: Any, policy_kwargs: Any, device: Any
) -> None:
    """The constructor's arguments that a loaded model does not keep as they were given."""
    if not (
        (isinstance(policy, str) and policy in policy_aliases)
        or (isinstance(policy, type) and issubclass(policy, GoGePoPolicy))
    ):
        raise ValueError(f"policy must be one of {sorted(policy_aliases)} or a subclass of GoGePoPolicy, got {policy!r}")
    if env is not None and not isinstance(env, (str, gym.Env, VecEnv)):
        raise TypeError(f"env must be an environment id, a gymnasium.Env or a VecEnv, got {env!r}")
    if policy_kwargs is not None and not isinstance(policy_kwargs, dict):
        raise TypeError(f"policy_kwargs must be None or a dict of the policy's keyword arguments, got {policy_kwargs!r}")
    check_device(device)


def check_device(device: Any) -> None:
    """:raises ValueError, TypeError: If ``device`` is neither ``"auto"`` nor a torch device or its name."""
    if isinstance(device, str) and device != "auto":
        try:
            th.device(device)
        except RuntimeError as error:
            raise ValueError(
                f"device must be 'auto', a torch device or its name ('cpu', 'cuda:0', ...), got {device!r}"
            ) from error
    elif not isinstance(device, (str, th.device)):
        raise TypeError(f"device must be 'auto', a torch device or its name ('cpu', 'cuda:0', ...), got {device!r}")


def check_hyperparameters(
    *,
    learning_rate: Any,
    evaluator_learning_rate: Any,
    buffer_size: Any,
    batch_size: Any,
    noise_std: Any,
    n_evaluator_updates: Any,
    n_generator_updates: Any,
    command_drive: Any,
    initial_command: Any,
    recency_exponent: Any,
    alive_bonus_offset: Any,
    buffer_dtype: Any,
    update_precision: Any,
    compile_updates: Any,
    loaded: bool = False,
) -> None:
    """
    The hyperparameters that :class:`GoGePo` keeps as attributes, each error naming its argument.

    :param loaded: The values of a model being loaded: a C++ compiler is needed only once it trains with
        ``compile_updates`` (checked then; loading to predict needs none), and learning rates may be 0 (the rl-zoo's
        ``enjoy`` loads models with ``custom_objects={"learning_rate": 0.0, ...}``).
    """
    for name, value in (("buffer_size", buffer_size), ("batch_size", batch_size)):
        check_positive_integer(name, value)
    for name, value in (("n_evaluator_updates", n_evaluator_updates), ("n_generator_updates", n_generator_updates)):
        if not is_integer(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    if not is_real(recency_exponent) or not math.isfinite(recency_exponent) or recency_exponent < 0:
        raise ValueError(f"recency_exponent must be a finite number >= 0, got {recency_exponent!r}")
    if not is_real(noise_std) or not 0 <= noise_std <= MAX_TRAINING_MAGNITUDE:
        raise ValueError(
            f"noise_std must be a number from 0 to {MAX_TRAINING_MAGNITUDE:g}, the bound of the numbers trained on (noise "
            f"near it makes policies whose actions are not finite already), got {noise_std!r}"
        )
    for name, value in (("command_drive", command_drive), ("initial_command", initial_command)):
        if not is_real(value) or not abs(value) <= MAX_TRAINING_MAGNITUDE:
            raise ValueError(
                f"{name} must be a finite number of magnitude at most {MAX_TRAINING_MAGNITUDE:g} (commands are trained on), "
                f"got {value!r}"
            )
    for name, value in (("learning_rate", learning_rate), ("evaluator_learning_rate", evaluator_learning_rate)):
        if callable(value):
            continue
        if not is_real(value) or not math.isfinite(value) or value < 0 or (value == 0 and not loaded):
            raise ValueError(f"{name} must be a positive number or a schedule, got {value!r}")
    if alive_bonus_offset is not None and (not is_real(alive_bonus_offset) or not math.isfinite(alive_bonus_offset)):
        raise ValueError(f"alive_bonus_offset must be None (automatic) or a finite number, got {alive_bonus_offset!r}")
    if not isinstance(update_precision, str) or update_precision not in ("float32", "bfloat16"):
        raise ValueError(f"update_precision must be 'float32' or 'bfloat16', got {update_precision!r}")
    check_compile_updates(compile_updates, need_compiler=not loaded)
    if not isinstance(buffer_dtype, str) or buffer_dtype not in BUFFER_DTYPES:
        raise ValueError(f"buffer_dtype must be one of {sorted(BUFFER_DTYPES)}, got {buffer_dtype!r}")


def checked_seed(seed: Any) -> int | None:
    """
    :param seed: A seed: None or an integer in NumPy's range.
    :return: The seed as a Python integer (``random.seed`` refuses NumPy's).
    :raises ValueError: If it is not.
    """
    if seed is not None and not (is_integer(seed) and 0 <= seed < 2**32):
        raise ValueError(f"seed must be None or an integer from 0 to 2**32 - 1 (NumPy's range), got {seed!r}")
    return None if seed is None else int(seed)


def check_run_settings(seed: Any, verbose: Any, tensorboard_log: Any, stats_window_size: Any) -> None:
    """The settings that SB3's ``BaseAlgorithm`` takes, checked before it does."""
    checked_seed(seed)
    if not is_integer(verbose):
        raise ValueError(f"verbose must be an integer (0: no output, 1: info, 2: debug), got {verbose!r}")
    if tensorboard_log is not None and not isinstance(tensorboard_log, (str, os.PathLike)):
        raise TypeError(f"tensorboard_log must be None or a folder, got {tensorboard_log!r}")
    check_positive_integer("stats_window_size", stats_window_size)


def check_compile_updates(value: Any, need_compiler: bool = True) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"compile_updates must be True or False, got {value!r}")
    if value and need_compiler and not any(shutil.which(name) for name in CXX_COMPILERS):
        raise ValueError(
            "compile_updates=True needs a C++ compiler on the PATH for torch.compile's CPU code "
            f"(looked for {', '.join(CXX_COMPILERS)}); install one (e.g. g++) or leave compile_updates=False"
        )
