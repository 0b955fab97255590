import pytest
import torch as th
from torch import nn

from sb3_gogepo.functional import ParameterLayout, batched_mlp


def test_layout_counts_weights_and_biases_of_every_layer() -> None:
    layout = ParameterLayout([11, 256, 256, 3])
    assert layout.n_params == 11 * 256 + 256 + 256 * 256 + 256 + 256 * 3 + 3 == 69_635
    assert layout.n_layers == 3
    assert layout.layer_shape(0) == (256, 11)


def test_split_is_a_view_and_join_inverts_it() -> None:
    layout = ParameterLayout([5, 7, 2])
    flat = th.randn(3, layout.n_params)
    layers = layout.split(flat)
    assert [w.shape for w, _ in layers] == [(3, 7, 5), (3, 2, 7)]
    assert [b.shape for _, b in layers] == [(3, 7), (3, 2)]
    layers[0][0][0, 0, 0] = 42.0
    assert flat[0, 0] == 42.0
    assert th.equal(layout.join(layers), flat)


def test_split_rejects_a_vector_of_the_wrong_size() -> None:
    with pytest.raises(ValueError, match="Expected 17 parameters"):
        ParameterLayout([2, 3, 2]).split(th.zeros(14))


def test_batched_mlp_equals_one_torch_mlp_per_parameter_vector() -> None:
    layout = ParameterLayout([4, 6, 5, 2])
    flat = th.randn(3, layout.n_params)
    inputs = th.randn(3, 10, 4)
    outputs = batched_mlp(layout.split(flat), inputs)
    for i in range(3):
        linears = [nn.Linear(n_in, n_out) for n_in, n_out in zip(layout.sizes[:-1], layout.sizes[1:])]
        with th.no_grad():
            for linear, (weight, bias) in zip(linears, layout.split(flat[i])):
                linear.weight.copy_(weight)
                linear.bias.copy_(bias)
        mlp = nn.Sequential(linears[0], nn.Tanh(), linears[1], nn.Tanh(), linears[2])
        th.testing.assert_close(outputs[i], mlp(inputs[i]))


def test_batched_mlp_shares_inputs_given_without_batch_dimension() -> None:
    layout = ParameterLayout([4, 6, 2])
    flat = th.randn(3, layout.n_params)
    probes = th.randn(10, 4)
    shared = batched_mlp(layout.split(flat), probes)
    expanded = batched_mlp(layout.split(flat), probes.expand(3, 10, 4))
    th.testing.assert_close(shared, expanded)
