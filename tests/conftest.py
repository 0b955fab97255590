from typing import Any

import pytest
import torch as th

#: Tiny networks so that API tests run in well under a second per thousand steps.
SMALL_POLICY = dict(
    net_arch=[8],
    hypernetwork_net_arch=[16],
    evaluator_net_arch=[16],
    n_probing_states=8,
    slice_size=4,
    embedding_dim=4,
)


def small_kwargs(**overrides: Any) -> dict[str, Any]:
    """Constructor keywords of a tiny GoGePo that trains fast."""
    kwargs: dict[str, Any] = dict(policy_kwargs=dict(SMALL_POLICY), batch_size=4, n_evaluator_updates=2, n_generator_updates=2)
    kwargs.update(overrides)
    return kwargs


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    th.set_num_threads(1)
