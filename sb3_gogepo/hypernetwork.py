"""Slice hypernetwork G(c): a return command in, the flat parameters of a whole MLP policy out."""

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch as th
import torch.nn.functional as F
from torch import nn

from sb3_gogepo.functional import LayerParams, ParameterLayout

#: Layer kinds with their own slice networks (paper Section 4.1: dedicated input and output networks).
LAYER_KINDS = ("input", "hidden", "output")


@dataclass(frozen=True)
class LayerTiling:
    """
    How one weight matrix of the generated policy is cut into slices.

    The matrix (``out x in``) is covered by a grid of ``grid_out x grid_in`` tiles of shape
    ``tile_out x tile_in``; the grid may overhang the matrix, and the overhang is cropped away.

    :param kind: ``"input"``, ``"hidden"`` or ``"output"``: which slice networks make the layer.
    :param out_features: Rows of the weight matrix.
    :param in_features: Columns of the weight matrix.
    :param tile_out: Rows of one slice.
    :param tile_in: Columns of one slice.
    """

    kind: str
    out_features: int
    in_features: int
    tile_out: int
    tile_in: int

    @property
    def grid_out(self) -> int:
        """Number of tiles along the output dimension."""
        return math.ceil(self.out_features / self.tile_out)

    @property
    def grid_in(self) -> int:
        """Number of tiles along the input dimension."""
        return math.ceil(self.in_features / self.tile_in)

    @property
    def n_tiles(self) -> int:
        """Number of tiles (and embeddings) of the layer."""
        return self.grid_out * self.grid_in


def tile_layout(layout: ParameterLayout, slice_size: int) -> list[LayerTiling]:
    """
    The paper's tiling (Section 4.1): hidden layers are cut into ``f x f`` slices; the input layer into
    ``f x n_obs`` slices (one per output tile) and the output layer into ``n_act x f`` slices (one per input
    tile), because observation and action sizes are not multiples of ``f``. A policy without hidden layers
    has a single layer, tiled like an input layer.

    :param layout: The policy's parameter layout.
    :param slice_size: ``f``.
    :return: The tiling of each layer, input layer first.
    """
    tilings = []
    for layer in range(layout.n_layers):
        n_out, n_in = layout.layer_shape(layer)
        if layer == 0:
            tilings.append(LayerTiling("input", n_out, n_in, slice_size, n_in))
        elif layer == layout.n_layers - 1:
            tilings.append(LayerTiling("output", n_out, n_in, n_out, slice_size))
        else:
            tilings.append(LayerTiling("hidden", n_out, n_in, slice_size, slice_size))
    return tilings


# Optimizer states (Adam, AdamW, SGD, RMSprop) that scale with the gradient, and with its square.
FIRST_MOMENTS = frozenset({"exp_avg", "momentum_buffer", "grad_avg"})
SECOND_MOMENTS = frozenset({"exp_avg_sq", "max_exp_avg_sq", "square_avg"})


class SliceNetwork(nn.Module):
    """
    An MLP ``H([z, c])`` applied to every (embedding, command) pair.

    The first layer's product with the embeddings is computed once per call and the command's contribution
    is added by broadcasting, which equals applying the layer to the concatenation ``[z, c]``.

    :param embedding_dim: Size of the slice embeddings ``z``.
    :param net_arch: Hidden layer sizes.
    :param n_outputs: Output size (elements of one slice).
    """

    def __init__(self, embedding_dim: int, net_arch: Sequence[int], n_outputs: int) -> None:
        super().__init__()
        sizes = [embedding_dim + 1, *net_arch, n_outputs]
        self.linears = nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in itertools.pairwise(sizes))

    def forward(self, embeddings: th.Tensor, commands: th.Tensor, scale: float = 1.0) -> th.Tensor:
        """
        :param embeddings: ``(T, embedding_dim)``
        :param commands: ``(B,)`` normalised commands
        :param scale: Factor on the outputs, applied to the last layer's weight and bias (a pass over the small
            layer instead of over the ``(B, T, n_outputs)`` output, forward and backward).
        :return: ``(B, T, n_outputs)``
        """
        first: nn.Linear = self.linears[0]  # type: ignore[assignment]
        n_tiles = embeddings.shape[0]
        hidden = F.linear(embeddings, first.weight[:, :-1], first.bias).unsqueeze(0)
        hidden = hidden + commands.reshape(-1, 1, 1) * first.weight[:, -1]
        linears: list[nn.Linear] = list(self.linears[1:])  # type: ignore[arg-type]
        if linears:
            hidden = F.relu(hidden, inplace=True)
        elif scale != 1.0:
            hidden = hidden * scale
        hidden = hidden.reshape(-1, first.out_features)
        for index, linear in enumerate(linears):
            last = index == len(linears) - 1
            weight: th.Tensor = linear.weight
            bias: th.Tensor = linear.bias
            if last and scale != 1.0:
                weight, bias = weight * scale, bias * scale
            hidden = F.linear(hidden, weight, bias)
            if not last:
                hidden = F.relu(hidden, inplace=True)
        return hidden.reshape(commands.shape[0], n_tiles, -1)


