"""One flat representation of an MLP policy's parameters, and a batched forward pass over many of them."""

from collections.abc import Callable, Sequence

import numpy as np
import torch as th
from torch import nn

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

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParameterLayout) and other.sizes == self.sizes

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


def fold_normalization(weight: th.Tensor, bias: th.Tensor, mean: th.Tensor, std: th.Tensor) -> tuple[th.Tensor, th.Tensor]:
    """
    Fold observation normalisation into a first layer: ``W (x - m) / s + b = (W / s) x + (b - W (m / s))``.

    :param weight: ``(..., out, in)``
    :param bias: ``(..., out)``
    :param mean: ``(in,)`` observation mean.
    :param std: ``(in,)`` observation standard deviation.
    :return: The weight and bias that act on raw observations.
    """
    return weight / std, bias - weight @ (mean / std)
