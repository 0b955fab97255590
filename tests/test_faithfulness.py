"""
One update block of ours against numbers recorded from the authors' code (IDSIA/GoGePo at 7905a67).

``python -m benchmarks.faithfulness --authors-code PATH`` ran their update block (their ``update()``, 4 evaluator and
19 generator steps) on the tiny setup of :mod:`benchmarks.faithfulness`: our initial weights (seed 0) copied into
their networks, the same buffer, the same batches. ``REFERENCE`` holds their numbers from that run, as
``benchmarks/results/faithfulness.md`` lists them; ours matched them to 6e-6 (relative) there. Their code is not
needed here.
"""

from typing import Any

import pytest

from benchmarks.faithfulness import N_EVALUATOR_UPDATES, N_GENERATOR_UPDATES, tiny_block_fingerprint

REFERENCE = {
    "norm generator.embeddings": 0.00030147002129957655,
    "norm generator.weight_networks.input": 0.0020467947613186984,
    "norm generator.weight_networks.hidden": 0.003325763233955137,
    "norm generator.weight_networks.output": 0.0010540538396991773,
    "norm generator.bias_networks.input": 0.0008734997058633065,
    "norm generator.bias_networks.hidden": 0.0010402197607156088,
    "norm generator.bias_networks.output": 0.0006057346385508633,
    "norm evaluator.probing_states": 0.14065654639888867,
    "norm evaluator.value_net": 0.41331862942645153,
    "projection generator": -0.001531234679710474,
    "projection evaluator": -0.45010837512549495,
    "norm generated change": 0.0053491102166886165,
    "mean evaluator_loss": 1257.4194946289062,
    "mean generator_loss": 1707.4380043431331,
}
#: float32 rounding moved ours from theirs by at most 6e-6 of a number; a changed block moves them by far more.
RELATIVE_TOLERANCE = 1e-4


def mismatches(numbers: dict[str, float]) -> dict[str, float]:
    """:return: The numbers that differ from the reference by more than the tolerance, with their relative difference."""
    assert numbers.keys() == REFERENCE.keys()
    relative = {name: abs(numbers[name] - value) / abs(value) for name, value in REFERENCE.items()}
    return {name: value for name, value in relative.items() if value > RELATIVE_TOLERANCE}


def test_update_block_matches_the_authors() -> None:
    assert mismatches(tiny_block_fingerprint()) == {}


@pytest.mark.parametrize(
    "change",
    [
        dict(learning_rate=2.02e-6),
        dict(evaluator_learning_rate=5.05e-3),
        dict(n_generator_updates=N_GENERATOR_UPDATES + 1),
        dict(n_evaluator_updates=N_EVALUATOR_UPDATES + 1),
    ],
)
def test_a_changed_update_block_is_caught(change: dict[str, Any]) -> None:
    assert mismatches(tiny_block_fingerprint(change)) != {}
