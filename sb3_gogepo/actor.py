"""Acting in the training environments: one generated policy per env slot, all slots in one batched forward."""

import itertools

import numpy as np
import torch as th

from sb3_gogepo.policies import GoGePoPolicy


class SlotActor:
    """
    Holds the (noisy) parameters each env slot is currently running and computes all slots' actions at once.

    The parameters live in one ``(n_slots, n_params)`` tensor (what the buffer stores). On other devices than the
    CPU, actions come from a batched torch forward over per-layer views of it, and only the actions are copied to
    the host. On the CPU, where per-call overhead dominates these small products, each slot also has an *acting
    copy* of every layer as one ``(in + 1, out)`` float32 matrix ``[W^T; b]`` (the inputs carry a constant 1), with
    the observation scaling folded into the first layer, which acts on the observations less their mean. Acting
    copies are rebuilt only when a slot gets new parameters or the statistics change, both at episode ends; an env
    step is then one subtraction, and one product and one non-linearity per layer, into preallocated arrays, for all
    slots at once.

    :param policy: The policy whose layout, observation statistics and action head are used.
    :param n_slots: Number of env slots (``n_envs``).
    :param use_numpy: Force (True) or forbid (False) the NumPy path; default: on the CPU when the activation is
        ``Tanh`` or ``ReLU``.
    """

    def __init__(self, policy: GoGePoPolicy, n_slots: int, use_numpy: bool | None = None) -> None:
        self.policy = policy
        self.n_slots = n_slots
        self.params = th.zeros(n_slots, policy.layout.n_params, device=policy.device)
        self._actions_shape = (n_slots, *policy.action_head.action_shape)
        self._torch_layers = policy.layout.split(self.params)
        self._flat_policy = policy.flat_policy
        self._numpy_activation = self._flat_policy.numpy_activation
        numpy_possible = policy.device.type == "cpu" and self._numpy_activation is not None
        self.uses_numpy = numpy_possible if use_numpy is None else use_numpy and numpy_possible
        if self.uses_numpy:
            sizes = policy.layout.sizes
            self._acting = [np.zeros((n_slots, n_in + 1, n_out), np.float32) for n_in, n_out in itertools.pairwise(sizes)]
            # Activations with a trailing constant 1 that multiplies the bias row.
            self._activations = [np.ones((n_slots, 1, size + 1), np.float32) for size in sizes[:-1]]
            self._outputs = np.empty((n_slots, 1, sizes[-1]), np.float32)
            # Views made once: creating them costs as much as a small product.
            self._input_view = self._activations[0][:, 0, :-1]
            self._steps = [
                (acting, inputs, out[:, :, :-1])
                for acting, inputs, out in zip(self._acting[:-1], self._activations[:-1], self._activations[1:])
            ]
            self._last_step = (self._acting[-1], self._activations[-1], self._outputs)
            self._actions_view = self._outputs[:, 0, :]
            self._statistics_version = -1
            self._refresh(np.arange(n_slots))

    def set_params(self, slots: np.ndarray | list[int], params: th.Tensor) -> None:
        """
        Give slots new parameters (for their next episode).

        :param slots: Slot indices.
        :param params: Their new flat parameters ``(len(slots), n_params)``.
        """
        self.params[th.as_tensor(slots, device=self.params.device, dtype=th.long)] = params.detach()
        if self.uses_numpy:
            # New statistics (committed at the episode end that freed these slots) apply to every slot's acting copy.
            stale = self._statistics_version != self.policy.observation_normalizer.version
            self._refresh(np.arange(self.n_slots) if stale else np.asarray(slots))

    def _refresh(self, slots: np.ndarray) -> None:
        layers = [(weight[slots], bias[slots]) for weight, bias in self._torch_layers]
        for index, (weight, bias) in enumerate(self._flat_policy.acting_copies(layers)):
            self._acting[index][slots, :-1] = weight.numpy()
            self._acting[index][slots, -1] = bias.numpy()
        self._offset = self._flat_policy.acting_offset()
        self._statistics_version = self.policy.observation_normalizer.version

    def act(self, observations: np.ndarray) -> np.ndarray:
        """
        :param observations: Raw observations ``(n_slots, ...)``, one per slot.
        :return: Actions ``(n_slots, ...)``, slot ``i`` acting with its own parameters.
        """
        flat = observations.reshape(self.n_slots, -1)
        if self.uses_numpy:
            actions = self._act_numpy(flat)
        else:
            with th.no_grad():
                observations_tensor = th.as_tensor(flat, device=self.params.device).unsqueeze(1)
                actions = self._flat_policy.act(self._torch_layers, observations_tensor).cpu().numpy()
        return actions.reshape(self._actions_shape)

    def _act_numpy(self, flat: np.ndarray) -> np.ndarray:
        assert self._numpy_activation is not None
        if self._statistics_version != self.policy.observation_normalizer.version:
            self._refresh(np.arange(self.n_slots))
        np.copyto(self._input_view, flat, casting="unsafe")
        if self._offset is not None:
            self._input_view -= self._offset
        activation = self._numpy_activation
        for acting, inputs, out in self._steps:
            np.matmul(inputs, acting, out=out)
            activation(out, out=out)
        acting, inputs, out = self._last_step
        np.matmul(inputs, acting, out=out)
        return self.policy.action_head.act_numpy(self._actions_view)
