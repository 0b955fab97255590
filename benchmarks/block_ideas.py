"""
Ideas for a faster exact update block, each switched on and off in one process and timed in pairs.

    python -m benchmarks.block_ideas       # writes benchmarks/results/speed_ab/block_ideas.md

Each idea keeps the mathematics (float32, rounding-level differences only) and is switched on and off in one process on
one model with a full buffer; the two sides alternate pair by pair (A B, then B A) on the same batches, so that the
machine's drift slows both sides of a pair alike (as in ``benchmarks.block_ab``). Run it alone on the machine.

1. **oneDNN kernels** (in the package since they were timed here: ``sb3_gogepo.kernels``): the slice networks' large
   layers through oneDNN's inner product with the ReLU fused into it (forward and input gradient; MKL's ``addmm``
   otherwise), and the policies' ``tanh`` on the probing states as ``2 sigmoid(2x) - 1``; the other side runs
   within ``kernels.plain_operations()``.
2. **Command chunks** (not in the package): the generator step's loss is a sum over the batch's distinct commands, so
   its gradient can be accumulated over chunks of commands, each chunk's activations small enough to stay in cache.
"""

import argparse
import contextlib
import os
import statistics
from collections.abc import Callable

import numpy as np
import torch as th
import torch.nn.functional as F

from benchmarks.block_ab import alternate, ratio_interval
from benchmarks.speed import MODES, RESULTS, _commit, filled_model
from sb3_gogepo import GoGePo, kernels


def kernels_arms(model: GoGePo) -> dict[str, Callable[[], None]]:
    """:return: One update block with torch's plain operations, and one with the package's oneDNN kernels and tanh."""

    def block(fused: bool) -> None:
        with contextlib.nullcontext() if fused else kernels.plain_operations():
            model.train()

    return {"plain operations": lambda: block(False), "oneDNN kernels": lambda: block(True)}


def kernels_difference(model: GoGePo) -> float:
    """:return: The largest difference of the evaluator's predictions for generated policies, oneDNN kernels or not."""
    commands = th.linspace(-1.0, 1.0, 16)
    # With gradients recorded, as in the update block: without them kernels.linear runs MKL's product.
    fused = model._evaluate_generated(commands).detach()
    with kernels.plain_operations():
        plain = model._evaluate_generated(commands).detach()
    return (fused - plain).abs().max().item() / plain.abs().max().item()


def chunk_arms(model: GoGePo, chunk: int) -> dict[str, Callable[[], None]]:
    """:return: The block's generator steps as ``train`` makes them, and with the gradient accumulated over chunks."""
    assert model.policy_buffer is not None
    buffer, optimizer = model.policy_buffer, model.policy.generator_optimizer

    def generator_steps(chunked: bool) -> None:
        model.policy.evaluator.requires_grad_(False)
        try:
            for _ in range(model.n_generator_updates):
                commands = buffer.sample_returns(model.batch_size)
                distinct, inverse = th.unique(commands, return_inverse=True)
                optimizer.zero_grad(set_to_none=True)
                if not chunked:
                    F.mse_loss(model._evaluate_generated(distinct)[inverse].float(), commands).backward()
                else:
                    counts = th.bincount(inverse, minlength=len(distinct)).float()
                    for part in th.arange(len(distinct)).split(chunk):
                        errors = model._evaluate_generated(distinct[part]).float() - distinct[part]
                        (counts[part] * errors**2).sum().div(len(commands)).backward()
                optimizer.step()
        finally:
            model.policy.evaluator.requires_grad_(True)

    return {"whole batch": lambda: generator_steps(False), f"chunks of {chunk} commands": lambda: generator_steps(True)}


def paired_ratio(arms: dict[str, Callable[[], None]], pairs: int) -> tuple[str, ...]:
    """:return: Table cells: both sides' best and median seconds, the paired ratio with its interval, pairs faster."""
    plain, idea = (np.array(values) for values in alternate(arms, pairs).values())
    ratio, low, high = ratio_interval(idea, plain)
    return (
        list(arms)[1],
        f"{plain.min():.3f} / {statistics.median(plain):.3f}",
        f"{idea.min():.3f} / {statistics.median(idea):.3f}",
        f"{ratio:.3f} ({low:.3f}-{high:.3f})",
        f"{int((idea < plain).sum())} / {pairs}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=4, help="commands per chunk")
    parser.add_argument("--output", default=os.path.join(RESULTS, "speed_ab", "block_ideas.md"))
    args = parser.parse_args()
    th.set_num_threads(args.threads)
    model = filled_model(MODES["exact (float32, paper)"], "cpu", 10_000)
    difference = kernels_difference(model)
    rows = [paired_ratio(kernels_arms(model), args.pairs), paired_ratio(chunk_arms(model, args.chunk), args.pairs)]
    lines = [
        f"Exact mode; {args.pairs} pairs, {args.threads} torch threads, torch {th.__version__}. Written by "
        f"`python -m benchmarks.block_ideas --pairs {args.pairs} --threads {args.threads} --chunk {args.chunk}` at "
        f"commit {_commit()}. Timed: the whole update block for the kernels, the block's 20 generator steps for the "
        "chunks (seconds, best / median); ratio: geometric mean of the pairs' with / without times, with its 95% "
        "bootstrap interval.",
        "",
        "| idea | without it (s) | with it (s) | paired ratio | pairs faster |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
        "",
        f"Same mathematics: with the oneDNN kernels, the evaluator's predictions for 16 generated policies differ by at "
        f"most {difference:.1e} of their largest magnitude.",
    ]
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as file:
        file.write(text)
    print(text)


if __name__ == "__main__":
    main()
