"""How the raw output of a generated MLP becomes an action, and what the evaluator's probes see of it."""

from typing import Any

import numpy as np
import torch as th
from gymnasium import spaces
from torch import nn

#: Buffers that models saved by version 0.1.0 hold for every action head: the bounds, which it derives from the space.
_NO_LONGER_SAVED = ("low", "half_range")


class ActionHead(nn.Module):
    """
    Output stage of a generated policy.

    ``Box`` (finite bounds, as SB3 requires): outputs are squashed with ``tanh`` and mapped affinely onto
    ``[low, high]`` (never outside it, despite float32 rounding). Probing actions are the squashed values in ``[-1, 1]``; for
    symmetric bounds ``[-h, h]`` this is the authors' ``h * tanh`` divided by ``h``, so the evaluator sees the same
    scale whatever the bounds.

    ``Discrete``: the action is the argmax of the outputs; probing actions are the softmax probabilities.

    :param action_space: The environment's action space (``Box`` or ``Discrete``).
    """

    center: th.Tensor
    safe_half_range: th.Tensor

    def __init__(self, action_space: spaces.Space) -> None:
        super().__init__()
        self.discrete = isinstance(action_space, spaces.Discrete)
        if isinstance(action_space, spaces.Discrete):
            self.n_outputs = int(action_space.n)
            self.action_shape: tuple[int, ...] = ()
            low = high = np.zeros(self.n_outputs)
        elif isinstance(action_space, spaces.Box):
            self.n_outputs = int(np.prod(action_space.shape))
            self.action_shape = tuple(action_space.shape)
            low = action_space.low.astype(np.float64).reshape(-1)
            high = action_space.high.astype(np.float64).reshape(-1)
        else:
            raise TypeError(f"ActionHead supports Box and Discrete action spaces, not {type(action_space).__name__}")
        # act = center + tanh * half_range, with the half range shrunk by 4 float32 steps of the bounds' magnitude:
        # center and half range are rounded once each, the product cannot exceed the half range, the sum is rounded
        # once, so the action stays within [low, high] without a clip per step (at most 4 steps from the exact map).
        magnitude = np.maximum(np.abs(low), np.abs(high)).astype(np.float32)
        safe_half_range = np.maximum((high - low) / 2.0 - 4.0 * np.spacing(magnitude).astype(np.float64), 0.0)
        self._center_numpy = ((low + high) / 2.0).astype(np.float32)
        self._half_range_numpy = safe_half_range.astype(np.float32)
        # Derived from the space, so not saved.
        self.register_buffer("center", th.as_tensor(self._center_numpy), persistent=False)
        self.register_buffer("safe_half_range", th.as_tensor(self._half_range_numpy), persistent=False)

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
        for name in _NO_LONGER_SAVED:  # in models and exported policies saved by 0.1.0
            state_dict.pop(prefix + name, None)
        super()._load_from_state_dict(state_dict, prefix, *args)

    def probe(self, raw: th.Tensor) -> th.Tensor:
        """
        :param raw: Raw network outputs (last dimension = outputs).
        :return: The probing actions: ``tanh`` for a ``Box``, softmax probabilities for ``Discrete``.
        """
        return th.softmax(raw, dim=-1) if self.discrete else th.tanh(raw)

    def act(self, raw: th.Tensor) -> th.Tensor:
        """
        :param raw: Raw network outputs (last dimension = outputs).
        :return: Environment actions (indices for ``Discrete``).
        """
        if self.discrete:
            return raw.argmax(dim=-1)
        return self.center + th.tanh(raw) * self.safe_half_range

    def act_numpy(self, raw: np.ndarray) -> np.ndarray:
        """
        The same as :meth:`act` on a NumPy array (the CPU fast path of the rollout).

        :param raw: Raw network outputs (last dimension = outputs); overwritten for a ``Box``.
        :return: Environment actions.
        """
        if self.discrete:
            return raw.argmax(axis=-1)
        actions = np.tanh(raw)
        np.multiply(actions, self._half_range_numpy, out=actions)
        return np.add(actions, self._center_numpy, out=actions)
