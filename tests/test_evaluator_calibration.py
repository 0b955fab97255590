"""``benchmarks.evaluator_calibration``: a command error split into the generator's part and the evaluator's part."""

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch as th

from benchmarks import run as bench
from benchmarks.authors_generator import AuthorsGenerator
from benchmarks.evaluator_calibration import (
    BUFFER_FILE,
    CALIBRATION_FILE,
    buffer_calibration,
    calibration,
    render,
    split_errors,
)
from benchmarks.report import SWEEP_FILE
from sb3_gogepo import GoGePo
from sb3_gogepo.sweep_records import write_sweep_csv
from tests.test_benchmarks import tiny_spec


def test_the_command_error_splits_into_the_generators_miss_of_v_and_vs_miss_of_the_return() -> None:
    rows = [
        {"command": 0.0, "predicted": 10.0, "achieved": -30.0},
        {"command": 100.0, "predicted": 90.0, "achieved": 100.0},
    ]
    errors = split_errors(rows, width=200.0)
    assert errors == pytest.approx(
        {"command": (30 + 0) / 2 / 200, "generator": (10 + 10) / 2 / 200, "evaluator": (40 + 10) / 2 / 200}
    )


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny GoGePo run on MountainCarContinuous, with a command sweep of three commands."""
    spec = tiny_spec(tmp_path_factory.mktemp("results"), "gogepo")
    assert bench.run_one(spec) == "finished"
    sweep = [
        {"command": c, "mean_return": c, "mean_training_return": a} for c, a in ((-50.0, -40.0), (0.0, 5.0), (90.0, 60.0))
    ]
    write_sweep_csv(str(spec.run_dir / SWEEP_FILE), list(sweep[0]), sweep)
    return spec.run_dir


@pytest.fixture
def run_dir(tiny_run: Path, tmp_path: Path) -> Path:
    """A copy of the tiny run that a test may change."""
    copy = tmp_path / "run"
    shutil.copytree(tiny_run, copy)
    return copy


def test_each_sweep_command_gets_the_final_evaluators_prediction_for_the_final_generators_policy(
    run_dir: Path,
) -> None:
    rows = calibration(run_dir, None)
    policy = GoGePo.load(run_dir / "snapshots" / "model_100.zip", device="cpu").policy
    with th.no_grad():
        expected = policy.evaluator(policy.generate(th.tensor([-50.0, 0.0, 90.0]))).double().numpy()
    assert [row["command"] for row in rows] == [-50.0, 0.0, 90.0]
    assert [row["achieved"] for row in rows] == [-40.0, 5.0, 60.0]  # the sweep's training returns
    np.testing.assert_allclose([row["predicted"] for row in rows], expected, rtol=1e-5)
    # Cached: later calls read the file, even when the model is gone.
    assert (run_dir / CALIBRATION_FILE).is_file()
    shutil.rmtree(run_dir / "snapshots")
    shutil.rmtree(run_dir / "checkpoint", ignore_errors=True)
    assert calibration(run_dir, None) == [pytest.approx(row) for row in rows]
    # The report divides by the width of the paper's range (MountainCar: -100 to 100).
    assert f"| {np.mean([10, 5, 30]) / 200:.3f} |" in render([run_dir], [rows], [[]])


def test_a_run_without_a_sweep_or_a_model_gives_no_rows_and_no_cache(tiny_run: Path, run_dir: Path) -> None:
    (run_dir / SWEEP_FILE).unlink()
    assert calibration(run_dir, None) == [] and not (run_dir / CALIBRATION_FILE).exists()
    assert calibration(tiny_run, None, compute=False) == []  # no cache, nothing computed


def test_the_evaluators_error_on_its_buffer_is_grouped_by_age_newest_first(run_dir: Path) -> None:
    model = GoGePo.load(run_dir / "snapshots" / "model_100.zip", device="cpu")
    assert model.replay_buffer is not None
    generator = th.Generator().manual_seed(0)
    params = th.randn(150, model.policy.layout.n_params, generator=generator)
    returns = th.linspace(-100.0, 100.0, 150)  # oldest first
    model.replay_buffer.set_entries(params, returns)
    (run_dir / "checkpoint").mkdir(exist_ok=True)
    model.save_policy_buffer(run_dir / "checkpoint" / "policy_buffer.npz")
    rows = buffer_calibration(run_dir)
    with th.no_grad():
        errors = (model.policy.evaluator(params).double() - returns.double()).numpy()[::-1]  # newest first
    assert [(row["first_age"], row["last_age"]) for row in rows] == [(1, 100), (101, 150)]
    for row, part in zip(rows, (slice(0, 100), slice(100, 150)), strict=True):
        assert row["mean_return"] == pytest.approx(returns.numpy()[::-1][part].mean(), rel=1e-6)
        assert row["mean_error"] == pytest.approx(errors[part].mean(), rel=1e-5)
        assert row["mean_abs_error"] == pytest.approx(np.abs(errors[part]).mean(), rel=1e-5)
    assert (run_dir / BUFFER_FILE).is_file()
    assert [pytest.approx(row) for row in buffer_calibration(run_dir, compute=False)] == rows


def test_the_authors_prediction_is_their_evaluator_on_their_generators_flat_parameters() -> None:
    calls: list[tuple[Any, ...]] = []

    class Evaluator:
        def __call__(self, params: th.Tensor, use_virtual_module: bool, virtual_module: Any) -> th.Tensor:
            calls.append((tuple(params.shape), use_virtual_module, virtual_module))
            return params.sum(dim=1)

    class ActorCritic:
        v = Evaluator()

    snapshot = {"statistics": None, "generator": None, "ac": ActorCritic(), "virtual_mlp": "their virtual MLP"}
    generator = AuthorsGenerator(snapshot, {}, [2, 3, 1])
    assert generator.predicted_return(th.arange(13.0)) == pytest.approx(78.0)
    assert calls == [((1, 13), True, "their virtual MLP")]
