"""
Faithfulness to the authors' code: this package against IDSIA/GoGePo on identical weights, batches and parameters.

    python -m benchmarks.faithfulness --authors-code /path/to/GoGePo

writes ``benchmarks/results/faithfulness.md``. Their code is not part of this project: it is imported from the
folder given (see :mod:`benchmarks.authors_code` for the gym shim), and their training script's own set-up builds
their generator, evaluator, optimizers, replay buffer and update function. Measured:

(a) one update block (their 4 evaluator + 19 generator steps; ours with ``n_evaluator_updates=4``,
    ``n_generator_updates=19`` and their command scaling, ``command_scale`` = their return range): our initial weights
    copied into theirs, the same buffer, the same batches (drawn once with their recency weights and fed to both);
    the difference of the updated parameters, relative to the size of the update. Also on a tiny setup whose numbers
    ``tests/test_faithfulness.py`` pins without their code (:func:`tiny_model`, :func:`tiny_buffer`, :func:`tiny_batches`);
(b) the generated weights of fresh generators (independent initialisations, several seeds): per-layer mean and std;
(c) actions of the same parameters through their acting code and ours, and their observation statistics and ours
    on the same observations.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import random
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch as th
from gymnasium import spaces

from benchmarks.authors_code import AuthorsScript, authors_commit, check_authors_code, install_gym_shim, recency_weights
from benchmarks.common import RESULTS, commit
from sb3_gogepo import GoGePo
from sb3_gogepo.actor import SlotActor
from sb3_gogepo.buffers import PolicyBuffer
from sb3_gogepo.policies import GoGePoPolicy

#: Their return range ``rew_max - rew_min`` per environment (``gogepo.py``), the divisor of their commands.
AUTHORS_COMMAND_SCALE = {"Swimmer-v3": 465.0, "Hopper-v3": 3100.0, "InvertedPendulum-v2": 1000.0}
#: Their update block: ``range(1, vf_iters)`` and ``range(1, gen_iters)`` with ``vf_iters=5``, ``gen_iters=20``.
N_EVALUATOR_UPDATES, N_GENERATOR_UPDATES = 4, 19
BATCH_SIZE = 16
#: Policy and network sizes of the tiny setup pinned by the test (hidden sizes multiples of their slice size, 16).
TINY_POLICY: dict[str, Any] = dict(net_arch=[32, 32], hypernetwork_net_arch=[32], evaluator_net_arch=[32], n_probing_states=10)
TINY_ENV, TINY_SEED, TINY_ENTRIES, TINY_COMMAND = "Swimmer-v3", 0, 32, 50.0
#: Parameter groups of the policy whose updates are reported.
GROUPS = ("generator", "evaluator")


# ---------------------------------------------------------------------------------------------------- weight mapping


@dataclass
class ParameterPair:
    """
    One parameter of ours and where it lives in the authors' networks.

    :param name: Our name (``policy.named_parameters()``).
    :param ours: Our tensor.
    :param read: Their value, in our shape.
    :param write: Writes a value in our shape into theirs.
    """

    name: str
    ours: th.Tensor
    read: Callable[[], th.Tensor]
    write: Callable[[th.Tensor], None]


Accessors = tuple[Callable[[], th.Tensor], Callable[[th.Tensor], None]]


def _copy_into(target: th.Tensor) -> Callable[[th.Tensor], None]:
    def write(value: th.Tensor) -> None:
        with th.no_grad():
            target.copy_(value)

    return write


def _same_tensor(tensor: th.Tensor) -> Accessors:
    def read() -> th.Tensor:
        return tensor.detach()

    return read, _copy_into(tensor)


def _embedding(embedding: th.Tensor, grid_out: int, grid_in: int) -> Accessors:
    """Their ``(input tiles, output tiles, dim)`` embeddings as our ``(output tiles * input tiles, dim)``."""

    def read() -> th.Tensor:
        return embedding.detach().transpose(0, 1).reshape(-1, embedding.shape[-1])

    def write(value: th.Tensor) -> None:
        _copy_into(embedding)(value.reshape(grid_out, grid_in, -1).transpose(0, 1))

    return read, write


def _probing_states(states: Sequence[th.Tensor]) -> Accessors:
    """Their list of probing-state vectors as our matrix."""

    def read() -> th.Tensor:
        return th.stack([state.detach() for state in states])

    def write(value: th.Tensor) -> None:
        for state, row in zip(states, value):
            _copy_into(state)(row)

    return read, write


def parameter_pairs(policy: GoGePoPolicy, generator: Any, ac: Any) -> list[ParameterPair]:
    """
    Pair every generator and evaluator parameter of ours with theirs.

    Their tile embeddings are laid out ``(input tiles, output tiles, dim)``, ours ``(output tiles * input tiles, dim)``;
    their slice networks are ``Sequential(Linear, ReLU, ..., Linear, Identity)``, ours ``linears``; their probing states
    are a list of vectors, ours one matrix. Everything else is the same tensor.

    :param policy: Our policy (sizes of theirs).
    :param generator: Their ``core_gogepo.Generator``.
    :param ac: Their ``core_gogepo.MLPActorCritic`` (with its evaluator ``v``).
    :return: The pairs, in the order of ``policy.named_parameters()``.
    """
    encoder = generator.encoder
    their_embeddings = [encoder.in_embeddings, *(encoder.hidden_embeddings or []), encoder.out_embeddings]
    hypernetworks = {"input": encoder.input_hn, "hidden": encoder.hidden_hn, "output": encoder.output_hn}
    theirs: dict[str, Accessors] = {}
    for index, (embedding, tiling) in enumerate(zip(their_embeddings, policy.generator.tilings)):
        theirs[f"generator.embeddings.{index}"] = _embedding(embedding, tiling.grid_out, tiling.grid_in)
    for kind, hypernetwork in hypernetworks.items():
        for ours_name, sequential in (("weight_networks", hypernetwork.net_w), ("bias_networks", hypernetwork.net_b)):
            linears = [module for module in sequential if isinstance(module, th.nn.Linear)]
            for index, linear in enumerate(linears):
                for field in ("weight", "bias"):
                    theirs[f"generator.{ours_name}.{kind}.linears.{index}.{field}"] = _same_tensor(getattr(linear, field))
    theirs["evaluator.probing_states"] = _probing_states(list(ac.v.probing_states))
    their_linears = [module for module in ac.v.v_net if isinstance(module, th.nn.Linear)]
    our_linears = [index for index, module in enumerate(policy.evaluator.value_net) if isinstance(module, th.nn.Linear)]
    for index, linear in zip(our_linears, their_linears):
        for field in ("weight", "bias"):
            theirs[f"evaluator.value_net.{index}.{field}"] = _same_tensor(getattr(linear, field))
    pairs = []
    for name, parameter in policy.named_parameters():
        if name not in theirs:
            raise KeyError(f"no counterpart of {name} in the authors' networks")
        read, write = theirs.pop(name)
        pairs.append(ParameterPair(name, parameter, read, write))
    if theirs:
        raise KeyError(f"parameters of theirs without a counterpart: {sorted(theirs)}")
    return pairs


def copy_ours_into_theirs(pairs: Sequence[ParameterPair]) -> None:
    """:param pairs: From :func:`parameter_pairs`; afterwards their networks hold our values."""
    for pair in pairs:
        pair.write(pair.ours.detach())


def snapshot(pairs: Sequence[ParameterPair], theirs: bool = False) -> dict[str, th.Tensor]:
    """:return: Copies of our parameters (or of theirs, in our shapes), by our names."""
    return {pair.name: (pair.read() if theirs else pair.ours.detach()).clone() for pair in pairs}


# ---------------------------------------------------------------------------------------------------- setups


class ScriptedBuffer(PolicyBuffer):
    """
    A policy buffer whose samples are given in advance: the ``k``-th call of :meth:`sample_indices` returns the
    ``k``-th batch (the update block draws its evaluator batches first, then one batch of commands per generator step).

    :param params: Entries' parameters ``(n, n_params)``, oldest first.
    :param returns: Their returns ``(n,)``.
    :param batches: Storage indices of every batch, in order.
    :param layer_sizes: The policies' layer widths.
    """

    def __init__(
        self, params: th.Tensor, returns: th.Tensor, batches: Sequence[Sequence[int]], layer_sizes: Sequence[int]
    ) -> None:
        super().__init__(len(returns), params.shape[1], layer_sizes=layer_sizes)
        self.set_entries(params, returns)
        self._batches: Iterator[Sequence[int]] = iter(batches)

    def sample_indices(self, batch_size: int) -> th.Tensor:
        batch = next(self._batches)
        if len(batch) != batch_size:
            raise ValueError(f"scripted batch of {len(batch)} entries, the update asked for {batch_size}")
        return th.as_tensor(batch, dtype=th.long, device=self.device)


def make_model(
    env_id: str, seed: int, command_scale: float | None, algorithm_kwargs: dict[str, Any] | None = None, **policy_kwargs: Any
) -> GoGePo:
    """
    :param env_id: Environment.
    :param seed: Seed of the model (its initial weights).
    :param command_scale: Their return range, or None for our default (symlog).
    :param algorithm_kwargs: Overrides of GoGePo's constructor arguments.
    :param policy_kwargs: Further policy keyword arguments.
    :return: Our GoGePo with their update counts and (unless ``command_scale=None``) their command scaling.
    """
    kwargs: dict[str, Any] = dict(
        n_evaluator_updates=N_EVALUATOR_UPDATES, n_generator_updates=N_GENERATOR_UPDATES, batch_size=BATCH_SIZE
    )
    kwargs.update(algorithm_kwargs or {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GoGePo(
            env_id, seed=seed, device="cpu", policy_kwargs=dict(command_scale=command_scale, **policy_kwargs), **kwargs
        )


def parameters_of(policy: GoGePoPolicy) -> dict[str, th.Tensor]:
    """:return: Copies of the policy's parameters (generator and evaluator), by name."""
    return {name: parameter.detach().clone() for name, parameter in policy.named_parameters()}


