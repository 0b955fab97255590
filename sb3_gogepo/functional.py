"""
Policies given by flat parameters: where each layer lives in the flat vector (:class:`ParameterLayout`), the one forward
pass that runs them (:func:`batched_mlp`, batched over policies), the NumPy copies that act without torch
(:meth:`FlatPolicy.acting_copies`), and the export to a plain module (:class:`GeneratedPolicy`).
"""

import copy
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch as th
from torch import nn

from sb3_gogepo.action_heads import ActionHead
from sb3_gogepo.normalization import ObservationNormalizer

#: Per-layer ``(weight, bias)`` views of flat parameters, as returned by :meth:`ParameterLayout.split`.
LayerParams = list[tuple[th.Tensor, th.Tensor]]

#: NumPy versions of the hidden activations the CPU acting paths support; each writes into ``out``.
NUMPY_ACTIVATIONS: dict[type[nn.Module], Callable[..., np.ndarray]] = {
    nn.Tanh: np.tanh,
    nn.ReLU: lambda x, out: np.maximum(x, 0.0, out=out),
}


class ParameterLayout:
    """
    Where each weight matrix and bias vector of an MLP lives inside one flat parameter vector.

    Layer ``j`` maps ``sizes[j]`` inputs to ``sizes[j + 1]`` outputs; its weight (``out x in``, row-major) is
    followed by its bias. The same layout is used by the generator's output, the policy buffer, the
    evaluator's input and the exported ``torch.nn.Module``.

    :param sizes: Layer widths from the observation size to the action size, e.g. ``[11, 256, 256, 3]``.
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        if len(sizes) < 2 or any(int(size) < 1 for size in sizes):
            raise ValueError(f"An MLP needs at least an input and an output size, all positive; got {list(sizes)}")
        self.sizes = tuple(int(size) for size in sizes)
        self.weight_slices: list[slice] = []
        self.bias_slices: list[slice] = []
        offset = 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            self.weight_slices.append(slice(offset, offset + n_out * n_in))
            offset += n_out * n_in
            self.bias_slices.append(slice(offset, offset + n_out))
            offset += n_out
        self.n_params = offset

    @property
    def n_layers(self) -> int:
        """Number of linear layers."""
        return len(self.sizes) - 1

    def layer_shape(self, layer: int) -> tuple[int, int]:
        """
        :param layer: Index of the linear layer (0 = input layer).
        :return: ``(out_features, in_features)`` of the layer.
        """
        return self.sizes[layer + 1], self.sizes[layer]

    def split(self, flat: th.Tensor) -> LayerParams:
        """
        View a flat parameter tensor as per-layer weights and biases, without copying.

        :param flat: Tensor of shape ``(..., n_params)``.
        :return: For each layer, a weight of shape ``(..., out, in)`` and a bias of shape ``(..., out)``.
        """
        if flat.shape[-1] != self.n_params:
            raise ValueError(f"Expected {self.n_params} parameters in the last dimension, got {flat.shape[-1]}")
        # torch.split's backward is one concatenation; slicing each part separately would allocate a full-size
        # zero gradient per part.
        sizes = [
            part
            for weight, bias in zip(self.weight_slices, self.bias_slices)
            for part in (weight.stop - weight.start, bias.stop - bias.start)
        ]
        parts = flat.split(sizes, dim=-1)
        layers = []
        for layer in range(self.n_layers):
            layers.append((parts[2 * layer].unflatten(-1, self.layer_shape(layer)), parts[2 * layer + 1]))
        return layers

    def join(self, layers: LayerParams) -> th.Tensor:
        """
        Inverse of :meth:`split`: concatenate per-layer weights and biases into flat vectors.

        :param layers: For each layer, a weight ``(..., out, in)`` and a bias ``(..., out)``.
        :return: Tensor of shape ``(..., n_params)``.
        """
        parts = []
        for weight, bias in layers:
            parts.append(weight.flatten(-2))
            parts.append(bias)
        return th.cat(parts, dim=-1)

    def __repr__(self) -> str:
        return f"ParameterLayout(sizes={list(self.sizes)}, n_params={self.n_params})"


def batched_mlp(
    layers: LayerParams,
    inputs: th.Tensor,
    activation: Callable[[th.Tensor], th.Tensor] = th.tanh,
) -> th.Tensor:
    """
    Run ``B`` MLPs with different parameters at once.

    :param layers: Per-layer weights ``(B, out, in)`` and biases ``(B, out)``, as returned by
        :meth:`ParameterLayout.split` on a ``(B, n_params)`` tensor.
    :param inputs: Either ``(B, N, in)`` (each network gets its own inputs) or ``(N, in)`` (all networks get
        the same inputs, e.g. probing states).
    :param activation: Hidden-layer non-linearity.
    :return: Raw outputs of the last layer, shape ``(B, N, out)`` (no output activation).
    """
    hidden = inputs
    last = len(layers) - 1
    for index, (weight, bias) in enumerate(layers):
        if hidden.dim() == 2:
            hidden = th.matmul(hidden, weight.transpose(-1, -2)) + bias.unsqueeze(-2)
        else:
            hidden = th.baddbmm(bias.unsqueeze(-2), hidden, weight.transpose(-1, -2))
        if index < last:
            hidden = activation(hidden)
    return hidden


def fold_scaling(weight: th.Tensor, std: th.Tensor) -> th.Tensor:
    """
    Fold the observation scaling into a first layer: ``W (x - m) / s = (W / s) (x - m)``. The mean is subtracted from
    the observations, not folded into the bias: ``(W / s) x`` and ``W m / s`` would cancel in float32 for a feature of
    large mean and small spread (a constant one, say), losing the difference the torch path computes.

    :param weight: ``(..., out, in)``
    :param std: ``(in,)`` observation standard deviation.
    :return: The weight that acts on centred observations ``x - m``.
    """
    return weight / std


class FlatPolicy:
    """
    The deterministic MLP policies of one layout, acting from their flat parameters: the observation statistics applied
    first, the MLP (:func:`batched_mlp`), then the action head. Every path that acts with a generated policy goes
    through it: the training rollout (:class:`~sb3_gogepo.actor.SlotActor`), ``predict`` and the export.

    It holds references to the policy's modules (not copies), so it always acts with their current values.

    :param layout: Layer sizes of the MLP.
    :param activation_fn: Hidden non-linearity.
    :param action_head: Output stage.
    :param observation_normalizer: Observation statistics.
    """

    def __init__(
        self,
        layout: ParameterLayout,
        activation_fn: type[nn.Module],
        action_head: ActionHead,
        observation_normalizer: ObservationNormalizer,
    ) -> None:
        self.layout = layout
        self.activation_fn = activation_fn
        self.activation = activation_fn()
        self.action_head = action_head
        self.observation_normalizer = observation_normalizer
        #: The activation's NumPy version (writes into ``out``), or None where acting copies cannot be used.
        self.numpy_activation = NUMPY_ACTIVATIONS.get(activation_fn)

    def act(self, params: th.Tensor | LayerParams, observations: th.Tensor) -> th.Tensor:
        """
        Act in torch with ``B`` policies at once.

        :param params: Flat parameters ``(B, n_params)``, or their per-layer views (:meth:`ParameterLayout.split`).
        :param observations: Raw flat observations ``(B, N, n_obs)``, ``N`` for each policy.
        :return: Actions ``(B, N, ...)``.
        """
        layers = self.layout.split(params) if isinstance(params, th.Tensor) else params
        inputs = self.observation_normalizer(observations)
        return self.action_head.act(batched_mlp(layers, inputs, self.activation))

    def acting_copies(self, params: th.Tensor | LayerParams) -> list[tuple[th.Tensor, th.Tensor]]:
        """
        The layers as the NumPy paths use them: per layer ``W^T`` and ``b``, with the observation scaling folded into
        the first layer (computed in float64, to be rounded once to float32 by the caller), which acts on observations
        less :meth:`acting_offset`.

        :param params: Flat parameters ``(B, n_params)``, or their per-layer views.
        :return: Per layer, ``W^T`` ``(B, in, out)`` and ``b`` ``(B, out)`` in float64.
        """
        layers = self.layout.split(params) if isinstance(params, th.Tensor) else params
        normalizer = self.observation_normalizer
        copies = []
        for index, (weight, bias) in enumerate(layers):
            weight, bias = weight.double(), bias.double()
            if index == 0 and normalizer.enabled:
                weight = fold_scaling(weight, normalizer.std.double())
            copies.append((weight.transpose(-1, -2), bias))
        return copies

    def acting_offset(self) -> np.ndarray | None:
        """:return: What the NumPy paths subtract from raw observations (the float32 mean), None without normalisation."""
        normalizer = self.observation_normalizer
        return normalizer.mean.detach().cpu().numpy().copy() if normalizer.enabled else None

    def act_numpy(
        self, layers: list[tuple[np.ndarray, np.ndarray]], observations: np.ndarray, offset: np.ndarray | None
    ) -> np.ndarray:
        """
        Act with one policy in NumPy, from its float32 acting copies (:meth:`acting_copies`).

        :param layers: Per layer ``W^T`` ``(in, out)`` and ``b`` ``(out,)``.
        :param observations: Raw flat observations ``(N, n_obs)``.
        :param offset: :meth:`acting_offset`, taken with the acting copies.
        :return: Actions ``(N, ...)``.
        """
        activation = self.numpy_activation
        assert activation is not None
        hidden = np.asarray(observations, dtype=np.float32)
        if offset is not None:
            hidden = hidden - offset
        for weight, bias in layers[:-1]:
            hidden = hidden @ weight
            hidden += bias
            activation(hidden, out=hidden)
        weight, bias = layers[-1]
        return self.action_head.act_numpy(hidden @ weight + bias)

    def export(
        self,
        params: th.Tensor,
        observation_shape: Sequence[int] | None = None,
        input_statistics: "InputStatistics | None" = None,
    ) -> "GeneratedPolicy":
        """
        :param params: Flat parameters ``(n_params,)`` of one policy.
        :param observation_shape: Shape of one observation (default: flat).
        :param input_statistics: A ``VecNormalize``'s observation statistics, applied first (default: none).
        :return: The policy as a standalone module.
        """
        return GeneratedPolicy(
            self.layout,
            params,
            self.observation_normalizer,
            self.action_head,
            self.activation_fn,
            observation_shape,
            input_statistics,
        )


class InputStatistics(NamedTuple):
    """
    What a ``VecNormalize`` does to observations, ``clip((obs - mean) / sqrt(var + epsilon), -clip, clip)``, frozen.

    :param mean: Observation mean, of the observation's shape.
    :param var: Observation variance, of the observation's shape.
    :param epsilon: Added to the variance.
    :param clip: Bound on the magnitude of the result.
    """

    mean: np.ndarray
    var: np.ndarray
    epsilon: float
    clip: float


class GeneratedPolicy(nn.Module):
    """
    A standalone deterministic MLP policy, as produced by the generator for one command.

    It holds plain ``nn.Linear`` layers, the observation statistics and the action mapping, and needs nothing
    of the training state: save it with ``torch.save``, trace it with ``torch.jit.trace``, or call it.

    :param layout: Layer sizes of the MLP.
    :param params: Flat parameters ``(n_params,)``.
    :param observation_normalizer: Statistics to copy into the module.
    :param action_head: Output stage to copy into the module.
    :param activation_fn: Hidden non-linearity.
    :param observation_shape: Shape of one observation (default: flat, ``(n_obs,)``); the last dimensions of the
        observations given must be it, and are flattened, as in training.
    :param input_statistics: The observation statistics of the ``VecNormalize`` the policy was trained behind, applied
        before everything else, so that the module takes the env's raw observations (default: none, for a policy
        trained without one).
    """

    obs_mean: th.Tensor
    obs_std: th.Tensor
    input_mean: th.Tensor
    input_std: th.Tensor

    def __init__(
        self,
        layout: ParameterLayout,
        params: th.Tensor,
        observation_normalizer: ObservationNormalizer,
        action_head: ActionHead,
        activation_fn: type[nn.Module] = nn.Tanh,
        observation_shape: Sequence[int] | None = None,
        input_statistics: InputStatistics | None = None,
    ) -> None:
        super().__init__()
        self.observation_shape = (layout.sizes[0],) if observation_shape is None else tuple(observation_shape)
        #: Bound of the ``VecNormalize`` step (None: there is none).
        self.input_clip: float | None = None
        if input_statistics is not None:
            mean, var, epsilon, clip = input_statistics
            std = np.sqrt(np.asarray(var, dtype=np.float64) + epsilon)
            # Buffers only where there is a VecNormalize step, so state dicts of policies without one keep their keys.
            for name, value in (("input_mean", np.asarray(mean, np.float64)), ("input_std", std)):
                self.register_buffer(name, th.as_tensor(value.reshape(-1), dtype=th.float32, device=params.device))
            self.input_clip = float(clip)
        self.register_buffer("obs_mean", observation_normalizer.mean.detach().clone())
        self.register_buffer("obs_std", observation_normalizer.std.detach().clone())
        self.normalize_observations = observation_normalizer.enabled
        modules: list[nn.Module] = []
        for layer, (weight, bias) in enumerate(layout.split(params.detach().reshape(-1))):
            # skip_init: no random initialisation to overwrite, and none drawn from torch's global generator.
            linear = nn.utils.skip_init(nn.Linear, weight.shape[1], weight.shape[0], device=params.device)
            with th.no_grad():
                linear.weight.copy_(weight)
                linear.bias.copy_(bias)
            modules.append(linear)
            if layer < layout.n_layers - 1:
                modules.append(activation_fn())
        self.mlp = nn.Sequential(*modules)
        self.action_head = copy.deepcopy(action_head)

    def forward(self, observations: th.Tensor) -> th.Tensor:
        """
        :param observations: Raw observations ``(..., *observation_shape)``.
        :return: Actions ``(..., *action_shape)`` (``Box``: within the bounds; ``Discrete``: indices).
        :raises ValueError: If the observations' last dimensions are not ``observation_shape``.
        """
        n_batch_dims = observations.dim() - len(self.observation_shape)
        if not th.jit.is_tracing():  # a trace is made for the shapes it is traced with
            if n_batch_dims < 0 or tuple(observations.shape[n_batch_dims:]) != tuple(self.observation_shape):
                raise ValueError(
                    f"observations must be of shape (..., *{tuple(self.observation_shape)}), got {tuple(observations.shape)}"
                )
        batch_shape = observations.shape[:n_batch_dims]
        observations = observations.reshape(*batch_shape, -1).float()
        if self.input_clip is not None:
            observations = th.clamp((observations - self.input_mean) / self.input_std, -self.input_clip, self.input_clip)
        if self.normalize_observations:
            observations = (observations - self.obs_mean) / self.obs_std
        return self.action_head.act(self.mlp(observations)).reshape(*batch_shape, *self.action_head.action_shape)