class SliceHypernetwork(nn.Module):
    """
    The generator ``G(c)`` of GoGePo (paper Section 4.1 and Appendix A.2).

    Every tile of every weight matrix has a learned embedding ``z`` (initialised ``N(0, 1)``). Per layer kind
    (input, hidden, output) a weight network maps ``[z, c]`` to the tile and a bias network maps it to a
    ``tile_out x 1`` bias slice; bias slices are averaged over the input-tile axis. Each layer's weights and
    biases are multiplied by ``2 / sqrt(fan_in)`` so a fresh generator produces weights of the order of
    PyTorch's default initialisation.

    :param layout: Layout of the generated policy's parameters.
    :param slice_size: Tile size ``f`` (16 in the paper).
    :param embedding_dim: Size of the tile embeddings (8 in the paper).
    :param net_arch: Hidden layers of every slice network (``[256, 256]`` in the paper).
    :param output_scaling: Multiply generated parameters by ``2 / sqrt(fan_in)`` (the paper's default).
    :param separate_bias_networks: The paper's dedicated bias network per layer kind (default). False makes the
        bias slice extra outputs of the weight network, sharing its hidden layers: about a third less compute.
    """

    def __init__(
        self,
        layout: ParameterLayout,
        slice_size: int = 16,
        embedding_dim: int = 8,
        net_arch: Sequence[int] = (256, 256),
        output_scaling: bool = True,
        separate_bias_networks: bool = True,
    ) -> None:
        super().__init__()
        self.layout = layout
        self.separate_bias_networks = separate_bias_networks
        self.tilings = tile_layout(layout, slice_size)
        self.output_scaling = output_scaling
        self.embeddings = nn.ParameterList(nn.Parameter(th.randn(tiling.n_tiles, embedding_dim)) for tiling in self.tilings)
        self.weight_networks = nn.ModuleDict()
        self.bias_networks = nn.ModuleDict()
        for kind in LAYER_KINDS:
            tiling = next((t for t in self.tilings if t.kind == kind), None)
            if tiling is None:
                continue
            n_weights = tiling.tile_out * tiling.tile_in
            if separate_bias_networks:
                self.weight_networks[kind] = SliceNetwork(embedding_dim, net_arch, n_weights)
                self.bias_networks[kind] = SliceNetwork(embedding_dim, net_arch, tiling.tile_out)
            else:
                self.weight_networks[kind] = SliceNetwork(embedding_dim, net_arch, n_weights + tiling.tile_out)
        self.scales = [2.0 / math.sqrt(tiling.in_features) if output_scaling else 1.0 for tiling in self.tilings]

    def rescale_command_input(self, factor: float, optimizer: th.optim.Optimizer | None = None) -> None:
        """
        Take commands ``factor`` times smaller from now on, with the same function: afterwards ``G(c / factor)`` is
        what ``G(c)`` was. The command column of every slice network's first layer is multiplied by ``factor``, and the
        optimizer's moments of that column become those of its gradients in the new parameterisation (first moments
        divided by ``factor``, second moments by ``factor ** 2``).

        :param factor: Positive, finite factor.
        :param optimizer: The generator's optimizer, whose state is rescaled with the weights.
        """
        if not (math.isfinite(factor) and factor > 0):
            raise ValueError(f"factor must be a positive finite number, got {factor}")
        networks: list[SliceNetwork] = [*self.weight_networks.values(), *self.bias_networks.values()]  # type: ignore[list-item]
        with th.no_grad():
            for network in networks:
                first: nn.Linear = network.linears[0]  # type: ignore[assignment]
                weight = first.weight
                weight[:, -1] *= factor
                state = optimizer.state.get(weight, {}) if optimizer is not None else {}
                for key, value in state.items():
                    if not isinstance(value, th.Tensor) or value.shape != weight.shape:
                        continue
                    if key in FIRST_MOMENTS:
                        value[:, -1] /= factor
                    elif key in SECOND_MOMENTS:
                        value[:, -1] /= factor**2
                    else:
                        raise ValueError(f"Cannot rescale the optimizer state {key!r} of {type(optimizer).__name__}")

    def forward(self, commands: th.Tensor) -> th.Tensor:
        """
        :param commands: ``(B,)`` normalised return commands.
        :return: Flat policy parameters ``(B, n_params)`` in the layout's order.
        """
        return self.layout.join(self.generate_layers(commands))

    def generate_layers(self, commands: th.Tensor) -> LayerParams:
        """
        The generated parameters before they are joined into flat vectors: what the generator's update feeds to the
        evaluator, which saves joining and splitting them again (and the gradient's copies through both).

        :param commands: ``(B,)`` normalised return commands.
        :return: For each layer of the policy, a weight ``(B, out, in)`` and a bias ``(B, out)``; the layer views
            that :meth:`ParameterLayout.split` gives of :meth:`forward`'s output.
        """
        commands = commands.reshape(-1)
        batch = commands.shape[0]
        layers: list[tuple[th.Tensor, th.Tensor] | None] = [None] * len(self.tilings)
        for kind in self.weight_networks:
            indices = [i for i, tiling in enumerate(self.tilings) if tiling.kind == kind]
            embeddings = th.cat([self.embeddings[i] for i in indices]) if len(indices) > 1 else self.embeddings[indices[0]]
            # A kind's layers usually share their fan-in and so their scale, which the slice networks then apply.
            kind_scales = {self.scales[i] for i in indices}
            network_scale = kind_scales.pop() if len(kind_scales) == 1 else 1.0
            weight_slices = self.weight_networks[kind](embeddings, commands, network_scale)
            if self.separate_bias_networks:
                bias_slices = self.bias_networks[kind](embeddings, commands, network_scale)
            else:
                n_weights = weight_slices.shape[-1] - self.tilings[indices[0]].tile_out
                weight_slices, bias_slices = weight_slices[..., :n_weights], weight_slices[..., n_weights:]
            start = 0
            for i in indices:
                tiling = self.tilings[i]
                stop = start + tiling.n_tiles
                weight = (
                    weight_slices[:, start:stop]
                    .reshape(batch, tiling.grid_out, tiling.grid_in, tiling.tile_out, tiling.tile_in)
                    .transpose(2, 3)
                    .reshape(batch, tiling.grid_out * tiling.tile_out, tiling.grid_in * tiling.tile_in)
                )
                bias = (
                    bias_slices[:, start:stop]
                    .reshape(batch, tiling.grid_out, tiling.grid_in, tiling.tile_out)
                    .mean(dim=2)
                    .reshape(batch, tiling.grid_out * tiling.tile_out)
                )
                if weight.shape[1:] != (tiling.out_features, tiling.in_features):
                    weight = weight[:, : tiling.out_features, : tiling.in_features]
                    bias = bias[:, : tiling.out_features]
                scale = self.scales[i] / network_scale
                layers[i] = (weight * scale, bias * scale) if scale != 1.0 else (weight, bias)
                start = stop
        return [layer for layer in layers if layer is not None]
