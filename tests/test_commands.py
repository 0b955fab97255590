import math

import pytest
import torch as th

from sb3_gogepo.commands import next_command, normalize_commands, symlog


def test_first_command_is_the_initial_command() -> None:
    assert next_command(-math.inf, drive=20.0) == 0.0
    assert next_command(-math.inf, drive=20.0, initial_command=5.0) == 5.0


def test_command_asks_for_drive_more_than_the_best_return() -> None:
    assert next_command(100.0, drive=20.0) == 120.0
    assert next_command(-50.0, drive=0.0) == -50.0


def test_symlog_is_odd_monotone_and_compresses_large_returns() -> None:
    x = th.tensor([-3000.0, -10.0, -1.0, 0.0, 1.0, 10.0, 3000.0])
    y = symlog(x)
    th.testing.assert_close(y, -symlog(-x))
    assert (y[1:] > y[:-1]).all()
    assert y.abs().max() < 8.1
    assert symlog(th.tensor(0.0)) == 0.0


@pytest.mark.parametrize("low, high", [(2000.0, 2500.0), (300.0, 340.0), (-100.0, -60.0)])
def test_default_normalisation_needs_no_environment_constant(low: float, high: float) -> None:
    a, b = normalize_commands(th.tensor([low, high]))
    assert 0.05 < (b - a).item() < 1.0  # distinguishable, without any return range given


def test_a_command_scale_reproduces_the_authors_division() -> None:
    th.testing.assert_close(normalize_commands(th.tensor([310.0]), command_scale=3100.0), th.tensor([0.1]))
