import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
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


@contextlib.contextmanager
def disk_full_after(path: Path, n_bytes: int) -> Iterator[None]:
    """
    Within the block, no file of this process may grow beyond ``path``'s size plus ``n_bytes`` (``RLIMIT_FSIZE``): a
    write past it stops there and raises ``OSError``, as on a full disk. POSIX only.
    """
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the signal kills the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(path) + n_bytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous_handler)
