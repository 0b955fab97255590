"""Return commands: which return to ask the generator for, and how a command enters the generator."""

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch as th

from sb3_gogepo.validation import is_real

#: The largest magnitude of a command: the generator takes commands in float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)

#: What PyYAML reads ``1e3`` as, and how a YAML file gives the number.
_YAML_HINT = " (YAML reads 1e3 as a string: write 1.0e+3 or !!float 1e3)"


def _numpy(value: Any) -> Any:
    """:return: A tensor as a NumPy array (floating ones in float64, which NumPy has for every torch dtype)."""
    if not isinstance(value, th.Tensor):
        return value
    value = value.detach().cpu()
    return (value.double() if value.is_floating_point() else value).numpy()


def as_command(value: Any, name: str = "command") -> float:
    """
    :param value: A desired return given by the user: a real number, or an array or a tensor holding one.
    :param name: The argument that gave it, for the error.
    :return: It as a float.
    :raises ValueError: Unless it is one finite real number within float32 range (a boolean or a string is not).
    """
    value = _numpy(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        value = value.reshape(()).item()
    if not is_real(value):
        hint = _YAML_HINT if isinstance(value, str) else ""
        raise ValueError(f"{name} must be a real number (a desired return), got {value!r}{hint}")
    number = float(value)
    if not math.isfinite(number) or abs(number) > FLOAT32_MAX:
        raise ValueError(f"{name} must be a finite number within float32 range, got {value!r}")
    return number


def as_commands(values: Any, name: str = "commands") -> np.ndarray:
    """
    :param values: Desired returns given by the user: a sequence of real numbers, or anything NumPy reads as an array
        of them (an array, a tensor, a pandas Series, a list of 0-d arrays; flattened).
    :param name: The argument that gave them, for the error.
    :return: Them as a flat float64 array.
    :raises ValueError: Unless they are one or more finite real numbers within float32 range (booleans and strings
        are not).
    """
    refused = f"{name} must be a sequence or an array of real numbers (desired returns), got {values!r}"
    if isinstance(values, (str, bytes, Iterator)):  # an iterator would be used up by the check
        raise ValueError(refused)
    items = values if isinstance(values, (list, tuple)) else []
    if any(isinstance(item, str) for item in items):
        raise ValueError(refused + _YAML_HINT)
    if any(isinstance(item, (bool, np.bool_)) for item in items):
        raise ValueError(refused)
    try:
        array = np.asarray([_numpy(item) for item in items] if items else _numpy(values))
    except (TypeError, ValueError):
        raise ValueError(refused) from None
    if array.dtype.kind not in "iuf":
        raise ValueError(refused)
    array = array.astype(np.float64).reshape(-1)
    if not len(array):
        raise ValueError(f"{name} must hold at least one desired return, got {values!r}")
    if not np.isfinite(array).all() or np.abs(array).max() > FLOAT32_MAX:
        raise ValueError(f"{name} must be finite numbers within float32 range, got {values!r}")
    return array


def symlog(values: th.Tensor) -> th.Tensor:
    """
    ``sign(x) * log(1 + |x|)``: monotone, odd, about linear near 0 and logarithmic for large returns.

    :param values: Commands (returns).
    :return: Their symlog, element-wise.
    """
    return th.sign(values) * th.log1p(values.abs())


def normalize_commands(commands: th.Tensor, command_scale: float | th.Tensor | None = None) -> th.Tensor:
    """
    Map raw return commands to the generator's input.

    The authors divide commands by a hand-set per-environment return range (Swimmer 465, Hopper 3100, ...).
    A library cannot ask for that constant, so by default (``command_scale=None``) commands go through
    :func:`symlog`. It needs no statistics of the run, so a command means the same thing to the generator
    at every point of training (a running-statistics scale would shift what every stored command means
    whenever it changes), it keeps commands in a small range for returns from 1 to 1e4 (``symlog(3000) = 8``),
    and it resolves relative differences evenly across scales: ``d symlog = dc / (1 + |c|)``, so 2000 vs 2500
    on Hopper is 0.22 apart and 300 vs 340 on Swimmer 0.13, comparable to the authors' 0.16 and 0.09.

    :param commands: Raw return commands.
    :param command_scale: If given, divide by it instead: the authors' constant, or the running scale of
        ``command_scale="auto"`` (see :meth:`~sb3_gogepo.policies.GoGePoPolicy.observe_return`).
    :return: Normalised commands, same shape.
    """
    if command_scale is None:
        return symlog(commands)
    return commands / command_scale


def next_command(best_return: float, drive: float, initial_command: float = 0.0) -> float:
    """
    The paper's command strategy: ask for ``drive`` more than the best return seen so far.

    :param best_return: Best training return so far (``-inf`` before the first finished episode).
    :param drive: How much more to ask for (20 in the paper; 0 is also competitive).
    :param initial_command: The command before any episode has finished (0 in the paper).
    :return: The next command.
    """
    if not math.isfinite(best_return):
        return initial_command
    return best_return + drive


def running_command_scale(scale: float, training_return: float) -> float:
    """
    The scale of ``command_scale="auto"``: the largest magnitude of the training returns seen, at least 1.

    It keeps normalised commands of the order of 1 (about ``1 + drive / scale`` for the next command) without a
    per-environment constant, like the authors' division by a return range, and it only grows.

    :param scale: The scale so far (1 before any return).
    :param training_return: A newly stored training return.
    :return: The new scale.
    """
    return max(scale, abs(training_return), 1.0)
