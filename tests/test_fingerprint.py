import torch as th
from gymnasium import spaces

from sb3_gogepo.action_heads import ActionHead
from sb3_gogepo.fingerprint import FingerprintEvaluator
from sb3_gogepo.functional import ParameterLayout
from sb3_gogepo.hypernetwork import SliceHypernetwork


def _permute_hidden_units(layout: ParameterLayout, params: th.Tensor, layer: int) -> th.Tensor:
    """Permute the units of hidden layer `layer` (rows of W_layer, b_layer and columns of W_{layer+1})."""
    layers = [(w.clone(), b.clone()) for w, b in layout.split(params)]
    perm = th.randperm(layers[layer][1].shape[-1])
    weight, bias = layers[layer]
    layers[layer] = (weight[perm], bias[perm])
    next_weight, next_bias = layers[layer + 1]
    layers[layer + 1] = (next_weight[:, perm], next_bias)
    return layout.join(layers)


def test_value_is_invariant_to_permutations_of_hidden_units() -> None:
    th.manual_seed(0)
    layout = ParameterLayout([6, 16, 12, 2])
    evaluator = FingerprintEvaluator(layout, ActionHead(spaces.Box(-1, 1, (2,))), n_probing_states=10, net_arch=[32])
    params = th.randn(layout.n_params) * 0.3
    permuted = _permute_hidden_units(layout, _permute_hidden_units(layout, params, 0), 1)
    assert not th.allclose(params, permuted)
    th.testing.assert_close(evaluator(params[None]), evaluator(permuted[None]))


def test_probing_states_are_learnable_and_start_uniform_in_unit_interval() -> None:
    layout = ParameterLayout([5, 8, 2])
    evaluator = FingerprintEvaluator(layout, ActionHead(spaces.Box(-1, 1, (2,))), n_probing_states=200)
    states = evaluator.probing_states
    assert states.shape == (200, 5) and states.requires_grad
    assert states.min() >= 0 and states.max() < 1
    evaluator(th.randn(3, layout.n_params)).sum().backward()
    assert states.grad is not None and states.grad.abs().sum() > 0


def test_discrete_probing_actions_are_softmax_probabilities() -> None:
    layout = ParameterLayout([4, 8, 3])
    evaluator = FingerprintEvaluator(layout, ActionHead(spaces.Discrete(3)), n_probing_states=5)
    probes = evaluator.probing_actions(th.randn(2, layout.n_params))
    assert probes.shape == (2, 5, 3)
    th.testing.assert_close(probes.sum(-1), th.ones(2, 5))
    assert (probes >= 0).all()


def test_evaluator_outputs_one_value_per_policy_and_default_sizes_follow_the_paper() -> None:
    layout = ParameterLayout([11, 256, 256, 3])
    evaluator = FingerprintEvaluator(layout, ActionHead(spaces.Box(-1, 1, (3,))))
    assert evaluator.probing_states.shape == (200, 11)
    linears = [m for m in evaluator.value_net if isinstance(m, th.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(600, 256), (256, 256), (256, 1)]
    assert evaluator(th.zeros(4, layout.n_params)).shape == (4,)


def test_predicted_returns_stay_float32_under_bf16_autocast() -> None:
    layout = ParameterLayout([5, 8, 2])
    evaluator = FingerprintEvaluator(layout, ActionHead(spaces.Box(-1, 1, (2,))), n_probing_states=4, net_arch=[16])
    last = evaluator.value_net[-1]
    assert isinstance(last, th.nn.Linear)
    with th.no_grad():
        last.weight.zero_()
        last.bias.fill_(1000.3)
    with th.autocast("cpu", dtype=th.bfloat16):
        values = evaluator(th.randn(3, layout.n_params))
    assert values.dtype == th.float32
    # The output layer adds its bias in float32; in bfloat16 1000.3 would be 1000 (steps of 4 at this magnitude).
    assert ((values - 1000.3).abs() < 0.05).all()


def test_generated_layers_give_the_same_values_and_gradients_as_flat_parameters() -> None:
    # The generator's update feeds the generated layers to the evaluator without joining them into flat vectors.
    th.manual_seed(0)
    layout = ParameterLayout([6, 32, 32, 2])
    generator = SliceHypernetwork(layout, slice_size=8, net_arch=[16])
    evaluator = FingerprintEvaluator(layout, ActionHead(spaces.Box(-1, 1, (2,))), n_probing_states=10, net_arch=[32])
    commands = th.tensor([-0.5, 0.25, 1.0])
    layers = generator.generate_layers(commands)
    for (weight, bias), (flat_weight, flat_bias) in zip(layers, layout.split(generator(commands))):
        assert th.equal(weight, flat_weight) and th.equal(bias, flat_bias)
    values = evaluator(layers)
    gradients = th.autograd.grad(values.sum(), list(generator.parameters()))
    flat_values = evaluator(generator(commands))
    flat_gradients = th.autograd.grad(flat_values.sum(), list(generator.parameters()))
    assert th.equal(values, flat_values)
    for gradient, flat_gradient in zip(gradients, flat_gradients):
        th.testing.assert_close(gradient, flat_gradient, rtol=1e-6, atol=1e-7)
