import math

import pytest
import torch as th

from sb3_gogepo.functional import ParameterLayout
from sb3_gogepo.hypernetwork import SliceHypernetwork, tile_layout


def linear(generator: SliceHypernetwork, kind: str, name: str, index: int) -> th.nn.Linear:
    """:return: Layer ``index`` of the ``kind`` (weight or bias) network ``name``."""
    networks = generator.weight_networks if kind == "weight" else generator.bias_networks
    layer = networks[name].linears[index]  # type: ignore[index]
    assert isinstance(layer, th.nn.Linear)
    return layer


@pytest.mark.parametrize("sizes", [[11, 256, 256, 3], [3, 8, 1], [5, 20, 7, 2], [4, 2], [17, 33, 16, 5]])
def test_generates_the_full_layout_for_any_net_arch(sizes: list[int]) -> None:
    layout = ParameterLayout(sizes)
    generator = SliceHypernetwork(layout, slice_size=16, embedding_dim=8, net_arch=[32, 32])
    params = generator(th.tensor([0.0, 1.0, -2.0]))
    assert params.shape == (3, layout.n_params)
    assert th.isfinite(params).all()


def test_paper_tiling_of_a_hopper_policy() -> None:
    tilings = tile_layout(ParameterLayout([11, 256, 256, 3]), 16)
    assert [(t.kind, t.tile_out, t.tile_in, t.grid_out, t.grid_in) for t in tilings] == [
        ("input", 16, 11, 16, 1),
        ("hidden", 16, 16, 16, 16),
        ("output", 3, 16, 1, 16),
    ]


def test_each_layer_kind_has_its_own_weight_and_bias_network() -> None:
    generator = SliceHypernetwork(ParameterLayout([11, 64, 64, 64, 3]), net_arch=[32, 32])
    assert set(generator.weight_networks) == set(generator.bias_networks) == {"input", "hidden", "output"}
    assert linear(generator, "weight", "hidden", -1).out_features == 16 * 16
    assert linear(generator, "weight", "input", -1).out_features == 16 * 11
    assert linear(generator, "weight", "output", -1).out_features == 3 * 16
    assert linear(generator, "bias", "hidden", -1).out_features == 16
    assert linear(generator, "weight", "hidden", 0).in_features == 8 + 1


@pytest.mark.parametrize("sizes", [[11, 48, 32, 3], [11, 48, 32, 16, 3]], ids=["one-hidden-layer", "hidden-fan-ins-differ"])
@pytest.mark.parametrize("net_arch", [[16], []], ids=["slice-mlp", "slice-linear"])
@pytest.mark.parametrize("separate_bias_networks", [True, False])
def test_output_scaling_multiplies_each_layer_by_two_over_sqrt_fan_in(
    sizes: list[int], net_arch: list[int], separate_bias_networks: bool
) -> None:
    layout = ParameterLayout(sizes)
    th.manual_seed(0)
    scaled = SliceHypernetwork(layout, net_arch=net_arch, output_scaling=True, separate_bias_networks=separate_bias_networks)
    unscaled = SliceHypernetwork(
        layout, net_arch=net_arch, output_scaling=False, separate_bias_networks=separate_bias_networks
    )
    unscaled.load_state_dict(scaled.state_dict())
    commands = th.tensor([0.5, -1.0])
    for layer, ((w_s, b_s), (w_u, b_u)) in enumerate(zip(layout.split(scaled(commands)), layout.split(unscaled(commands)))):
        factor = 2.0 / math.sqrt(layout.sizes[layer])
        th.testing.assert_close(w_s, w_u * factor)
        th.testing.assert_close(b_s, b_u * factor)


def test_fresh_generator_produces_weights_of_the_order_of_pytorch_default_init() -> None:
    layout = ParameterLayout([11, 256, 256, 3])
    th.manual_seed(0)
    weight = layout.split(SliceHypernetwork(layout)(th.zeros(1)))[1][0]
    default_std = 1 / math.sqrt(3 * 256)  # std of U(-1/sqrt(256), 1/sqrt(256))
    assert 0.1 * default_std < weight.std().item() < 10 * default_std


def test_bias_is_the_mean_of_the_bias_slices_over_input_tiles() -> None:
    layout = ParameterLayout([6, 8, 12, 2])
    generator = SliceHypernetwork(layout, slice_size=4, embedding_dim=3, net_arch=[8], output_scaling=False)
    command = th.tensor([0.7])
    hidden_bias = layout.split(generator(command))[1][1][0]
    tiling = generator.tilings[1]
    assert (tiling.grid_out, tiling.grid_in) == (3, 2)
    slices = generator.bias_networks["hidden"](generator.embeddings[1], command)[0]  # (tiles, tile_out)
    expected = slices.reshape(3, 2, 4).mean(dim=1).reshape(-1)
    th.testing.assert_close(hidden_bias, expected)


def test_weight_tiles_are_placed_row_major_on_the_grid() -> None:
    layout = ParameterLayout([6, 8, 12, 2])
    generator = SliceHypernetwork(layout, slice_size=4, embedding_dim=3, net_arch=[8], output_scaling=False)
    command = th.tensor([0.3])
    weight = layout.split(generator(command))[1][0][0]  # (12, 8)
    slices = generator.weight_networks["hidden"](generator.embeddings[1], command)[0]
    for m in range(3):
        for n in range(2):
            th.testing.assert_close(weight[4 * m : 4 * m + 4, 4 * n : 4 * n + 4], slices[m * 2 + n].reshape(4, 4))


def test_gradient_reaches_every_embedding_even_where_tiles_are_cropped() -> None:
    layout = ParameterLayout([5, 20, 7, 3])
    generator = SliceHypernetwork(layout, slice_size=16, embedding_dim=4, net_arch=[16])
    generator(th.tensor([0.0, 1.0])).pow(2).sum().backward()
    for embedding in generator.embeddings:
        assert embedding.grad is not None
        assert (embedding.grad.abs().sum(dim=1) > 0).all()


def test_command_changes_the_generated_policy() -> None:
    generator = SliceHypernetwork(ParameterLayout([3, 16, 1]), net_arch=[16])
    params = generator(th.tensor([0.0, 1.0]))
    assert not th.allclose(params[0], params[1])


def test_shared_bias_trunk_generates_the_same_layout_with_fewer_networks() -> None:
    layout = ParameterLayout([11, 64, 64, 3])
    separate = SliceHypernetwork(layout, net_arch=[32, 32])
    shared = SliceHypernetwork(layout, net_arch=[32, 32], separate_bias_networks=False)
    assert len(shared.bias_networks) == 0
    assert linear(shared, "weight", "hidden", -1).out_features == 16 * 16 + 16
    assert sum(p.numel() for p in shared.parameters()) < sum(p.numel() for p in separate.parameters())
    params = shared(th.tensor([0.0, 1.0]))
    assert params.shape == (2, layout.n_params)
    params.sum().backward()
    assert all(p.grad is not None for p in shared.parameters())


def test_policy_kwargs_reach_the_generator() -> None:
    from sb3_gogepo import GoGePo

    model = GoGePo("Pendulum-v1", policy_kwargs=dict(net_arch=[32], separate_bias_networks=False))
    assert not model.policy.generator.separate_bias_networks