def filled_buffer(model: GoGePo, n_entries: int, return_range: tuple[float, float], seed: int) -> tuple[th.Tensor, th.Tensor]:
    """
    Buffer entries as training makes them: returns drawn uniformly from ``return_range``, parameters ``G(r) + 0.1 noise``
    from the model's (initial) generator.

    :return: Parameters ``(n_entries, n_params)`` and returns ``(n_entries,)``, oldest first.
    """
    rng = np.random.default_rng(seed)
    returns = th.as_tensor(rng.uniform(*return_range, n_entries).astype(np.float32))
    with th.no_grad():
        params = model.policy.generate(returns)
    noise = th.as_tensor(rng.standard_normal(tuple(params.shape)).astype(np.float32))
    return params + 0.1 * noise, returns


def recency_batches(n_entries: int, seed: int, n_batches: int = N_EVALUATOR_UPDATES + N_GENERATOR_UPDATES) -> list[list[int]]:
    """:return: ``n_batches`` batches of indices drawn as their buffer draws them (``random.choices`` with their weights)."""
    draw = random.Random(seed)
    weights = list(recency_weights(n_entries))
    return [draw.choices(range(n_entries), weights=weights, k=BATCH_SIZE) for _ in range(n_batches)]


def tiny_model(algorithm_kwargs: dict[str, Any] | None = None, **policy_overrides: Any) -> GoGePo:
    """
    :param algorithm_kwargs: Overrides of GoGePo's constructor arguments.
    :param policy_overrides: Overrides of the policy's keyword arguments.
    :return: Our model of the tiny setup (Swimmer-v3 sizes of observations and actions, small networks).
    """
    policy_kwargs = {**TINY_POLICY, "command_scale": AUTHORS_COMMAND_SCALE[TINY_ENV], **policy_overrides}
    return make_model(TINY_ENV, TINY_SEED, algorithm_kwargs=algorithm_kwargs, **policy_kwargs)


def tiny_buffer(model: GoGePo) -> tuple[th.Tensor, th.Tensor]:
    """:return: The tiny setup's buffer entries (from the model's initial generator)."""
    return filled_buffer(model, TINY_ENTRIES, (-40.0, 80.0), TINY_SEED)


def tiny_batches(n_batches: int = N_EVALUATOR_UPDATES + N_GENERATOR_UPDATES) -> list[list[int]]:
    """:return: The tiny setup's batches (the first ``n`` are the same whatever their number)."""
    return recency_batches(TINY_ENTRIES, TINY_SEED, n_batches)


