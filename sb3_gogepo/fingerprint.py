"""Fingerprinting evaluator V(theta): learned probing states -> probing actions -> predicted return."""

import contextlib
import itertools
from collections.abc import Callable, Sequence

import torch as th
from torch import nn

from sb3_gogepo.action_heads import ActionHead
from sb3_gogepo.functional import LayerParams, ParameterLayout, batched_mlp


class FingerprintEvaluator(nn.Module):
    """
    Parameter-based value function with policy fingerprinting (paper Section 4.2, Harb et al. 2020).

    ``n_probing_states`` learnable states (initialised uniformly in ``[0, 1)``, living in normalised-observation
    space) are fed through each policy; the concatenated probing actions go through an MLP ``U`` to a scalar.
    Probing actions do not change when hidden units of the policy are permuted, so neither does ``V``.

    :param layout: Layout of the evaluated policies' parameters.
    :param action_head: Turns raw policy outputs into probing actions.
    :param n_probing_states: Number of probing states (200 in the paper).
    :param net_arch: Hidden layers of ``U`` (``[256, 256]`` in the paper).
    :param activation_fn: Non-linearity of ``U`` (ReLU in the paper).
    :param policy_activation: Hidden non-linearity of the evaluated policies.
    """

    def __init__(
        self,
        layout: ParameterLayout,
        action_head: ActionHead,
        n_probing_states: int = 200,
        net_arch: Sequence[int] = (256, 256),
        activation_fn: type[nn.Module] = nn.ReLU,
        policy_activation: Callable[[th.Tensor], th.Tensor] = th.tanh,
    ) -> None:
        super().__init__()
        self.layout = layout
        self.action_head = action_head
        self.policy_activation = policy_activation
        self.probing_states = nn.Parameter(th.rand(n_probing_states, layout.sizes[0]))
        sizes = [n_probing_states * layout.sizes[-1], *net_arch]
        modules: list[nn.Module] = []
        for n_in, n_out in itertools.pairwise(sizes):
            modules += [nn.Linear(n_in, n_out), activation_fn()]
        modules.append(nn.Linear(sizes[-1], 1))
        self.value_net = nn.Sequential(*modules)

    def probing_actions(self, params: th.Tensor | LayerParams) -> th.Tensor:
        """
        :param params: Flat policy parameters ``(B, n_params)``, or their per-layer views (:meth:`ParameterLayout.split`).
        :return: Probing actions ``(B, n_probing_states, n_outputs)``.
        """
        layers = self.layout.split(params) if isinstance(params, th.Tensor) else params
        raw = batched_mlp(layers, self.probing_states, self.policy_activation)
        return self.action_head.probe(raw)

    def forward(self, params: th.Tensor | LayerParams) -> th.Tensor:
        """
        :param params: Flat policy parameters ``(B, n_params)``, or their per-layer views (:meth:`ParameterLayout.split`).
        :return: Predicted returns ``(B,)``.
        """
        features = self.value_net[:-1](self.probing_actions(params).flatten(1))
        # The value head always runs in float32: under bf16 autocast its output would be rounded to ~0.4% of the
        # return, too coarse to rank policies whose returns differ by less.
        device_type = features.device.type
        no_autocast = th.autocast(device_type, enabled=False) if th.amp.is_autocast_available(device_type) else None
        with no_autocast or contextlib.nullcontext():
            return self.value_net[-1](features.float()).squeeze(-1)
