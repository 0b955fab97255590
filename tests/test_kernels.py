import pytest
import torch as th
import torch.nn.functional as F

from sb3_gogepo import GoGePo, kernels
from sb3_gogepo.hypernetwork import SliceNetwork

needs_onednn = pytest.mark.skipif(not th.backends.mkldnn.is_available(), reason="this PyTorch build has no oneDNN")


def _values_and_gradients(network: SliceNetwork, embeddings: th.Tensor, commands: th.Tensor) -> list[th.Tensor]:
    network.zero_grad()
    embeddings.grad = None
    output = network(embeddings, commands, 0.25)
    output.square().sum().backward()
    assert embeddings.grad is not None
    return [output.detach(), embeddings.grad.clone(), *(p.grad.clone() for p in network.parameters() if p.grad is not None)]


@needs_onednn
@pytest.mark.parametrize("net_arch", [[12, 12], [12], []])
def test_slice_networks_compute_the_same_values_and_gradients_with_the_onednn_kernels(net_arch: list[int]) -> None:
    th.manual_seed(0)
    network = SliceNetwork(embedding_dim=3, net_arch=net_arch, n_outputs=5)
    embeddings, commands = th.randn(7, 3, requires_grad=True), th.randn(4)
    fused = _values_and_gradients(network, embeddings, commands)
    with kernels.plain_operations():
        plain = _values_and_gradients(network, embeddings, commands)
    assert len(fused) == len(plain) == 2 + 2 * (len(net_arch) + 1)
    for fused_tensor, plain_tensor in zip(fused, plain, strict=True):
        th.testing.assert_close(fused_tensor, plain_tensor, rtol=1e-5, atol=1e-6)


@needs_onednn
@pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN")  # torch.backends.mkldnn.flags says this on CPUs
def test_linear_takes_onednn_only_for_2d_float32_cpu_tensors_while_gradients_are_recorded() -> None:
    inputs = th.randn(4, 3)
    assert kernels.onednn_applies(inputs)
    assert not kernels.onednn_applies(inputs.double())
    assert not kernels.onednn_applies(th.empty(4, 3, device="meta"))
    with kernels.plain_operations():
        assert not kernels.onednn_applies(inputs)
    assert kernels.onednn_applies(inputs)
    with th.backends.mkldnn.flags(enabled=False):
        assert not kernels.onednn_applies(inputs)
    with th.no_grad():
        assert not kernels.onednn_applies(inputs)
    assert not kernels.onednn_applies(inputs.unsqueeze(0))
    with th.autocast("cpu", dtype=th.bfloat16):
        assert not kernels.onednn_applies(inputs)
        output = kernels.linear(inputs, th.randn(2, 3), th.randn(2), relu=True)
    assert output.dtype == th.bfloat16  # autocast's own linear ran
    assert (output >= 0).all()


def test_tanh_is_torch_tanh_with_its_gradient() -> None:
    inputs = th.linspace(-6.0, 6.0, 101, requires_grad=True)
    values = kernels.tanh(inputs)
    values.sum().backward()
    th.testing.assert_close(values, th.tanh(inputs), rtol=0.0, atol=3e-7)
    assert inputs.grad is not None
    th.testing.assert_close(inputs.grad, 1 - th.tanh(inputs.detach()) ** 2, rtol=0.0, atol=1e-6)
    assert kernels.tanh(inputs.detach().double()).equal(th.tanh(inputs.detach().double()))
    with kernels.plain_operations():
        assert kernels.tanh(inputs).equal(th.tanh(inputs))


def test_the_evaluator_probes_tanh_policies_with_the_fast_tanh_and_others_with_their_activation() -> None:
    tanh_model = GoGePo("Pendulum-v1", policy_kwargs=dict(net_arch=[8], hypernetwork_net_arch=[8], evaluator_net_arch=[8]))
    assert tanh_model.policy.evaluator.policy_activation is kernels.tanh
    relu_model = GoGePo(
        "Pendulum-v1",
        policy_kwargs=dict(net_arch=[8], hypernetwork_net_arch=[8], evaluator_net_arch=[8], activation_fn=th.nn.ReLU),
    )
    assert isinstance(relu_model.policy.evaluator.policy_activation, th.nn.ReLU)


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("shape", [(6, 4), (2, 6, 4)])
def test_linear_is_f_linear_with_an_optional_relu(relu: bool, with_bias: bool, shape: tuple[int, ...]) -> None:
    th.manual_seed(0)
    leaves = [th.randn(*shape), th.randn(3, 4), th.randn(3)]
    results = []
    for function in (kernels.linear, lambda x, w, b, relu: th.relu(F.linear(x, w, b)) if relu else F.linear(x, w, b)):
        inputs, weight, bias = (leaf.clone().requires_grad_() for leaf in leaves)
        output = function(inputs, weight, bias if with_bias else None, relu)
        output.square().sum().backward()
        results.append([output.detach(), inputs.grad, weight.grad, bias.grad if with_bias else None])
    for ours, reference in zip(*results, strict=True):
        if reference is None:
            assert ours is None
        else:
            th.testing.assert_close(ours, reference)