def tiny_block_fingerprint(algorithm_kwargs: dict[str, Any] | None = None) -> dict[str, float]:
    """
    One update block of ours on the tiny setup (what ``tests/test_faithfulness.py`` compares with their numbers).

    :param algorithm_kwargs: Overrides of GoGePo's constructor arguments (the test changes the block with them).
    :return: :func:`update_fingerprint` of the block.
    """
    model = tiny_model(algorithm_kwargs)
    params, returns = tiny_buffer(model)
    batches = tiny_batches(model.n_evaluator_updates + model.n_generator_updates)
    before = parameters_of(model.policy)
    command = th.tensor([TINY_COMMAND])
    with th.no_grad():
        generated = model.policy.generate(command)
    losses = run_our_block(model, params, returns, batches)
    with th.no_grad():
        change = model.policy.generate(command) - generated
    return update_fingerprint(before, parameters_of(model.policy), change, losses)


def run_our_block(model: GoGePo, params: th.Tensor, returns: th.Tensor, batches: Sequence[Sequence[int]]) -> dict[str, float]:
    """
    One update block of ours on scripted batches (the model's buffer is replaced by a :class:`ScriptedBuffer`).

    :return: The block's mean evaluator and generator losses.
    """
    model.policy_buffer = ScriptedBuffer(params, returns, batches, model.policy.layout.sizes)
    model.train()
    values = model.logger.name_to_value
    return {"evaluator_loss": float(values["train/evaluator_loss"]), "generator_loss": float(values["train/generator_loss"])}


def update_fingerprint(
    before: dict[str, th.Tensor], after: dict[str, th.Tensor], generated_change: th.Tensor, losses: dict[str, float]
) -> dict[str, float]:
    """
    The numbers that ``tests/test_faithfulness.py`` pins: per-module norms of the update, each group's update projected
    on a fixed random direction, the change of the generated parameters for one command, the mean losses.

    :param before: Parameters before the block, by our names.
    :param after: After it.
    :param generated_change: ``G_after(c) - G_before(c)`` for the tiny setup's command.
    :param losses: Mean evaluator and generator losses of the block.
    :return: Name -> value.
    """
    modules: dict[str, list[th.Tensor]] = {}
    for name in before:
        parts = name.split(".")
        module = ".".join(parts[:3]) if parts[1] in ("weight_networks", "bias_networks") else ".".join(parts[:2])
        modules.setdefault(module, []).append((after[name] - before[name]).double().reshape(-1))
    numbers = {f"norm {module}": float(th.cat(deltas).norm()) for module, deltas in modules.items()}
    for group in GROUPS:
        delta = th.cat([(after[name] - before[name]).double().reshape(-1) for name in before if name.startswith(group)])
        direction = th.as_tensor(np.random.default_rng(1).standard_normal(delta.numel()))
        numbers[f"projection {group}"] = float(delta @ direction)
    numbers["norm generated change"] = float(generated_change.double().norm())
    numbers.update({f"mean {name}": value for name, value in losses.items()})
    return numbers


# ---------------------------------------------------------------------------------------------------- (a) update block


@dataclass
class BlockComparison:
    """One update block of theirs against ours (several variants of ours) on the same weights and batches."""

    env_id: str
    sizes: str
    n_entries: int
    #: Per row (variants of ours, and theirs reordered), per group: (max |row - theirs|, max |their update|,
    #: L2 of the difference / L2 of the update).
    differences: dict[str, dict[str, tuple[float, float, float]]]
    #: Per row (and ``"theirs"``): mean evaluator and generator losses.
    losses: dict[str, dict[str, float]]
    #: Per row: max |G_row(c) - G_theirs(c)| after the block relative to max |G_after(c) - G_before(c)|.
    generated: dict[str, float]
    #: Before the block: max |G_ours(c) - G_theirs(c)| and max |V_ours - V_theirs| on the buffer.
    initial_generated_difference: float
    initial_value_difference: float
    their_fingerprint: dict[str, float]
    our_fingerprint: dict[str, float]
    seconds: dict[str, float]


#: Variants of ours in the update-block comparison: constructor overrides.
VARIANTS: dict[str, dict[str, Any]] = {
    "ours (fused Adam)": {},
    "ours (for-loop Adam)": {"optimizer_kwargs": {"fused": False, "foreach": False}},
    "ours with symlog commands (a different method: not expected to match)": {"command_scale": None},
}


def _their_block(
    namespace: dict[str, Any], history: list[tuple[Any, ...]], batches: Sequence[Sequence[int]]
) -> dict[str, float]:
    """Run their ``update()`` with its buffer sampling replaced by the scripted batches; :return: its mean losses."""
    buffer = namespace["buffer"]
    buffer.history = history
    scripted = iter(batches)
    buffer.sample_replay = lambda batch_size, weighted_sampling=False: [history[i] for i in next(scripted)]
    losses: dict[str, list[float]] = {"evaluator_loss": [], "generator_loss": []}
    originals = {name: namespace[name] for name in ("compute_vf_loss", "compute_generator_loss")}

    def recording(name: str, key: str) -> Callable[..., th.Tensor]:
        def wrapper(*args: Any) -> th.Tensor:
            loss = originals[name](*args)
            losses[key].append(float(loss))
            return loss

        return wrapper

    namespace["compute_vf_loss"] = recording("compute_vf_loss", "evaluator_loss")
    namespace["compute_generator_loss"] = recording("compute_generator_loss", "generator_loss")
    try:
        namespace["update"]()
    finally:
        namespace.update(originals)
        del buffer.sample_replay
    assert len(losses["evaluator_loss"]) == N_EVALUATOR_UPDATES and len(losses["generator_loss"]) == N_GENERATOR_UPDATES
    return {key: float(np.mean(values)) for key, values in losses.items()}


def _tiny_authors_networks(namespace: dict[str, Any], core: Any, policy_sizes: Sequence[int]) -> None:
    """Replace the script's networks and optimizers by ones of the tiny setup's sizes, built as the script builds its own."""
    config, env = namespace["config"], namespace["env"]
    nn, optim = th.nn, th.optim
    ac = core.MLPActorCritic(
        env.observation_space,
        env.action_space,
        TINY_POLICY["n_probing_states"],
        hidden_sizes_actor=tuple(policy_sizes[1:-1]),
        activation=nn.Tanh,
        hidden_sizes_critic=tuple(TINY_POLICY["evaluator_net_arch"]),
        device=namespace["device"],
        critic=True,
        deterministic_actor=config["deterministic_actor"],
    )
    generator = core.Generator(
        ac.pi,
        sum(p.numel() for p in ac.pi.parameters()),
        hidden_sizes=tuple(TINY_POLICY["hypernetwork_net_arch"]),
        use_hyper=config["use_hyper"],
        use_parallel=config["use_parallel"],
        hid_size_w=config["z_dim_w"],
        hid_size_b=config["z_dim_b"],
        out_size_w=config["out_size_w"],
        out_size_b=config["out_size_b"],
        device=namespace["device"],
        scale_layer_out=config["scale_layer_out"],
        scale_parameter=config["scale_parameter"],
    )
    namespace.update(
        ac=ac,
        generator=generator,
        virtual_mlp=core.VirtualMLPPolicy(layer_sizes=list(policy_sizes), act_lim=env.action_space.high[0]),
        optimize_generator=optim.Adam(generator.parameters(), lr=config["learning_rate_gen"]),
        optimize_vf=optim.Adam(ac.v.parameters(), lr=config["learning_rate_vf"]),
    )


