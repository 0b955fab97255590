"""How the raw output of a generated MLP becomes an action, and what the evaluator's probes see of it."""

import numpy as np
import torch as th
from gymnasium import spaces
from torch import nn


class ActionHead(nn.Module):
    """
    Output stage of a generated policy.

    ``Box`` (finite bounds, as SB3 requires): outputs are squashed with ``tanh`` and mapped affinely onto
    ``[low, high]`` (clipped to it, against rounding). Probing actions are the squashed values in ``[-1, 1]``; for
    symmetric bounds ``[-h, h]`` this is the authors' ``h * tanh`` divided by ``h``, so the evaluator sees the same
    scale whatever the bounds.

    ``Discrete``: the action is the argmax of the outputs; probing actions are the softmax probabilities.

    :param action_space: The environment's action space (``Box`` or ``Discrete``).
    """

    low: th.Tensor
    high: th.Tensor
    half_range: th.Tensor

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
        self.register_buffer("low", th.as_tensor(low, dtype=th.float32))
        self.register_buffer("half_range", th.as_tensor((high - low) / 2.0, dtype=th.float32))
        # Not saved: models saved before it existed still load.
        self.register_buffer("high", th.as_tensor(high, dtype=th.float32), persistent=False)
        # act = low + (tanh + 1) * half_range = (low + half_range) + tanh * half_range
        self._center_numpy = ((low + high) / 2.0).astype(np.float32)
        self._half_range_numpy = ((high - low) / 2.0).astype(np.float32)
        self._low_numpy, self._high_numpy = low.astype(np.float32), high.astype(np.float32)

    def probe(self, raw: th.Tensor) -> th.Tensor:
        """:return: The probing actions for raw network outputs (last dimension = outputs)."""
        return th.softmax(raw, dim=-1) if self.discrete else th.tanh(raw)

    def act(self, raw: th.Tensor) -> th.Tensor:
        """:return: Environment actions for raw network outputs (indices for ``Discrete``)."""
        if self.discrete:
            return raw.argmax(dim=-1)
        # Rounding can put a saturated action one float step outside the bounds; envs may check them.
        return th.clamp(self.low + (th.tanh(raw) + 1.0) * self.half_range, self.low, self.high)

    def act_numpy(self, raw: np.ndarray) -> np.ndarray:
        """The same as :meth:`act` on a NumPy array (the CPU fast path of the rollout)."""
        if self.discrete:
            return raw.argmax(axis=-1)
        actions = np.tanh(raw)
        np.multiply(actions, self._half_range_numpy, out=actions)
        np.add(actions, self._center_numpy, out=actions)
        np.maximum(actions, self._low_numpy, out=actions)
        return np.minimum(actions, self._high_numpy, out=actions)
