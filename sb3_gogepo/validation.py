"""
Checks of user-given values: the types of hyperparameters (``bool`` is an ``int`` to Python, but never a valid size
or rate), and the largest magnitude of the numbers GoGePo trains on.
"""

from typing import Any

import numpy as np

#: The largest magnitude of a training return, an observation, a command or a policy buffer entry that GoGePo trains
#: on. Training runs in float32, whose largest finite value is 3.4e38: the evaluator is fitted to returns by their
#: squared error, the generator to commands the same way, and the observation statistics square the deviations. A
#: value near ``sqrt(3.4e38) = 1.8e19`` therefore overflows on its own; 1e15 keeps its square (1e30) 3e8 times below the
#: limit, room for the sums over a batch and for the optimizer's squared gradients. An episode whose training return is
#: beyond it (or not finite) is neither stored nor trained on, an observation beyond it is left out of the statistics
#: (both with a warning naming the episode, the step and the value), and a buffer file holding such a return is refused.
MAX_TRAINING_MAGNITUDE = 1e15


def is_integer(value: Any) -> bool:
    """
    :param value: A user-given hyperparameter.
    :return: Whether ``value`` is a Python or NumPy integer, and not a boolean.
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value: Any) -> bool:
    """
    :param value: A user-given hyperparameter.
    :return: Whether ``value`` is a Python or NumPy integer or float, and not a boolean.
    """
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_positive_integer(name: str, value: Any) -> None:
    """
    :param name: The argument's name, for the error.
    :param value: A user-given count.
    :raises ValueError: Unless ``value`` is an integer (not a boolean) of at least 1.
    """
    if not is_integer(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