def _their_setup(
    authors: Path, env_id: str, seed: int, model: GoGePo, tiny: bool
) -> tuple[dict[str, Any], list[ParameterPair]]:
    """:return: Their script's globals after its set-up, with our model's weights copied into their networks, and the pairs."""
    namespace = AuthorsScript(authors, env_id, seed, stdout=io.StringIO()).set_up()
    if tiny:
        with contextlib.redirect_stdout(io.StringIO()):  # their Generator prints its scaling
            _tiny_authors_networks(namespace, sys.modules["core_gogepo"], model.policy.layout.sizes)
    pairs = parameter_pairs(model.policy, namespace["generator"], namespace["ac"])
    copy_ours_into_theirs(pairs)
    return namespace, pairs


#: Name of the row of theirs run a second time with every batch's entries in reverse order.
REORDERED = "theirs again, every batch's entries in reverse order (same mathematics: the rounding yardstick)"


def compare_update_block(
    authors: Path, env_id: str, n_entries: int, return_range: tuple[float, float], seed: int, tiny: bool = False
) -> BlockComparison:
    """
    (a): their update block against ours, on our initial weights copied into theirs, the same buffer and batches.
    Their block also runs a second time with the entries of every batch in reverse order: the same losses and
    gradients up to the order of the sums, so the difference of the two runs of their code is the size of float32
    rounding in this computation.

    :param authors: Their checkout.
    :param env_id: Environment (sizes and their command scale).
    :param n_entries: Buffer entries (not used by the tiny setup).
    :param return_range: Range of the entries' returns (not used by the tiny setup).
    :param seed: Seed of our initial weights, of the buffer and of the batches (the tiny setup's is fixed).
    :param tiny: The tiny setup of the test (small networks) instead of the paper's sizes.
    """
    seed = TINY_SEED if tiny else seed
    scale = AUTHORS_COMMAND_SCALE[env_id]
    base_kwargs: dict[str, Any] = dict(TINY_POLICY) if tiny else {}
    if tiny:
        model = tiny_model()
        params, returns = tiny_buffer(model)
        batches = tiny_batches()
    else:
        model = make_model(env_id, seed, scale)
        params, returns = filled_buffer(model, n_entries, return_range, seed)
        batches = recency_batches(n_entries, seed)
    namespace, pairs = _their_setup(authors, env_id, seed, model, tiny)
    generator, ac, virtual_mlp = namespace["generator"], namespace["ac"], namespace["virtual_mlp"]
    before = snapshot(pairs)
    command = th.tensor([TINY_COMMAND])
    with th.no_grad():
        ours_generated = model.policy.generate(command)
        theirs_generated = generator(command.unsqueeze(1) / scale)
        initial_generated = float((ours_generated - theirs_generated).abs().max())
        initial_value = float((model.policy.evaluator(params) - ac.v(params, virtual_module=virtual_mlp)).abs().max())
    history = [(params[i], float(returns[i]), returns[i : i + 1].clone()) for i in range(len(returns))]
    seconds = {}
    start = time.perf_counter()
    losses = {"theirs": _their_block(namespace, history, batches)}
    seconds["theirs"] = time.perf_counter() - start
    theirs_after = snapshot(pairs, theirs=True)
    with th.no_grad():
        theirs_generated_after = generator(command.unsqueeze(1) / scale)
    generated_update = float((theirs_generated_after - theirs_generated).abs().max())
    groups = {group: [name for name in before if name.startswith(group)] for group in GROUPS}
    differences: dict[str, dict[str, tuple[float, float, float]]] = {}
    generated: dict[str, float] = {}

    def compare(row: str, after: dict[str, th.Tensor], generated_after: th.Tensor) -> None:
        differences[row] = {}
        for group, names in groups.items():
            l2_difference = math.sqrt(sum(float((after[n] - theirs_after[n]).double().pow(2).sum()) for n in names))
            l2_update = math.sqrt(sum(float((theirs_after[n] - before[n]).double().pow(2).sum()) for n in names))
            differences[row][group] = (
                _max_difference(after, theirs_after, names),
                _max_difference(theirs_after, before, names),
                l2_difference / l2_update,
            )
        generated[row] = float((generated_after - theirs_generated_after).abs().max()) / generated_update

    again, again_pairs = _their_setup(authors, env_id, seed, model, tiny)
    losses[REORDERED] = _their_block(again, history, [batch[::-1] for batch in batches])
    with th.no_grad():
        compare(REORDERED, snapshot(again_pairs, theirs=True), again["generator"](command.unsqueeze(1) / scale))
    our_fingerprint: dict[str, float] = {}
    for variant, overrides in VARIANTS.items():
        ours = make_model(env_id, seed, **{**base_kwargs, "command_scale": scale, **overrides})
        initial = parameters_of(ours.policy)
        if any(not th.equal(initial[name], before[name]) for name in before):
            raise RuntimeError(f"{variant}: initial weights differ from the compared ones")
        start = time.perf_counter()
        losses[variant] = run_our_block(ours, params, returns, batches)
        seconds[variant] = time.perf_counter() - start
        after = parameters_of(ours.policy)
        with th.no_grad():
            ours_generated_after = ours.policy.generate(command)
        compare(variant, after, ours_generated_after)
        if not our_fingerprint:
            our_fingerprint = update_fingerprint(before, after, ours_generated_after - ours_generated, losses[variant])
    their_fingerprint = update_fingerprint(before, theirs_after, theirs_generated_after - theirs_generated, losses["theirs"])
    sizes = "x".join(str(size) for size in model.policy.layout.sizes)
    return BlockComparison(
        env_id,
        sizes,
        len(returns),
        differences,
        losses,
        generated,
        initial_generated,
        initial_value,
        their_fingerprint,
        our_fingerprint,
        seconds,
    )


