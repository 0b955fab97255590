import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from torch import nn

from sb3_gogepo.functional import ParameterLayout, batched_mlp
from sb3_gogepo.policies import GoGePoPolicy


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


def test_every_acting_path_of_a_flat_policy_gives_the_same_actions() -> None:
    # Torch (the rollout on devices, predict on tensors), NumPy acting copies (the rollout and predict on the CPU) and
    # the exported module all run one policy given by its flat parameters.
    th.manual_seed(0)
    policy = GoGePoPolicy(spaces.Box(-5, 5, (4,)), spaces.Box(-2, 2, (2,)), net_arch=[8, 8])
    normalizer = policy.observation_normalizer
    normalizer.accumulate(np.random.default_rng(0).normal(1.0, 3.0, (50, 4)))
    normalizer.commit()
    flat_policy = policy.flat_policy
    params = th.randn(policy.layout.n_params) * 0.3
    observations = th.randn(6, 4) * 3
    torch_actions = flat_policy.act(params[None], observations[None])[0]
    copies = [(weight.float().numpy(), bias.float().numpy()) for weight, bias in flat_policy.acting_copies(params)]
    numpy_actions = flat_policy.act_numpy(copies, observations.numpy(), flat_policy.acting_offset())
    exported = flat_policy.export(params)(observations)
    th.testing.assert_close(th.as_tensor(numpy_actions), torch_actions, rtol=1e-5, atol=1e-5)
    th.testing.assert_close(exported, torch_actions, rtol=1e-5, atol=1e-5)


def test_the_policy_acts_with_the_current_generator_without_being_told_it_changed() -> None:
    th.manual_seed(0)
    policy = GoGePoPolicy(spaces.Box(-1, 1, (3,)), spaces.Box(-1, 1, (2,)), net_arch=[8], hypernetwork_net_arch=[8])
    observation = np.ones(3, dtype=np.float32)
    before = policy.predict(observation, command=5.0)[0]
    state_before = {key: value.clone() for key, value in policy.state_dict().items()}
    policy.generator_optimizer.zero_grad()
    (policy.generate(th.tensor([5.0])) ** 2).sum().backward()
    policy.generator_optimizer.param_groups[0]["lr"] = 0.1
    policy.generator_optimizer.step()  # an optimizer step changes the generated policy
    assert not np.array_equal(policy.predict(observation, command=5.0)[0], before)
    policy.load_state_dict(state_before)  # and so does a load
    np.testing.assert_array_equal(policy.predict(observation, command=5.0)[0], before)
