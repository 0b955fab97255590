"""Type checks of user-given hyperparameters (``bool`` is an ``int`` to Python, but never a valid size or rate)."""

from typing import Any

import numpy as np


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