def _max_difference(ours: dict[str, th.Tensor], theirs: dict[str, th.Tensor], names: Sequence[str]) -> float:
    return max(float((ours[name] - theirs[name]).abs().max()) for name in names)


# ---------------------------------------------------------------------------------------------------- (b) weight statistics

LAYER_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


def layer_statistics(policy: GoGePoPolicy, params: th.Tensor) -> dict[str, tuple[float, float]]:
    """:return: Per layer of one flat parameter vector: (mean, std) of the weights and of the biases."""
    stats = {}
    for index, (weight, bias) in enumerate(policy.layout.split(params.reshape(-1))):
        stats[f"W{index + 1}"] = (float(weight.mean()), float(weight.std()))
        stats[f"b{index + 1}"] = (float(bias.mean()), float(bias.std()))
    return stats


@dataclass
class InitialStatistics:
    """(b) for one environment: generated-weight statistics of fresh generators over seeds."""

    env_id: str
    seeds: list[int]
    command: float
    #: Source -> layer -> list over seeds of (mean, std).
    stats: dict[str, dict[str, list[tuple[float, float]]]]
    #: Source -> list over seeds of |G(high) - G(command)| / |G(command)| (L2 over all parameters).
    sensitivity: dict[str, list[float]]
    high_command: float


def initial_statistics(
    authors: Path, env_id: str, seeds: Sequence[int], command: float, high_command: float
) -> InitialStatistics:
    """
    (b): generate parameters for ``command`` with fresh generators (theirs from their script's set-up with ``--seed``,
    ours from ``GoGePo(..., seed=...)``, independent initialisations) and take per-layer statistics.
    """
    scale = AUTHORS_COMMAND_SCALE[env_id]
    stats: dict[str, dict[str, list[tuple[float, float]]]] = {}
    sensitivity: dict[str, list[float]] = {}
    commands = th.tensor([command, high_command])
    for seed in seeds:
        namespace = AuthorsScript(authors, env_id, seed, stdout=io.StringIO()).set_up()
        model = make_model(env_id, seed, scale)
        symlog_model = make_model(env_id, seed, None)
        with th.no_grad():
            generated = {
                "theirs (c / range)": namespace["generator"](commands.unsqueeze(1) / scale),
                "ours, command_scale = range": model.policy.generate(commands),
                "ours, symlog (default)": symlog_model.policy.generate(commands),
            }
        for source, params in generated.items():
            for layer, value in layer_statistics(model.policy, params[0]).items():
                stats.setdefault(source, {}).setdefault(layer, []).append(value)
            change = float((params[1] - params[0]).norm() / params[0].norm())
            sensitivity.setdefault(source, []).append(change)
    return InitialStatistics(env_id, list(seeds), command, stats, sensitivity, high_command)


# ---------------------------------------------------------------------------------------------------- (c) actions


@dataclass
class ActionComparison:
    """(c) for one environment."""

    env_id: str
    action_high: float
    n_observations: int
    #: Path -> max |a_ours - a_theirs| for the same parameters and (normalised) observations.
    actions: dict[str, float]
    #: max |their probing actions - our probing actions| and the ratio of their scales.
    probing_difference: float
    probing_ratio: float
    #: After k training episodes: (std_ours / std_theirs - 1 of largest magnitude, max |a_ours - a_theirs| from the
    #: statistics alone, max and mean |a_ours - a_theirs| during episode k + 1 when theirs updates its statistics at
    #: every step).
    statistics: dict[int, tuple[float, float, float, float]]
    #: After k training episodes: their std / the sample std (ddof 1) of the same observations - 1, largest magnitude.
    their_std_error: dict[int, float]


def _their_actions(namespace: dict[str, Any], params: th.Tensor, observations: th.Tensor) -> np.ndarray:
    """Their acting call (``ac.act`` on one observation at a time, as ``simulate_policy`` and ``evaluate`` do)."""
    ac, virtual_mlp = namespace["ac"], namespace["virtual_mlp"]
    return np.stack([ac.act(observation, params, virtual_module=virtual_mlp)[0] for observation in observations])


def _rollout_observations(model: GoGePo, n_episodes: int, seed: int, max_steps: int = 1000) -> list[np.ndarray]:
    """:return: Observations of ``n_episodes`` training-like episodes (``G(0) + 0.1 noise``, our acting path), per episode."""
    env = model.get_env()
    assert env is not None
    env.seed(seed)
    actor = SlotActor(model.policy, 1)
    generator = th.Generator().manual_seed(seed)
    episodes = []
    for _ in range(n_episodes):
        with th.no_grad():
            params = model.policy.generate(th.zeros(1))
            actor.set_params([0], params + 0.1 * th.randn(params.shape, generator=generator))
        observation = np.asarray(env.reset())
        rows = []
        for _ in range(max_steps):
            rows.append(observation[0].copy())
            next_observation, _, done, _ = env.step(actor.act(observation))
            observation = np.asarray(next_observation)
            if done[0]:
                break
        episodes.append(np.asarray(rows))
    return episodes


