"""Acting in the training environments: one generated policy per env slot, all slots in one batched forward."""

from collections.abc import Callable

import numpy as np
import torch as th
from torch import nn

from sb3_gogepo.functional import batched_mlp
from sb3_gogepo.policies import GoGePoPolicy

_NUMPY_ACTIVATIONS: dict[type[nn.Module], Callable[[np.ndarray], np.ndarray]] = {
    nn.Tanh: np.tanh,
    nn.ReLU: lambda x: np.maximum(x, 0.0),
}


class SlotActor:
    """
    Holds the (noisy) parameters each env slot is currently running and computes all slots' actions at once.

    The parameters live in one ``(n_slots, n_params)`` tensor; per-layer weight views are made once, so an env
    step never rebuilds a network. On the CPU the forward pass runs in NumPy on views of the same memory (far
    less per-call overhead than torch for these small products); on other devices it stays in torch and only
    the actions are copied to the host.

    :param policy: The policy whose layout, observation statistics and action head are used.
    :param n_slots: Number of env slots (``n_envs``).
    """

    def __init__(self, policy: GoGePoPolicy, n_slots: int) -> None:
        self.policy = policy
        self.n_slots = n_slots
        self.params = th.zeros(n_slots, policy.layout.n_params, device=policy.device)
        self._torch_layers = policy.layout.split(self.params)
        self._numpy_layers: list[tuple[np.ndarray, np.ndarray]] | None = None
        self._numpy_activation = _NUMPY_ACTIVATIONS.get(policy.activation_fn)
        if policy.device.type == "cpu" and self._numpy_activation is not None:
            self._numpy_layers = [
                (weight.transpose(1, 2).numpy(), bias.numpy()[:, None, :]) for weight, bias in self._torch_layers
            ]

    def set_params(self, slots: np.ndarray | list[int], params: th.Tensor) -> None:
        """:param slots: Slot indices. :param params: Their new flat parameters ``(len(slots), n_params)``."""
        self.params[th.as_tensor(slots, device=self.params.device, dtype=th.long)] = params.detach()

    def act(self, observations: np.ndarray) -> np.ndarray:
        """
        :param observations: Raw observations ``(n_slots, ...)``, one per slot.
        :return: Actions ``(n_slots, ...)``, slot ``i`` acting with its own parameters.
        """
        flat = observations.reshape(self.n_slots, -1)
        if self._numpy_layers is not None and self._numpy_activation is not None:
            hidden = self.policy.observation_normalizer.normalize_numpy(flat)[:, None, :]
            last = len(self._numpy_layers) - 1
            for index, (weight_t, bias) in enumerate(self._numpy_layers):
                hidden = np.matmul(hidden, weight_t) + bias
                if index < last:
                    hidden = self._numpy_activation(hidden)
            return self.policy.action_head.act_numpy(hidden[:, 0, :])
        with th.no_grad():
            inputs = self.policy.observation_normalizer(th.as_tensor(flat, device=self.params.device))
            raw = batched_mlp(self._torch_layers, inputs.unsqueeze(1), self.policy._activation)[:, 0, :]
            return self.policy.action_head.act(raw).cpu().numpy()
