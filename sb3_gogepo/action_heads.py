"""How the raw output of a generated MLP becomes an action, and what the evaluator's probes see of it."""

import numpy as np
import torch as th
from gymnasium import spaces
from torch import nn


class ActionHead(nn.Module):
    """
    Output stage of a generated policy.

    ``Box``: each bounded dimension is squashed with ``tanh`` and mapped affinely onto ``[low, high]``; a
    dimension with an infinite bound is left linear. Probing actions are the squashed values in ``[-1, 1]``
    (for symmetric bounds ``[-h, h]`` this is the authors' ``h * tanh`` divided by ``h``), so the evaluator sees
    the same scale whatever the bounds.

    ``Discrete``: the action is the argmax of the outputs; probing actions are the softmax probabilities.

    :param action_space: The environment's action space (``Box`` or ``Discrete``).
    """

    low: th.Tensor
    half_range: th.Tensor
    bounded: th.Tensor

    def __init__(self, action_space: spaces.Space) -> None:
        super().__init__()
        self.discrete = isinstance(action_space, spaces.Discrete)
        if self.discrete:
            assert isinstance(action_space, spaces.Discrete)
            self.n_outputs = int(action_space.n)
            low = np.zeros(self.n_outputs)
            high = np.zeros(self.n_outputs)
        elif isinstance(action_space, spaces.Box):
            self.n_outputs = int(np.prod(action_space.shape))
            low = action_space.low.astype(np.float64).reshape(-1)
            high = action_space.high.astype(np.float64).reshape(-1)
        else:
            raise TypeError(f"ActionHead supports Box and Discrete action spaces, not {type(action_space).__name__}")
        bounded = np.isfinite(low) & np.isfinite(high)
        self.register_buffer("bounded", th.as_tensor(bounded))
        self.register_buffer("low", th.as_tensor(np.where(bounded, low, 0.0), dtype=th.float32))
        self.register_buffer("half_range", th.as_tensor(np.where(bounded, (high - low) / 2.0, 1.0), dtype=th.float32))
        self.all_bounded = bool(bounded.all())

    def probe(self, raw: th.Tensor) -> th.Tensor:
        """:return: The probing action for raw network outputs (last dimension = outputs)."""
        if self.discrete:
            return th.softmax(raw, dim=-1)
        if self.all_bounded:
            return th.tanh(raw)
        return th.where(self.bounded, th.tanh(raw), raw)

    def act(self, raw: th.Tensor) -> th.Tensor:
        """:return: Environment actions for raw network outputs (indices for ``Discrete``)."""
        if self.discrete:
            return raw.argmax(dim=-1)
        squashed = self.probe(raw)
        return th.where(self.bounded, self.low + (squashed + 1.0) * self.half_range, squashed)

    def act_numpy(self, raw: np.ndarray) -> np.ndarray:
        """The same as :meth:`act` on a NumPy array (the CPU fast path of the rollout)."""
        if self.discrete:
            return raw.argmax(axis=-1)
        if self._numpy_constants is None:
            self._numpy_constants = (self.low.cpu().numpy(), self.half_range.cpu().numpy(), self.bounded.cpu().numpy())
        low, half_range, bounded = self._numpy_constants
        squashed = np.tanh(raw)
        if self.all_bounded:
            return low + (squashed + 1.0) * half_range
        return np.where(bounded, low + (squashed + 1.0) * half_range, raw)

    _numpy_constants: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def _apply(self, fn, recurse=True):  # type: ignore[no-untyped-def]
        self._numpy_constants = None
        return super()._apply(fn, recurse)