def compare_actions(authors: Path, env_id: str, seed: int, checkpoints: Sequence[int] = (1, 10)) -> ActionComparison:
    """
    (c): the same flat parameters through their acting code and ours; their observation statistics and ours.

    Parameters: ``G(c) + 0.1 noise`` from our generator (copied into theirs for the evaluation path, which generates
    ``G(best)`` itself). Observations: those of training-like episodes.
    """
    scale = AUTHORS_COMMAND_SCALE[env_id]
    namespace = AuthorsScript(authors, env_id, seed, stdout=io.StringIO()).set_up()
    model = make_model(env_id, seed, scale)
    copy_ours_into_theirs(parameter_pairs(model.policy, namespace["generator"], namespace["ac"]))
    episodes = _rollout_observations(model, max(checkpoints) + 1, seed)
    observations = th.as_tensor(np.concatenate(episodes)[:1000], dtype=th.float32)
    normalized = (observations - observations.mean(0)) / observations.std(0).clamp_min(1e-3)
    policy = model.policy
    generator = th.Generator().manual_seed(seed)
    with th.no_grad():
        params = policy.generate(th.tensor([TINY_COMMAND]))[0]
        params = params + 0.1 * th.randn(params.shape, generator=generator)
    theirs = _their_actions(namespace, params, normalized)
    actor = SlotActor(policy, 1)
    actor.set_params([0], params.unsqueeze(0))
    with th.no_grad():
        torch_path = policy.act_with(params, normalized).numpy()
    numpy_path = np.stack([actor.act(row.numpy()[None])[0] for row in normalized])
    actions = {
        "network and action mapping (`act_with`, torch)": float(np.abs(torch_path - theirs).max()),
        "training rollout path (`SlotActor`, NumPy)": float(np.abs(numpy_path - theirs).max()),
    }
    # The evaluation path: their evaluate() acts with generator(best / range), ours predict() with G(best_return).
    best = 37.5
    policy.best_return.fill_(best)
    with th.no_grad():
        their_best = namespace["generator"](th.tensor([[best / scale]]))[0]
    their_eval = _their_actions(namespace, their_best, normalized)
    ours_eval, _ = model.predict(normalized.numpy(), deterministic=True)
    actions["evaluation path (`predict` with G(best), theirs `generator(best / range)`)"] = float(
        np.abs(ours_eval - their_eval).max()
    )
    their_probes = namespace["virtual_mlp"].forward(
        th.stack(list(namespace["ac"].v.probing_states)).detach(), params.unsqueeze(0)
    )[:, 0]
    with th.no_grad():
        our_probes = policy.evaluator.probing_actions(params.unsqueeze(0))[0]
    assert isinstance(model.action_space, spaces.Box)
    high = float(model.action_space.high[0])
    probing_difference = float((their_probes.detach() - high * our_probes).abs().max())
    probing_ratio = float(their_probes.detach().abs().sum() / our_probes.abs().sum())
    statistics, their_std_error = _compare_statistics(namespace, model, params, episodes, checkpoints)
    return ActionComparison(
        env_id,
        high,
        len(normalized),
        actions,
        probing_difference,
        probing_ratio,
        statistics,
        their_std_error,
    )


def _largest(values: np.ndarray) -> float:
    """:return: The value of largest magnitude, with its sign."""
    return float(values[np.argmax(np.abs(values))])


def _compare_statistics(
    namespace: dict[str, Any], model: GoGePo, params: th.Tensor, episodes: Sequence[np.ndarray], checkpoints: Sequence[int]
) -> tuple[dict[int, tuple[float, float, float, float]], dict[int, float]]:
    """
    Feed the same training observations to their ``Statistics`` (``push_obs`` at every step, as ``simulate_policy``
    does) and to our normaliser (``accumulate`` at every step, ``commit`` at every episode end, as ``learn`` does).
    """
    statistics = type(namespace["statistics"])(model.observation_space.shape)
    normalizer = model.policy.observation_normalizer
    ac, virtual_mlp = namespace["ac"], namespace["virtual_mlp"]
    results: dict[int, tuple[float, float, float, float]] = {}
    their_std_error: dict[int, float] = {}
    actor = SlotActor(model.policy, 1)
    actor.set_params([0], params.unsqueeze(0))
    for episode, rows in enumerate(episodes[: max(checkpoints) + 1]):
        k = episode  # episodes finished before this one
        if k in checkpoints:
            seen = np.concatenate(episodes[:k])
            their_std = np.asarray(statistics.std, dtype=np.float64)
            their_std_error[k] = _largest(their_std / seen.std(axis=0, ddof=1) - 1)
            std_difference = _largest(normalizer.std.double().numpy() / (their_std + 1e-8) - 1)
            observations = th.as_tensor(rows, dtype=th.float32)
            ours = np.stack([actor.act(row[None])[0] for row in rows])
            fixed = _their_actions(namespace, params, th.stack([statistics.normalize(o) for o in observations]).float())
            moving = []
        for observation in rows:
            observation_tensor = th.as_tensor(observation, dtype=th.float32)
            statistics.push_obs(observation_tensor)
            if k in checkpoints:
                with th.no_grad():
                    normalized = statistics.normalize(observation_tensor).float()
                    moving.append(ac.act(normalized, params, virtual_module=virtual_mlp)[0])
        normalizer.accumulate(rows)
        normalizer.commit()
        if k in checkpoints:
            moving_difference = np.abs(ours - np.stack(moving))
            results[k] = (
                std_difference,
                float(np.abs(ours - fixed).max()),
                float(moving_difference.max()),
                float(moving_difference.mean()),
            )
    return results, their_std_error


# ---------------------------------------------------------------------------------------------------- report


def _format(value: float) -> str:
    return f"{value:.2g}" if value != 0 else "0"


def _fingerprint_literal(numbers: dict[str, float]) -> str:
    lines = ["REFERENCE = {"]
    lines += [f'    "{name}": {value!r},' for name, value in numbers.items()]
    return "\n".join([*lines, "}"])


def summary(
    blocks: Sequence[BlockComparison], initial: Sequence[InitialStatistics], actions: Sequence[ActionComparison]
) -> list[str]:
    """:return: Markdown lines: the headline figures of the sections below, and the differences read in their code."""
    default, plain, symlog = VARIANTS

    def worst(row: str) -> tuple[float, float]:
        cells = [block.differences[row][group] for block in blocks for group in GROUPS]
        return max(cell[0] / cell[1] for cell in cells), max(cell[2] for cell in cells)

    (worst_ratio, worst_l2), (plain_ratio, plain_l2), (yardstick_ratio, yardstick_l2) = (
        worst(default),
        worst(plain),
        worst(REORDERED),
    )
    symlog_ratio = min(block.differences[symlog]["generator"][2] for block in blocks)
    std_gaps = []
    for item in initial:
        theirs, ours = item.stats["theirs (c / range)"], item.stats["ours, command_scale = range"]
        for layer in LAYER_NAMES:
            a, b = np.asarray(theirs[layer])[:, 1], np.asarray(ours[layer])[:, 1]
            spread = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / len(a))
            std_gaps.append((abs(a.mean() - b.mean()) / spread, item.env_id, layer))
    gap, gap_env, gap_layer = max(std_gaps)
    worst_action = max(value for item in actions for value in item.actions.values())
    swimmer = next(item for item in actions if item.env_id == "Swimmer-v3")
    first, later = min(swimmer.statistics), max(swimmer.statistics)
    return [
        "## Summary",
        "",
        f"- **One update block** (paper sizes, Swimmer and Hopper, generator and evaluator): ours differs from theirs "
        f"by at most {_format(worst_ratio)} of the largest update, and by at most {_format(worst_l2)} of the update in "
        f"L2 (with for-loop Adam: {_format(plain_ratio)} and {_format(plain_l2)}). Their "
        f"own code differs from itself by up to {_format(yardstick_ratio)} and {_format(yardstick_l2)} when only the "
        "order of the entries in each batch changes: the differences are float32 rounding. The same comparison gives "
        f"{symlog_ratio:.2g} (L2, generator) for our symlog "
        "default, a different computation: it tells them apart.",
        f"- **Generated weights of fresh generators**: per-layer std of theirs and ours agree within the seed-to-seed "
        f"spread ({len(initial[0].seeds)} seeds each; the largest gap is {gap:.2g} standard errors, {gap_env} {gap_layer}).",
        f"- **Actions for the same parameters**: at most {_format(worst_action)} apart (networks, action mapping, "
        "training and evaluation paths; Swimmer, Hopper, InvertedPendulum).",
        f"- **Observation statistics: when they change differs.** Theirs update at every step, within the episode being "
        f"run; ours at episode ends. On Swimmer during episode {first + 1}, the same policy's actions differ by "
        f"{_format(swimmer.statistics[first][3])} on average (at most {_format(swimmer.statistics[first][2])}); during "
        f"episode {later + 1}, by {_format(swimmer.statistics[later][3])} (at most "
        f"{_format(swimmer.statistics[later][2])}). Their running variance is also off: after one Swimmer episode their "
        f"std is {swimmer.their_std_error[first]:+.2g} (relative, the largest over the observation's components) from "
        "the sample std of the same observations.",
        "- Read in their code, not measured here: their first command is 1 (ours `initial_command=0`); while fewer "
        "than 16 policies are stored their batches hold one draw per stored policy (`min(batch_size, len(history))`), "
        "ours always 16 draws; their evaluation runs in the middle of a training episode and normalises with the "
        "statistics of that moment; their probing actions are `high * tanh` (the InvertedPendulum ratio of 3 below), "
        "ours `tanh`.",
        "",
    ]


def write_report(
    blocks: Sequence[BlockComparison],
    tiny: BlockComparison,
    initial: Sequence[InitialStatistics],
    actions: Sequence[ActionComparison],
    header: str,
) -> str:
    """:return: The markdown of ``faithfulness.md``."""
    lines = [
        "# Faithfulness to the authors' code",
        "",
        header,
        "",
        "The authors' code runs unchanged: their `core_gogepo` networks and their training script's own set-up "
        "(`--seed` given) build their generator, evaluator, optimizers and update function; gym is a shim over "
        "gymnasium (`benchmarks/authors_code.py`, v3 ids served by v4). Ours is configured to their update counts "
        f"(`n_evaluator_updates={N_EVALUATOR_UPDATES}`, `n_generator_updates={N_GENERATOR_UPDATES}`: their loops run "
        "`range(1, 5)` and `range(1, 20)`) and command scaling (`policy_kwargs=dict(command_scale=...)` = their "
        "`rew_max - rew_min`: Swimmer 465, Hopper 3100, InvertedPendulum 1000).",
        "",
        *summary(blocks, initial, actions),
        "## (a) One update block on identical weights and batches",
        "",
        "Our initial generator and evaluator weights are copied into theirs (tile embeddings transposed from their "
        "(input tile, output tile) order to ours; the other tensors are the same). The buffer holds entries as "
        "training makes them (returns drawn uniformly, parameters `G(r) + 0.1 noise`); the 4 + 19 batches of 16 are "
        "drawn once with their recency weights (`random.choices`, weights `1 / age^1.1`) and fed to both: theirs by "
        "replacing `buffer.sample_replay` on their buffer object, ours through a `PolicyBuffer` subclass whose "
        "`sample_indices` returns them. Then their `update()` and our `GoGePo.train()` run once. *Difference* is the "
        "largest |ours - theirs| over the group's parameters after the block, *update* the largest |their update|; "
        "their ratio is the figure to read (float32 rounding gives a small one; a different computation gives O(1)); "
        "the *L2 ratio* is |ours - theirs| / |their update| over the whole group; *G(c) after* compares the "
        "parameters generated after the block, relative to how much the block moved them. The first row is their "
        "code against itself: the same block with the entries of every batch in reverse order, which changes only the "
        "order of the sums, so it shows how large float32 rounding is in this computation (an update of 4e-5 to a "
        "weight of 0.1 is itself stored in steps of 7e-9).",
        "",
    ]
    for block in [*blocks, tiny]:
        title = "tiny setup of `tests/test_faithfulness.py`" if block is tiny else "paper sizes"
        lines += [
            f"### {block.env_id}, {title}: policy {block.sizes}, {block.n_entries} buffer entries",
            "",
            f"Before the block, with the copied weights: max |G_ours(c) - G_theirs(c / range)| = "
            f"{_format(block.initial_generated_difference)} (c = {TINY_COMMAND:g}), max |V_ours - V_theirs| on the "
            f"buffer = {_format(block.initial_value_difference)}.",
            "",
            "| against theirs | generator: difference / update | evaluator: difference / update | L2 ratio (gen, eval) "
            "| G(c) after: difference / update | mean losses (evaluator, generator) |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        their_losses = block.losses["theirs"]
        for variant, groups in block.differences.items():
            gen, ev = groups["generator"], groups["evaluator"]
            losses = block.losses[variant]
            lines.append(
                f"| {variant} | {_format(gen[0])} / {_format(gen[1])} = **{_format(gen[0] / gen[1])}** "
                f"| {_format(ev[0])} / {_format(ev[1])} = **{_format(ev[0] / ev[1])}** | {_format(gen[2])}, {_format(ev[2])} "
                f"| {_format(block.generated[variant])} | {losses['evaluator_loss']:.6g}, {losses['generator_loss']:.6g} |"
            )
        lines += [
            "",
            f"Their mean losses: evaluator {their_losses['evaluator_loss']:.6g}, generator "
            f"{their_losses['generator_loss']:.6g}. Seconds for the block (loaded machine): theirs "
            f"{block.seconds['theirs']:.2f}, ours {block.seconds[next(iter(VARIANTS))]:.2f}.",
            "",
        ]
    lines += [
        "The pinned numbers of the tiny setup (`tests/test_faithfulness.py` holds their values and checks ours against "
        "them; relative difference of ours):",
        "",
        "| number | theirs | ours | relative difference |",
        "| --- | --- | --- | --- |",
    ]
    for name, value in tiny.their_fingerprint.items():
        ours = tiny.our_fingerprint[name]
        lines.append(f"| {name} | {value:.9g} | {ours:.9g} | {_format(abs(ours - value) / abs(value))} |")
    lines += ["", "```python", _fingerprint_literal(tiny.their_fingerprint), "```", ""]
    lines += [
        "## (b) Generated weights of fresh generators",
        "",
        "Independent initialisations (their script's set-up with `--seed s`, ours `GoGePo(..., seed=s)`), the "
        "parameters generated for the same command; per layer the mean and the std of the generated weights "
        "and biases, averaged over the seeds (± the std across seeds).",
        "",
    ]
    for statistics in initial:
        sources = list(statistics.stats)
        lines += [
            f"### {statistics.env_id}, command {statistics.command:g}, seeds {statistics.seeds[0]}-{statistics.seeds[-1]}",
            "",
            "| layer | " + " | ".join(f"{source}: mean | {source}: std" for source in sources) + " |",
            "| --- |" + " --- | --- |" * len(sources),
        ]
        for layer in LAYER_NAMES:
            cells = []
            for source in sources:
                values = np.asarray(statistics.stats[source][layer])
                cells.append(f"{values[:, 0].mean():.2e} ± {values[:, 0].std():.1e}")
                cells.append(f"{values[:, 1].mean():.4f} ± {values[:, 1].std():.4f}")
            lines.append(f"| {layer} | " + " | ".join(cells) + " |")
        scale = AUTHORS_COMMAND_SCALE[statistics.env_id]
        symlog = math.copysign(math.log1p(abs(statistics.high_command)), statistics.high_command)
        lines += [
            "",
            f"How much the command moves a fresh generator's output: |G({statistics.high_command:g}) - "
            f"G({statistics.command:g})| / |G({statistics.command:g})| (L2 over all parameters, mean over seeds): "
            + ", ".join(f"{source} {np.mean(values):.2g}" for source, values in statistics.sensitivity.items())
            + f". The generator's command input at {statistics.high_command:g} is {statistics.high_command / scale:.3f} with "
            f"their scaling and {symlog:.2f} with symlog.",
            "",
        ]
    lines += [
        "## (c) Actions for the same parameters",
        "",
        "One flat parameter vector (`G(c) + 0.1 noise` from our generator) through their acting call (`ac.act` with "
        "their `VirtualMLPPolicy`: `high * tanh` of the output, one observation per call, as `simulate_policy` and "
        "`evaluate` call it) and through ours (`center + half_range * tanh`, with the half range shrunk by 4 float32 "
        "steps so that actions stay inside the bounds), on normalised observations of training-like episodes. The "
        "evaluation path generates the policy from the best return in each code (their `generator(best / range)`, our "
        "`predict`), with our generator weights copied into theirs.",
        "",
        "| env (action bound) | path | max abs difference of actions |",
        "| --- | --- | --- |",
    ]
    for item in actions:
        for path, value in item.actions.items():
            lines.append(f"| {item.env_id} (±{item.action_high:g}) | {path} | {_format(value)} |")
    lines += [
        "",
        "Probing actions (the evaluator's input): theirs are `high * tanh`, ours `tanh` (so the evaluator sees the same "
        "scale whatever the bounds); "
        + "; ".join(
            f"{item.env_id}: max |theirs - high * ours| = {_format(item.probing_difference)}, "
            f"sum |theirs| / sum |ours| = {item.probing_ratio:.4g}"
            for item in actions
        )
        + ".",
        "",
        "### Observation statistics",
        "",
        "The same training observations (episodes of `G(0) + 0.1 noise`) go to their `Statistics.push_obs` at every "
        "step and to our normaliser (accumulated at every step, committed at every episode end). Theirs normalise "
        "with `(obs - mean) / (std + 1e-8)` and update mean and std at every step, so within an episode their "
        "statistics include the episode's observations so far; ours change only at episode ends, with "
        "`(obs - mean) / sqrt(var + 1e-8)`. After k episodes:",
        "",
        "| env | k | their std / sample std (ddof 1) - 1 | our std / their std - 1 | max action difference, "
        "statistics after k episodes | during episode k + 1 (theirs updating per step): max, mean |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for item in actions:
        for k, (std_difference, fixed, moving_max, moving_mean) in item.statistics.items():
            lines.append(
                f"| {item.env_id} | {k} | {_format(item.their_std_error[k])} | {_format(std_difference)} | {_format(fixed)} "
                f"| {_format(moving_max)}, {_format(moving_mean)} |"
            )
    lines += [
        "",
        "Their running variance: `push_obs` keeps `last_mean = self.mean` and then updates `self.mean` in place, so "
        "`last_mean` is the new mean and each step adds `(x - new mean)^2` instead of Welford's "
        "`(x - old mean)(x - new mean)`; the first column measures what that does to their std against the sample std "
        "of the same observations (the relative difference of largest magnitude over the observation's components, "
        "with its sign; so is the second).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--authors-code", required=True, help="folder of a checkout of IDSIA/GoGePo")
    parser.add_argument("--seeds", type=int, default=5, help="fresh generators per environment in (b)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", default=os.fspath(RESULTS / "faithfulness.md"))
    args = parser.parse_args(argv)
    th.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    authors = check_authors_code(args.authors_code)
    install_gym_shim(0)

    blocks = [
        compare_update_block(authors, "Swimmer-v3", 64, (-40.0, 80.0), seed=0),
        compare_update_block(authors, "Hopper-v3", 64, (-100.0, 400.0), seed=0),
    ]
    tiny = compare_update_block(authors, TINY_ENV, TINY_ENTRIES, (-40.0, 80.0), seed=TINY_SEED, tiny=True)
    seeds = list(range(args.seeds))
    initial = [
        initial_statistics(authors, "Swimmer-v3", seeds, 0.0, 300.0),
        initial_statistics(authors, "Hopper-v3", seeds, 0.0, 2000.0),
    ]
    actions = [compare_actions(authors, env_id, seed=0) for env_id in ("Swimmer-v3", "Hopper-v3", "InvertedPendulum-v2")]
    command = "python -m benchmarks.faithfulness --authors-code " + " ".join(
        [args.authors_code, *(["--seeds", str(args.seeds)] if args.seeds != 5 else [])]
    )
    header = (
        f"Written by `{command}` at commit {commit()}, with the authors' IDSIA/GoGePo at commit "
        f"{authors_commit(authors)}; torch {th.__version__}, {args.threads} thread(s), on {time.strftime('%Y-%m-%d')}."
    )
    text = write_report(blocks, tiny, initial, actions, header)
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
