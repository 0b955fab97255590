"""Tests of the benchmark runner and report (tiny budgets and networks)."""

import csv
import dataclasses
import itertools
import json
import math
import os
import re
import shutil
import socket
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch as th

from benchmarks import run as bench

MOUNTAIN_CAR = "MountainCarContinuous-v0"
TINY: dict[str, dict[str, Any]] = {
    "gogepo": {
        "policy_kwargs": "dict(net_arch=[8], hypernetwork_net_arch=[16], evaluator_net_arch=[16], n_probing_states=8, "
        "slice_size=4, embedding_dim=4)",
        "n_generator_updates": 2,
        "n_evaluator_updates": 2,
    },
    "ars": {"policy_kwargs": "dict(net_arch=[8])"},
    "ddpg": {"policy_kwargs": "dict(net_arch=[8])", "random_start_steps": 300, "learning_starts": 100, "gradient_steps": 5},
}


def tiny_spec(tmp_path: Path, algo: str, budget: int = 3000, **overrides: Any) -> bench.RunSpec:
    fields: dict[str, Any] = dict(
        algo=algo,
        env_id=MOUNTAIN_CAR,
        seed=0,
        budget=budget,
        budget_name=str(budget),
        eval_freq=1000,
        n_eval_episodes=1,
        results_dir=tmp_path,
        hyperparams=dict(TINY[algo]),
    )
    fields.update(overrides)
    return bench.RunSpec(**fields)


def stop_after_evaluations(monkeypatch: pytest.MonkeyPatch, n_rows: int) -> Any:
    """Make runs ask to stop (as SIGTERM would) once they have ``n_rows`` evaluations; :return: the real evaluate."""
    evaluate = bench._Runner.evaluate

    def evaluate_then_interrupt(runner: bench._Runner) -> None:
        evaluate(runner)
        if len(runner.rows) == n_rows:
            bench._StopFlag.requested = True

    monkeypatch.setattr(bench._Runner, "evaluate", evaluate_then_interrupt)
    return evaluate


@pytest.fixture(autouse=True)
def _no_stop_request() -> Any:
    bench._StopFlag.requested = False
    yield
    bench._StopFlag.requested = False


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames or []), list(reader)


@pytest.mark.parametrize("algo", bench.ALGOS)
def test_run_writes_csv_and_metadata(tmp_path: Path, algo: str) -> None:
    spec = tiny_spec(tmp_path, algo)
    assert bench.run_one(spec) == "finished"
    columns, rows = read_csv(spec.run_dir / bench.CSV_FILE)
    assert columns == list(bench.CSV_COLUMNS)
    assert [int(row["timesteps"]) for row in rows] == [1000, 2000, 3000]
    assert all(np.isfinite(float(row[column])) for row in rows for column in columns)
    walls = [float(row["wall_clock_s"]) for row in rows]
    assert walls == sorted(walls)
    meta = json.loads((spec.run_dir / bench.META_FILE).read_text())
    assert meta["finished"] is True
    assert meta["budget"] == 3000 and meta["eval_freq"] == 1000 and meta["n_eval_episodes"] == 1
    assert meta["final_return"] == pytest.approx(np.mean([float(row["mean_return"]) for row in rows]))
    assert meta["wall_clock_s"] > 0 and "torch" in meta["versions"] and "stable_baselines3" in meta["versions"]
    # Evaluations and checkpoints are timed apart, so the training wall-clock is their difference.
    assert 0 < meta["eval_wall_clock_s"] + meta["checkpoint_wall_clock_s"] < meta["wall_clock_s"]
    assert meta["checkpoint_wall_clock_s"] >= 0 and meta["threads"] == 1
    assert meta["device"] == "cpu" and meta["devices"] == ["cpu"]
    assert (spec.run_dir / "checkpoint" / "model.zip").is_file()
    if algo == "gogepo":
        assert sorted(path.name for path in (spec.run_dir / "snapshots").iterdir()) == [
            "model_100.zip",
            "model_25.zip",
            "model_50.zip",
            "model_75.zip",
        ]
        assert (spec.run_dir / "checkpoint" / "policy_buffer.npz").is_file()
    if algo == "ars":  # the zoo's VecNormalize statistics are checkpointed
        assert (spec.run_dir / "checkpoint" / MOUNTAIN_CAR / "vecnormalize.pkl").is_file()


def test_finished_run_is_skipped(tmp_path: Path) -> None:
    spec = tiny_spec(tmp_path, "gogepo", budget=1000)
    assert bench.run_one(spec) == "finished"
    # GoGePo's buffer is saved once, although the model answers to SB3's replay-buffer names too.
    assert {path.name for path in (spec.run_dir / "checkpoint").iterdir()} == {"model.zip", "policy_buffer.npz", "state.json"}
    before = (spec.run_dir / bench.CSV_FILE).read_text()
    assert bench.run_one(spec) == "skipped"
    assert (spec.run_dir / bench.CSV_FILE).read_text() == before


@pytest.mark.parametrize("algo", bench.ALGOS)
def test_interrupted_run_resumes_from_checkpoint(tmp_path: Path, algo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tiny_spec(tmp_path, algo, budget=4000)
    evaluate = stop_after_evaluations(monkeypatch, 2)
    assert bench.run_one(spec) == "stopped"
    state = json.loads((spec.run_dir / "checkpoint" / "state.json").read_text())
    assert 2000 <= state["timesteps"] < 3000 and state["n_rows"] == 2
    assert not json.loads((spec.run_dir / bench.META_FILE).read_text())["finished"]

    monkeypatch.setattr(bench._Runner, "evaluate", evaluate)
    bench._StopFlag.requested = False
    assert bench.run_one(spec) == "finished"
    _, rows = read_csv(spec.run_dir / bench.CSV_FILE)
    assert [int(row["timesteps"]) for row in rows] == [1000, 2000, 3000, 4000]
    walls = [float(row["wall_clock_s"]) for row in rows]
    assert walls == sorted(walls)  # the wall-clock goes on from the checkpoint's
    meta = json.loads((spec.run_dir / bench.META_FILE).read_text())
    assert meta["finished"] and meta["resumes"] == 1 and meta["timesteps"] >= 4000


def test_a_run_resumed_on_another_device_records_the_devices_of_both_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tiny_spec(tmp_path, "ars", budget=3000)
    evaluate = stop_after_evaluations(monkeypatch, 2)
    with monkeypatch.context() as patch:
        patch.setattr(bench, "device_name", lambda device: "cuda:0 (a GPU)")  # the first part ran on another machine
        assert bench.run_one(spec) == "stopped"
    assert json.loads((spec.run_dir / bench.META_FILE).read_text())["devices"] == ["cuda:0 (a GPU)"]

    monkeypatch.setattr(bench._Runner, "evaluate", evaluate)
    bench._StopFlag.requested = False
    assert bench.run_one(spec) == "finished"
    meta = json.loads((spec.run_dir / bench.META_FILE).read_text())
    assert meta["device"] == "cpu" and meta["devices"] == ["cuda:0 (a GPU)", "cpu"]


def test_a_run_whose_checkpoint_is_lost_starts_again_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tiny_spec(tmp_path, "gogepo", budget=3000)
    evaluate = stop_after_evaluations(monkeypatch, 2)
    with monkeypatch.context() as patch:
        patch.setattr(bench, "device_name", lambda device: "cuda:0 (a GPU)")
        assert bench.run_one(spec) == "stopped"
    stopped_at = json.loads((spec.run_dir / bench.META_FILE).read_text())["timesteps"]
    shutil.rmtree(spec.run_dir / "checkpoint")  # only the committed files came to the new machine

    seen_while_running: list[dict[str, Any]] = []

    def evaluate_and_read_meta(runner: bench._Runner) -> None:
        seen_while_running.append(json.loads((spec.run_dir / bench.META_FILE).read_text()))
        evaluate(runner)

    monkeypatch.setattr(bench._Runner, "evaluate", evaluate_and_read_meta)
    bench._StopFlag.requested = False
    assert bench.run_one(spec) == "finished"
    _, rows = read_csv(spec.run_dir / bench.CSV_FILE)
    assert [int(row["timesteps"]) for row in rows] == [1000, 2000, 3000]
    # While the new attempt runs, run.json does not claim the lost attempt's steps.
    assert "timesteps" not in seen_while_running[0] and "wall_clock_s" not in seen_while_running[0]
    meta = json.loads((spec.run_dir / bench.META_FILE).read_text())
    assert meta["finished"] and meta["resumes"] == 0
    assert meta["restarts"] == 1 and meta["restarted_at_timesteps"] == [stopped_at] and stopped_at >= 2000
    assert meta["devices"] == ["cpu"]  # every step is the new attempt's


def stopped_with_its_checkpoint_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[bench.RunSpec, Callable[[bench._Runner], None]]:
    """A GoGePo run stopped after two evaluations whose checkpoint stayed on a lost machine, and its evaluation."""
    spec = tiny_spec(tmp_path, "gogepo", budget=3000)
    evaluate = stop_after_evaluations(monkeypatch, 2)
    assert bench.run_one(spec) == "stopped"
    shutil.rmtree(spec.run_dir / "checkpoint")
    bench._StopFlag.requested = False
    return spec, evaluate


def test_a_run_that_starts_again_drops_the_report_caches_of_its_lost_attempt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, evaluate = stopped_with_its_checkpoint_lost(tmp_path, monkeypatch)
    # Caches the reports made from the lost attempt's snapshots and model (made on its machine, then committed).
    for cache in ("noise_robustness.csv", "command_sweep.csv", "frontier.csv", "policy_map.npz", "seen_range_sweep.csv"):
        (spec.run_dir / cache).write_text("from the lost attempt")
    (spec.run_dir / "snapshots").mkdir(exist_ok=True)
    (spec.run_dir / "snapshots" / "model_75.zip").write_text("from the lost attempt")

    def evaluate_and_list(runner: bench._Runner) -> None:
        listed.append(sorted(path.name for path in spec.run_dir.iterdir()))
        evaluate(runner)

    listed: list[list[str]] = []
    monkeypatch.setattr(bench._Runner, "evaluate", evaluate_and_list)
    assert bench.run_one(spec) == "finished"
    # While the new attempt runs, nothing of the lost one is left to be reported as if it were the new one's.
    assert not {"noise_robustness.csv", "command_sweep.csv", "frontier.csv", "policy_map.npz"} & set(listed[0])
    assert {"run.json", "lock"} <= set(listed[0])
    assert not (spec.run_dir / "seen_range_sweep.csv").exists()
    assert (spec.run_dir / "snapshots" / "model_75.zip").read_bytes() != b"from the lost attempt"  # the new one's


def test_a_run_killed_without_a_stop_and_then_lost_counts_its_restart_from_its_evaluations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, evaluate = stopped_with_its_checkpoint_lost(tmp_path, monkeypatch)
    # A killed attempt (SIGKILL, a lost machine) never wrote how far it got into run.json; its evaluations did.
    meta = json.loads((spec.run_dir / bench.META_FILE).read_text())
    bench.write_json(spec.run_dir / bench.META_FILE, {k: v for k, v in meta.items() if k not in ("timesteps", "wall_clock_s")})
    monkeypatch.setattr(bench._Runner, "evaluate", evaluate)
    assert bench.run_one(spec) == "finished"
    meta = json.loads((spec.run_dir / bench.META_FILE).read_text())
    assert meta["restarts"] == 1 and meta["restarted_at_timesteps"] == [2000]


def test_a_resumed_ars_run_steps_from_its_trained_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tiny_spec(tmp_path, "ars", budget=4000)
    stop_after_evaluations(monkeypatch, 3)
    assert bench.run_one(spec) == "stopped"
    manager = bench.make_manager(spec, spec.seed, str(spec.run_dir / "checkpoint" / "model.zip"))
    model, _ = manager.setup_experiment()
    trained = th.nn.utils.parameters_to_vector(model.policy.parameters()).detach()
    assert model._n_updates > 0 and th.equal(model.weights, trained)  # ARS's next step starts from these weights


def test_a_run_folder_is_not_resumed_or_reported_with_other_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tiny_spec(tmp_path, "gogepo", budget=2000)
    monkeypatch.setattr(bench._Runner, "evaluate", lambda runner: setattr(bench._StopFlag, "requested", True))
    assert bench.run_one(spec) == "stopped"
    other = tiny_spec(tmp_path, "gogepo", budget=2000)
    other.hyperparams["n_generator_updates"] = 7  # the folder does not name the overrides: same folder
    assert other.run_dir == spec.run_dir
    with pytest.raises(ValueError, match="holds a run with overrides"):
        bench.run_one(other)
    bench._StopFlag.requested = False
    monkeypatch.undo()
    assert bench.run_one(spec) == "finished"
    with pytest.raises(ValueError, match="holds a run with overrides"):
        bench.run_one(other)  # nor skipped as if it were that run
    # An override that restates the YAML entry is none: the run of older code that needed it is this run.
    restated = tiny_spec(tmp_path, "gogepo", budget=2000)
    restated.hyperparams["learning_rate"] = bench.yaml_entry("gogepo", MOUNTAIN_CAR)["learning_rate"]
    assert bench.run_one(restated) == "skipped"


def test_a_run_folder_is_not_resumed_or_reported_with_another_evaluation_protocol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before, the resumed part's rows came at the new interval with the new episode count, and run.json named only those.
    spec = tiny_spec(tmp_path, "gogepo", budget=2000)
    monkeypatch.setattr(bench._Runner, "evaluate", lambda runner: setattr(bench._StopFlag, "requested", True))
    assert bench.run_one(spec) == "stopped"
    bench._StopFlag.requested = False
    with pytest.raises(ValueError, match="evaluated with --eval-freq"):
        bench.run_one(dataclasses.replace(spec, eval_freq=spec.eval_freq * 2))
    with pytest.raises(ValueError, match="evaluated with --n-eval-episodes"):
        bench.run_one(dataclasses.replace(spec, n_eval_episodes=spec.n_eval_episodes + 1))


def test_a_resumed_run_reports_where_its_checkpoint_stands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tiny_spec(tmp_path, "gogepo", budget=3000)
    monkeypatch.setattr(bench._Runner, "evaluate", lambda runner: setattr(bench._StopFlag, "requested", True))
    assert bench.run_one(spec) == "stopped"
    # As if the process had gone on to a later periodic checkpoint and then been killed without a word.
    state_path = spec.run_dir / "checkpoint" / "state.json"
    bench.write_json(state_path, {**json.loads(state_path.read_text()), "timesteps": 2500, "wall_clock_s": 1234.5})
    bench._StopFlag.requested = False

    def crash(*args: Any) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(bench, "_Runner", crash)
    with pytest.raises(RuntimeError):
        bench.run_one(spec)
    meta = json.loads((spec.run_dir / bench.META_FILE).read_text())
    assert (meta["timesteps"], meta["wall_clock_s"]) == (2500, 1234.5)


class _Killed(BaseException):
    """The process dies here (nothing after this point runs, no handler cleans up)."""


def _killed_at(point: int, calls: Callable[[], int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Kill the process at the ``point``-th file replacement or folder removal from now."""

    def killable(function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if calls() == point:
                raise _Killed
            return function(*args, **kwargs)

        return call

    monkeypatch.setattr(os, "replace", killable(os.replace))
    monkeypatch.setattr(shutil, "rmtree", killable(shutil.rmtree))


def _checkpoint_killed_at(runner: bench._Runner, timesteps: int, point: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """:return: The number of file replacements and folder removals the checkpoint made (it is killed at ``point``)."""
    runner.model.num_timesteps = timesteps
    counter = itertools.count()
    with monkeypatch.context() as patch:
        _killed_at(point, lambda: next(counter), patch)
        try:
            runner.checkpoint()
        except _Killed:
            pass
    return next(counter)


def _resumable_timesteps(folder: Path) -> int:
    """:return: The steps of the checkpoint a resumed run would start from, once its files are checked whole."""
    checkpoint = bench._latest_checkpoint(folder)
    assert checkpoint is not None, sorted(path.name for path in folder.iterdir())
    with zipfile.ZipFile(checkpoint / "model.zip") as archive:
        assert archive.testzip() is None
    with np.load(checkpoint / "policy_buffer.npz") as buffer:
        assert len(buffer["returns"]) == len(buffer["params"])
    return int(json.loads((checkpoint / "state.json").read_text())["timesteps"])


def test_checkpoints_killed_at_any_point_leave_a_whole_one_to_resume_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sb3_gogepo import GoGePo
    from tests.conftest import small_kwargs

    monkeypatch.setattr(os, "fsync", lambda descriptor: None)  # what a power cut would lose is not tested here: faster
    spec = tiny_spec(tmp_path / "results", "gogepo")
    model = GoGePo(MOUNTAIN_CAR, **small_kwargs(), seed=0)
    runner = bench._Runner(spec, model, manager=None, eval_env=None, state={}, rows=[])
    spec.run_dir.mkdir(parents=True)
    _checkpoint_killed_at(runner, 1, -1, monkeypatch)  # a whole checkpoint at step 1, then one with a predecessor
    n_points = _checkpoint_killed_at(runner, 1, -1, monkeypatch)
    first_checkpoint = tmp_path / "first_checkpoint"
    shutil.copytree(spec.run_dir, first_checkpoint)
    # Two checkpoints in a row, each killed at any point (or not killed): the second finds the first's leftovers.
    for first, second in itertools.product(range(n_points), range(n_points + 1)):
        shutil.rmtree(spec.run_dir)
        shutil.copytree(first_checkpoint, spec.run_dir)
        _checkpoint_killed_at(runner, 2, first, monkeypatch)
        after_first = _resumable_timesteps(spec.run_dir)
        assert after_first in (1, 2)
        _checkpoint_killed_at(runner, 3, second, monkeypatch)
        assert _resumable_timesteps(spec.run_dir) in ({after_first, 3} if second < n_points else {3}), (first, second)


def test_a_half_written_last_row_is_dropped_and_a_broken_row_before_it_is_named(tmp_path: Path) -> None:
    path = tmp_path / bench.CSV_FILE
    rows = [
        {"timesteps": step, "mean_return": 1.0, "std_return": 0.5, "wall_clock_s": 2.0, "eval_wall_clock_s": 1.0}
        for step in (1000, 2000)
    ]
    bench.write_rows(path, rows)
    whole = path.read_text()
    path.write_text(whole + "3000,1.5,0.")  # killed while appending the third row
    assert bench.read_rows(path) == rows
    path.write_text(whole.replace("2000,1.0", "2000,") + "3000,1.0,0.5,2.0,1.0\r\n")  # a row with a field missing
    with pytest.raises(ValueError, match=rf"{bench.CSV_FILE}, line 3"):
        bench.read_rows(path)


def test_a_lock_of_another_host_is_its_owners_while_its_heartbeat_is_fresh(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "lock").write_text("another-node 1234 5678")  # a shared results folder: a run on another machine
    with bench.run_lock(folder) as acquired:
        assert not acquired
    stale = time.time() - bench.LOCK_STALE_S - 1
    os.utime(folder / "lock", (stale, stale))  # its owner stopped beating: killed with its machine
    with bench.run_lock(folder) as acquired:
        assert acquired and (folder / "lock").read_text().split()[:2] == [socket.gethostname(), str(os.getpid())]


def test_a_held_lock_beats_until_it_is_released(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "LOCK_HEARTBEAT_S", 0.01)
    folder = tmp_path / "run"
    with bench.run_lock(folder) as acquired:
        assert acquired
        os.utime(folder / "lock", (0, 0))
        deadline = time.monotonic() + 10
        while (folder / "lock").stat().st_mtime == 0:
            assert time.monotonic() < deadline, "the heartbeat did not refresh the lock"
            time.sleep(0.01)
    assert not (folder / "lock").exists()
    assert not [thread for thread in threading.enumerate() if thread.name == "run-lock-heartbeat"]


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="process start times are read from /proc (Linux)")
def test_a_stale_lock_whose_pid_another_process_now_has_is_taken_over(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = tmp_path / "run"
    with bench.run_lock(folder) as acquired:
        assert acquired
        with bench.run_lock(folder) as again:
            assert not again  # held by a live process (this one)
        left_behind = (folder / "lock").read_text()
    # A run killed with its lock held, whose PID the system later gave to another process.
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        fields = left_behind.split()
        fields[1] = str(other.pid)
        (folder / "lock").write_text(" ".join(fields))
        with bench.run_lock(folder) as acquired:
            assert acquired
    finally:
        other.kill()
        other.wait()


def test_a_lock_appears_with_its_content_and_leaves_no_files_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "run"
    seen_at_creation: list[str] = []
    link = os.link

    def link_and_read(source: Any, target: Any) -> None:
        link(source, target)
        seen_at_creation.append(Path(target).read_text())

    monkeypatch.setattr(os, "link", link_and_read)
    with bench.run_lock(folder) as acquired:
        assert acquired and (folder / "lock").read_text().split()[1] == str(os.getpid())
    assert seen_at_creation[0].split()[:2] == [socket.gethostname(), str(os.getpid())]
    assert list(folder.iterdir()) == []


def test_of_two_processes_taking_over_one_stale_lock_the_later_leaves_the_first_ones_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "lock").write_text(f"{socket.gethostname()} 999999999 -")  # left by a killed run
    live = f"{socket.gethostname()} {os.getpid()} -"
    remove_stale_lock = bench._remove_stale_lock

    def first_process_takes_it_over_meanwhile(lock: Path, stale: str, aside: Path) -> bool:
        lock.unlink()
        lock.write_text(live)  # the other process removed the stale lock and made its own
        return remove_stale_lock(lock, stale, aside)

    monkeypatch.setattr(bench, "_remove_stale_lock", first_process_takes_it_over_meanwhile)
    with bench.run_lock(folder) as acquired:
        assert not acquired
    assert (folder / "lock").read_text() == live
    assert [path.name for path in folder.iterdir()] == ["lock"]


def test_an_evaluation_row_that_fails_to_write_halfway_leaves_the_csv_whole(tmp_path: Path) -> None:
    from stable_baselines3.common.env_util import make_vec_env

    from sb3_gogepo import GoGePo
    from tests.conftest import disk_full_after, small_kwargs

    spec = tiny_spec(tmp_path, "gogepo")
    spec.run_dir.mkdir(parents=True)
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0)
    runner = bench._Runner(spec, model, manager=None, eval_env=make_vec_env("Pendulum-v1"), state={}, rows=[])
    runner.evaluate()
    before = (spec.run_dir / bench.CSV_FILE).read_bytes()
    with pytest.raises(OSError), disk_full_after(spec.run_dir / bench.CSV_FILE, 20):  # less than a row
        runner.evaluate()
    assert (spec.run_dir / bench.CSV_FILE).read_bytes() == before


def test_resume_drops_rows_after_the_checkpoint(tmp_path: Path) -> None:
    spec = tiny_spec(tmp_path, "gogepo", budget=2000)
    assert bench.run_one(spec) == "finished"
    # Pretend the run died after its first checkpoint: rows written later must be recomputed, not duplicated.
    state_path = spec.run_dir / "checkpoint" / "state.json"
    state = json.loads(state_path.read_text())
    meta = json.loads((spec.run_dir / bench.META_FILE).read_text())
    meta["finished"] = False
    bench.write_json(spec.run_dir / bench.META_FILE, meta)
    state.update(n_rows=1)
    bench.write_json(state_path, state)
    assert bench.run_one(spec) == "finished"
    _, rows = read_csv(spec.run_dir / bench.CSV_FILE)
    assert [int(row["timesteps"]) for row in rows] == [1000]  # the checkpoint was taken at 2000 steps


def test_a_finished_run_grows_into_a_larger_budget_from_its_last_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = tiny_spec(tmp_path, "gogepo", budget=2000)
    with monkeypatch.context() as patch:
        patch.setattr(bench, "device_name", lambda device: "cuda:0 (a GPU)")  # the small run ran on another machine
        assert bench.run_one(small) == "finished"
    large = tiny_spec(tmp_path, "gogepo", budget=4000, extend_from=2000)
    assert bench.run_one(large) == "finished"
    _, rows = read_csv(large.run_dir / bench.CSV_FILE)
    _, small_rows = read_csv(small.run_dir / bench.CSV_FILE)
    assert [int(row["timesteps"]) for row in rows] == [1000, 2000, 3000, 4000]
    assert rows[:2] == small_rows  # the first part is the small run's, not a new one
    meta = json.loads((large.run_dir / bench.META_FILE).read_text())
    assert meta["finished"] and meta["resumes"] == 1 and meta["extended_from"] == {"budget": 2000, "timesteps": 2000}
    assert meta["devices"] == ["cuda:0 (a GPU)", "cpu"]  # the first part's device, then this one's
    assert {path.name for path in (large.run_dir / "snapshots").iterdir()} == {f"model_{p}.zip" for p in (25, 50, 75, 100)}
    monitors = sorted((large.run_dir / "work").rglob("*.monitor.csv"))
    assert len(monitors) == 2  # the small run's episodes, then the new ones
    assert json.loads((small.run_dir / bench.META_FILE).read_text())["budget"] == 2000  # the small run is untouched


def test_an_extended_run_started_again_no_longer_claims_its_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert bench.run_one(tiny_spec(tmp_path, "gogepo", budget=2000)) == "finished"
    large = tiny_spec(tmp_path, "gogepo", budget=4000, extend_from=2000)
    evaluate = stop_after_evaluations(monkeypatch, 3)  # the first two rows are the small run's
    assert bench.run_one(large) == "stopped"
    shutil.rmtree(large.run_dir / "checkpoint")  # a new machine: only the committed files came

    monkeypatch.setattr(bench._Runner, "evaluate", evaluate)
    bench._StopFlag.requested = False
    assert bench.run_one(dataclasses.replace(large, extend_from=0)) == "finished"
    meta = json.loads((large.run_dir / bench.META_FILE).read_text())
    assert meta["restarts"] == 1 and meta["restarted_at_timesteps"] == [3000]
    assert "extended_from" not in meta  # all 4000 steps are this attempt's own
    _, rows = read_csv(large.run_dir / bench.CSV_FILE)
    assert [int(row["timesteps"]) for row in rows] == [1000, 2000, 3000, 4000]


def test_extending_refuses_runs_that_would_not_continue_the_same_experiment(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a finished run"):
        bench.run_one(tiny_spec(tmp_path, "gogepo", budget=2000, extend_from=1000))
    assert bench.run_one(tiny_spec(tmp_path, "gogepo", budget=1000)) == "finished"
    with pytest.raises(ValueError, match="not below"):
        bench.extend_finished_run(tiny_spec(tmp_path, "gogepo", budget=1000, extend_from=1000))
    other = tiny_spec(tmp_path, "gogepo", budget=2000, extend_from=1000)
    other.hyperparams["noise_std"] = 0.2
    with pytest.raises(ValueError, match="overrides"):
        bench.run_one(other)
    scheduled = tiny_spec(tmp_path, "gogepo", budget=1000, seed=1, hyperparams={**TINY["gogepo"], "learning_rate": "lin_1e-3"})
    assert bench.run_one(scheduled) == "finished"
    with pytest.raises(ValueError, match="schedules"):
        bench.run_one(dataclasses.replace(scheduled, budget=2000, extend_from=1000))
    # Before, the extension's rows came at its own interval after the copied ones, and its run.json named only its own.
    with pytest.raises(ValueError, match=r"--extend-from: .* evaluated with --eval-freq 1000, not 500"):
        bench.run_one(tiny_spec(tmp_path, "gogepo", budget=2000, extend_from=1000, eval_freq=500))


def test_budgets_and_command_line() -> None:
    assert bench.resolve_budget("paper", "gogepo", "Swimmer-v3") == 3_000_000
    assert bench.resolve_budget("paper", "ddpg", MOUNTAIN_CAR) == 100_000
    assert bench.resolve_budget("reduced", "ars", "Hopper-v3") == bench.ENVS["Hopper-v3"].reduced_budget
    assert bench.resolve_budget("50000", "ars", "Hopper-v3") == 50_000
    with pytest.raises(ValueError):
        bench.resolve_budget("huge", "ars", "Hopper-v3")
    assert bench.default_eval_freq("Hopper-v3", 3_000_000) == 10_000
    assert bench.default_eval_freq("InvertedPendulum-v2", 100_000) == 1_000
    assert bench.parse_seeds(["0-2", "7"]) == [0, 1, 2, 7]
    args = bench.parse_args(["--algos", "ars", "gogepo", "--envs", "swimmer", "--seeds", "0-1", "--budget", "reduced"])
    specs = bench.build_specs(args)
    assert [(spec.algo, spec.seed) for spec in specs] == [("ars", 0), ("gogepo", 0), ("ars", 1), ("gogepo", 1)]
    assert all(spec.env_id == "Swimmer-v3" and spec.budget == 300_000 and spec.eval_freq == 10_000 for spec in specs)
    assert specs[0].run_dir.parts[-4:] == ("Swimmer-v3", "ars", "budget_300000", "seed_0")


BAD_COMMAND_LINES = {
    # Before, each of these was met when its run started: after the runs before it in the grid, or never.
    "an env id nobody registered (a bare KeyError after the grid's first env)": (
        ["--envs", "pendulum", "Foo-v0"],
        "--envs: 'Foo-v0' is neither a registered env id nor a short name",
    ),
    "an override one of the algorithms does not take (after the other's runs)": (
        ["--algos", "gogepo", "ars", "--hyperparams", "batch_size:4"],
        "--hyperparams: ars takes no batch_size",
    ),
    "an override without its value": (["--hyperparams", "batch_size"], "--hyperparams: overrides are key:value"),
    "a negative evaluation interval (the run hung, deaf to SIGTERM)": (["--eval-freq", "-1"], "--eval-freq: must not be"),
    "no evaluation episodes (NaN rows, a run marked finished)": (["--n-eval-episodes", "0"], "--n-eval-episodes: must be"),
    "a checkpoint interval that is not a number of seconds (no checkpoint ever)": (
        ["--checkpoint-interval", "nan"],
        "--checkpoint-interval: must be a number of seconds, 0 or more",
    ),
    "a budget of no steps (a run marked finished)": (["--budget", "0"], "--budget: budget must be a positive number"),
    "a budget to extend from that is not one": (["--extend-from", "abc"], "--extend-from: budget must be"),
    "no threads": (["--threads", "0"], "--threads: must be a positive integer"),
    "a negative checkpoint interval": (["--checkpoint-interval", "-1"], "--checkpoint-interval: must be a number of seconds"),
    "an override the runner sets itself (given twice when the model was built)": (
        ["--algos", "ars", "--hyperparams", "seed:1"],
        "--hyperparams: ars takes no seed",
    ),
    "an empty range of seeds (nothing ran, exit 0)": (["--seeds", "3-1"], "--seeds: the range '3-1' holds no seed"),
    "a seed that is not a number": (["--seeds", "a"], "--seeds: seeds are non-negative integers"),
    "a range without its end": (["--seeds", "1-"], "--seeds: seeds are non-negative integers"),
    "a negative seed (refused by the env after the run's folder was made)": (
        ["--seeds", "-1"],
        "--seeds: seeds are non-negative",
    ),
}


@pytest.mark.parametrize("case", BAD_COMMAND_LINES)
def test_a_bad_command_line_is_refused_before_any_run_naming_the_option(case: str, capsys: pytest.CaptureFixture) -> None:
    arguments, message = BAD_COMMAND_LINES[case]
    with pytest.raises(SystemExit):
        bench.parse_args(arguments)
    assert message in capsys.readouterr().err


def test_a_grid_that_would_extend_a_missing_run_is_refused_before_its_first_run(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # With --jobs 1 the grid stopped with a traceback at its first such run, after the runs before it, and never
    # started the runs after it; --budget below --extend-from was a traceback too.
    assert bench.main(tiny_grid_arguments(tmp_path, "ars", "1", "--budget", "1000")) == 0
    for arguments, message in (
        (["--budget", "2000", "--extend-from", "1000"], r"--extend-from: \S*seed_0 is not a finished run with a checkpoint"),
        (["--budget", "500", "--extend-from", "1000"], "--extend-from: budget 1000 is not below the run's budget 500"),
    ):
        with pytest.raises(SystemExit):
            bench.parse_args(tiny_grid_arguments(tmp_path, "ars", "0-1", *arguments))
        assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / MOUNTAIN_CAR / "ars" / "budget_2000").exists()
    args = bench.parse_args(tiny_grid_arguments(tmp_path, "ars", "1", "--budget", "2000", "--extend-from", "1000"))
    assert [spec.extend_from for spec in bench.build_specs(args)] == [1000]  # seed 1's run is there to extend


def test_the_command_line_takes_what_it_took_before_its_checks() -> None:
    args = bench.parse_args(["--seeds", "0, 1", " 3", "4 - 5", "--extend-from", "0", "--checkpoint-interval", "0"])
    assert bench.parse_seeds(args.seeds) == [0, 1, 3, 4, 5]
    assert {spec.extend_from for spec in bench.build_specs(args)} == {0}  # 0: no run to extend
    assert bench.parse_args(["--checkpoint-interval", "inf"]).checkpoint_interval == float("inf")


def test_a_run_spec_from_another_entry_point_is_checked_too(tmp_path: Path) -> None:
    # Before, a spec with a negative interval made by the tuner or a script hung its run.
    fields: dict[str, Any] = {"eval_freq": -1, "n_eval_episodes": 0, "budget": 0, "checkpoint_interval": float("nan")}
    for field, value in fields.items():
        with pytest.raises(ValueError, match=f"{field} must be"):
            tiny_spec(tmp_path, "gogepo", **{field: value})


def test_overrides_of_the_zoos_own_keys_and_of_a_parents_constructor_are_taken() -> None:
    # SpinningUpDDPG passes **kwargs on to SB3's DDPG; noise_std is the zoo's, not the constructor's.
    args = bench.parse_args(["--algos", "ddpg", "--hyperparams", "tau:0.01", "noise_std:0.2", "n_envs:1"])
    assert bench.parse_hyperparams(args.hyperparams) == {"tau": 0.01, "noise_std": 0.2, "n_envs": 1}


def test_an_override_of_none_is_none_as_in_the_zoos_hyperparams() -> None:
    # YAML read None as the string 'None': callback:None failed in the zoo's class lookup, inside the run.
    overrides = bench.parse_hyperparams(["callback:None", "alive_bonus_offset: None", "policy:null", "n_envs:2"])
    assert overrides == {"callback": None, "alive_bonus_offset": None, "policy": None, "n_envs": 2}


@pytest.mark.skipif(th.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_a_device_this_machine_lacks_is_refused_before_any_run(capsys: pytest.CaptureFixture) -> None:
    for device, message in (
        ("cuda", "--device cuda: this machine has no CUDA device that torch"),
        ("gpu", "--device 'gpu' is not a torch device"),
        ("meta", "--device meta: the benchmark runs use 'cpu' or 'cuda[:N]'"),
    ):
        with pytest.raises(SystemExit):
            bench.parse_args(["--device", device])
        assert message in capsys.readouterr().err


def test_the_device_goes_to_every_run_of_a_grid_and_its_child_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "check_device", lambda device: None)  # as on a machine with 4 GPUs
    args = bench.parse_args(["--algos", "gogepo", "ars", "--seeds", "0-1", "--device", "cuda:3"])
    specs = bench.build_specs(args)
    assert [spec.device for spec in specs] == ["cuda:3"] * 4
    arguments = bench.spec_arguments(specs[0], args)
    assert bench.parse_args(arguments).device == "cuda:3"
    assert bench.parse_args([]).device == "cpu"


def test_a_run_in_progress_shows_the_wall_clock_of_its_last_evaluation_not_its_older_run_json(tmp_path: Path) -> None:
    from benchmarks import report

    write_synthetic_run(tmp_path, "Swimmer-v3", "gogepo", 0, 300_000, finished=False)  # 12 evaluations, 24 s
    meta_file = bench.run_dir(tmp_path, "Swimmer-v3", "gogepo", 300_000, 0) / bench.META_FILE
    bench.write_json(
        meta_file, {**json.loads(meta_file.read_text()), "timesteps": 50_000, "wall_clock_s": 3.0}
    )  # at its resume
    (run,) = report.collect_runs(tmp_path)
    assert run.timesteps == 120_000 and run.wall_clock == 24.0 and run.eval_wall_clock == 6.0
    write_synthetic_run(tmp_path / "finished", "Swimmer-v3", "gogepo", 0, 300_000, finished=True)
    meta_file = bench.run_dir(tmp_path / "finished", "Swimmer-v3", "gogepo", 300_000, 0) / bench.META_FILE
    bench.write_json(meta_file, {**json.loads(meta_file.read_text()), "wall_clock_s": 65.0, "eval_wall_clock_s": 16.0})
    (run,) = report.collect_runs(tmp_path / "finished")
    assert run.wall_clock == 65.0 and run.eval_wall_clock == 16.0  # a finished run: to its end, from run.json


def test_the_runs_table_names_the_devices_of_each_run(tmp_path: Path) -> None:
    from benchmarks import report

    write_synthetic_run(tmp_path, "Swimmer-v3", "gogepo", 0, 300_000, finished=True)
    write_synthetic_run(tmp_path, "Swimmer-v3", "gogepo", 1, 300_000, finished=True)
    meta_file = bench.run_dir(tmp_path, "Swimmer-v3", "gogepo", 300_000, 1) / bench.META_FILE
    bench.write_json(meta_file, {**json.loads(meta_file.read_text()), "devices": ["cpu", "cuda:0 (a GPU)"], "threads": 1})
    rows = report.runs_table(report.collect_runs(tmp_path)).splitlines()
    assert "device (torch threads)" in rows[0]
    assert "| cpu (1) |" in rows[2]  # recorded before runs named their device: they all ran on the CPU
    assert "| cpu, cuda:0 (a GPU) (1) |" in rows[3]
    authors_meta = {key: value for key, value in json.loads(meta_file.read_text()).items() if key != "devices"}
    bench.write_json(meta_file, {**authors_meta, "device": "NVIDIA H100"})
    assert "| NVIDIA H100 (1) |" in report.runs_table(report.collect_runs(tmp_path)).splitlines()[3]  # the authors' script


def write_synthetic_run(
    results_dir: Path, env_id: str, algo: str, seed: int, budget: int, finished: bool, level: float | None = None
) -> None:
    """Evaluations rising linearly to ``level + seed`` (an algorithm's default level)."""
    folder = bench.run_dir(results_dir, env_id, algo, budget, seed)
    folder.mkdir(parents=True)
    steps = np.arange(1, 31) * budget // 30
    level = {"gogepo": 90.0, "ars": 50.0, "ddpg": -1.0}[algo] if level is None else level
    rows = [
        {
            "timesteps": int(step),
            "mean_return": level * step / budget + seed,
            "std_return": 1.0,
            "wall_clock_s": 2.0 * index,
            "eval_wall_clock_s": 0.5 * index,
        }
        for index, step in enumerate(steps, start=1)
    ]
    if not finished:
        rows = rows[:12]
    bench.write_rows(folder / bench.CSV_FILE, rows)
    meta = {"finished": finished, "budget": budget, "wall_clock_s": rows[-1]["wall_clock_s"], "versions": {"cpu": "test"}}
    bench.write_json(folder / bench.META_FILE, meta)


def test_report_from_synthetic_csvs(tmp_path: Path) -> None:
    from benchmarks import report

    results, docs = tmp_path / "results", tmp_path / "docs"
    for algo in bench.ALGOS:
        for seed in range(3):
            write_synthetic_run(results, MOUNTAIN_CAR, algo, seed, 100_000, finished=True)
        write_synthetic_run(results, "Swimmer-v3", algo, 0, 300_000, finished=algo != "ddpg")
    write_synthetic_run(results, MOUNTAIN_CAR, "gogepo", 3, 100_000, finished=False)
    page = report.write_report(results, docs, compute=False)

    table = (results / "table1.md").read_text()
    assert table.count("| MountainCarContinuous-v0 (100k) |") == 1 and "| Swimmer-v3 (300k) |" in table
    # Final return = mean of the last 20 of 30 evaluations: level * (11..30) / 30 + seed, averaged over seeds 0..2.
    expected = np.mean([90.0 * np.arange(11, 31) / 30 + seed for seed in range(3)])
    std = np.std([np.mean(90.0 * np.arange(11, 31) / 30 + seed) for seed in range(3)])
    assert f"{expected:.0f} ± {std:.0f} (n=3, 60 s/run, +1 partial)" in table
    assert "93 ± 1" in table and "55 ± 33" in table  # the paper's values beside ours
    assert "- (1 partial)" in table  # Swimmer DDPG
    assert table.split("## ")[0] in (results / "table1.md").read_text()
    assert "# Benchmark results" in page and "```{image} learning_curves.png" in page
    assert page.count("| partial |") == 2 and page.count("| finished |") == 11
    assert (docs / "index.md").read_text() == page
    assert (docs / "learning_curves.png").stat().st_size > 10_000
    assert "## Diagnostics" not in page
    (results / "hopper_seen_range.md").write_text("the sweep's table\n")
    page = report.write_report(results, docs, compute=False)
    assert "## Diagnostics" in page and f"### {report.DIAGNOSTICS['hopper_seen_range.md']}\n\nthe sweep's table" in page
    assert "Where it falls short" not in page
    # Findings written by hand go under the table, in table1.md and on the page.
    note = "- Swimmer: the generator's best policy is below the paper's.\n"
    (results / report.NOTES_FILE).write_text(note)
    page = report.write_report(results, docs, compute=False)
    assert (results / "table1.md").read_text().endswith(f"## Where it falls short (`table1_notes.md`)\n\n{note}")
    notes_at = page.index("### Where it falls short\n\n- Swimmer")
    assert page.index("| MountainCarContinuous-v0 (100k) |") < notes_at < page.index("## Every run")


def test_a_diagnostic_with_its_own_title_is_nested_under_the_report_section() -> None:
    from benchmarks import report

    text = "# Command input\n\nWritten by a script.\n\n## Swimmer-v3, 300k steps\n\n| a |\n"
    assert report.nested_markdown(text) == "Written by a script.\n\n#### Swimmer-v3, 300k steps\n\n| a |\n"
    untitled = "A table's caption.\n\n#### run 0\n"
    assert report.nested_markdown(untitled) == untitled


def test_bootstrap_interval_contains_the_mean() -> None:
    from benchmarks import report

    values = np.random.default_rng(0).normal(size=(10, 5))
    low, high = report.bootstrap_ci(values)
    assert np.all(low <= values.mean(axis=0)) and np.all(values.mean(axis=0) <= high) and np.all(low < high)


def test_report_figures_3_and_4_from_a_gogepo_run(tmp_path: Path) -> None:
    from benchmarks import report

    spec = tiny_spec(tmp_path / "results", "gogepo", budget=2000)
    assert bench.run_one(spec) == "finished"
    page = report.write_report(tmp_path / "results", tmp_path / "docs", n_episodes=1)
    assert "command_sweep.png" in page and "policy_map.png" in page
    assert (tmp_path / "docs" / "command_sweep.png").is_file() and (tmp_path / "docs" / "policy_map.png").is_file()
    _, rows = read_csv(spec.run_dir / report.SWEEP_FILE)
    assert [float(row["command"]) for row in rows] == pytest.approx(np.linspace(-100, 100, 20))
    with np.load(spec.run_dir / report.MAP_FILE) as data:
        assert data["stage_xy"].shape == (4, 20, 2) and list(data["stages"]) == [25, 50, 75, 100]
        assert data["buffer_xy"].shape == (len(data["buffer_returns"]), 2)
    # Table 1's fidelity columns: the sweep's |achieved - commanded| over the range, and G(best) against the best.
    _, frontier = read_csv(spec.run_dir / report.FRONTIER_FILE)
    sweep = [abs(float(row["mean_training_return"]) - float(row["command"])) / 200.0 for row in rows]
    frontier_fidelity = float(frontier[0]["mean_training_return"]) / float(frontier[0]["best_training_return"])
    table = (tmp_path / "results" / "table1.md").read_text()
    assert f"| {np.mean(sweep):.3f} (n=1) | {frontier_fidelity:.2f} (n=1) |" in table
    # The caches let the report re-render without the (uncommitted) snapshots and checkpoint.
    for folder in ("snapshots", "checkpoint"):
        shutil.rmtree(spec.run_dir / folder)
    assert "policy_map.png" in report.write_report(tmp_path / "results", tmp_path / "docs2", compute=False)
    assert (tmp_path / "results" / "table1.md").read_text() == table


@pytest.mark.parametrize(
    "algo, column, position, level, cell",
    [
        ("authors", "GoGePo, authors' script (here)", 4, 80.0, "55 (n=1, 60 s/run)"),  # 80 * mean(11..30) / 30
        ("gogepo_symlog", "GoGePo, symlog commands (ours)", 2, 60.0, "41 (n=1, 60 s/run)"),
    ],
)
def test_table1_shows_the_authors_script_and_the_symlog_runs_beside_ours_when_it_has_them(
    tmp_path: Path, algo: str, column: str, position: int, level: float, cell: str
) -> None:
    from benchmarks import report

    results = tmp_path / "results"
    write_synthetic_run(results, MOUNTAIN_CAR, "gogepo", 0, 100_000, finished=True)
    assert column not in report.table1(report.collect_runs(results))
    write_synthetic_run(results, MOUNTAIN_CAR, algo, 0, 100_000, finished=True, level=level)
    header, _, row = report.table1(report.collect_runs(results)).splitlines()[:3]
    columns, cells = header.strip("| ").split(" | "), row.strip("| ").split(" | ")
    assert columns.index(column) == position and cells[position] == cell
    assert cells[1] == "61 (n=1, 60 s/run)"  # GoGePo (ours): 90 * mean(11..30) / 30
    assert header.count("(paper, 3M/100k)") == 3  # no paper column for either


def test_command_input_adds_table_1s_seeds_to_the_ablations_runs_of_the_same_variant(tmp_path: Path) -> None:
    from benchmarks import command_input

    results, table1 = tmp_path / "command_input", tmp_path / "table1"
    write_synthetic_run(results / "scale465", "Swimmer-v3", "gogepo", 2, 3_000_000, finished=True, level=300.0)
    write_synthetic_run(results / "authors", "Swimmer-v3", "authors", 0, 3_000_000, finished=True, level=330.0)
    for seed, policy_kwargs in enumerate(["dict(command_scale=465.0)", "dict(command_scale=4.65e2)", "dict(net_arch=["]):
        write_synthetic_run(table1, "Swimmer-v3", "gogepo", seed, 3_000_000, finished=True, level=300.0)
        folder = bench.run_dir(table1, "Swimmer-v3", "gogepo", 3_000_000, seed)
        meta = {"hyperparams": {"policy_kwargs": policy_kwargs}, "hyperparams_overrides": {"policy_kwargs": policy_kwargs}}
        bench.write_json(folder / bench.META_FILE, {**bench.read_meta(folder), **meta})
    text = command_input.write_report(results, tmp_path / "report.md", n_episodes=1, compute=False, table1_dir=table1)
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    # Seeds 0 and 1 (465 written two ways) join the ablation's seed 2; seed 2's unreadable policy_kwargs is left out.
    assert "| 3 | 206.0 ± 1.0 |" in rows["command_scale=465 (authors' constant), with Table 1's runs"]
    assert [seed for seed in rows if seed.isdigit()] == ["0", "1", "2"]


def test_the_difference_interval_contains_zero_only_when_the_seeds_cannot_tell_the_modes_apart() -> None:
    from benchmarks.performance.fast_mode import difference_ci

    assert difference_ci([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]).startswith("+0.0 [-")
    low, high = (float(bound) for bound in difference_ci([1.0, 2.0, 3.0], [11.0, 12.0, 13.0])[7:-1].split(", "))
    assert 8.0 < low < 10.0 < high < 12.0
    assert difference_ci([1.0], [1.0, 2.0]) == "-"


def test_the_curve_column_counts_the_evaluations_where_the_fast_mean_lies_within_the_exact_seeds() -> None:
    from benchmarks.performance.fast_mode import curve_within_spread

    def curve(*values: float) -> list[dict[str, float]]:
        return [{"timesteps": 1000 * (index + 1), "mean_return": value} for index, value in enumerate(values)]

    exact = [curve(0.0, 10.0, 20.0, 30.0), curve(2.0, 12.0, 22.0, 32.0)]
    # Fast mean 1, 11, 25, 31: the third evaluation lies above both exact seeds; the longer fast run is cut to 4.
    fast = [curve(0.0, 10.0, 30.0, 30.0, 99.0), curve(2.0, 12.0, 20.0, 32.0, 99.0)]
    assert curve_within_spread(exact, fast) == "3 / 4"
    assert curve_within_spread(exact, []) == "-"


def test_fast_mode_comparison_truncates_longer_runs_to_the_comparison_budget(tmp_path: Path) -> None:
    from benchmarks.performance import fast_mode

    results, docs = tmp_path / "results", tmp_path / "docs"
    for seed in range(3):  # exact mode: Table 1's runs with symlog commands, the fast-mode runs' input
        write_synthetic_run(results, "Swimmer-v3", "gogepo_symlog", seed, 300_000, finished=True, level=90.0)
        write_synthetic_run(results / "fast_mode", "Swimmer-v3", "gogepo", seed, 300_000, finished=seed > 0)
    write_synthetic_run(results, "Swimmer-v3", "gogepo", 0, 300_000, finished=True, level=0.0)  # not compared
    # A 3M run counts with its evaluations up to 300k (3 of its 30, at 100k, 200k and 300k) where its seed has no
    # finished 300k run; seed 1's 3M run is not counted: its 300k run is the seed's sample.
    write_synthetic_run(results / "fast_mode", "Swimmer-v3", "gogepo", 0, 3_000_000, finished=True)
    write_synthetic_run(results / "fast_mode", "Swimmer-v3", "gogepo", 1, 3_000_000, finished=True)
    text = fast_mode.compare(results, docs)

    exact = [np.mean(90.0 * np.arange(11, 31) / 30 + seed) for seed in range(3)]
    fast = [np.mean(90.0 * np.arange(1, 4) / 30), *exact[1:]]  # one run per seed, in seed order
    row = next(line for line in text.splitlines() if line.startswith("| Swimmer-v3 (300k)"))
    assert row.startswith(
        f"| Swimmer-v3 (300k) | {', '.join(f'{v:.1f}' for v in exact)} | {np.mean(exact):.1f} ± {np.std(exact, ddof=1):.1f} "
        f"| {', '.join(f'{v:.1f}' for v in fast)} | {np.mean(fast):.1f} ± {np.std(fast, ddof=1):.1f} | no | 0 / 3 | "
        f"{np.mean(fast) - np.mean(exact):+.1f} ["
    )  # curves compared at the 3 evaluations all runs share: at 100k the fast mean (3 + 31 + 32) / 3 is below 30
    assert "| MountainCarContinuous-v0 (100k) | - | - | - | - | - | - | - |" in text
    assert (results / "fast_mode.md").read_text() == text and (docs / "fast_mode.png").stat().st_size > 10_000


def test_command_sweep_summary_reports_achieved_returns_in_the_units_of_the_command() -> None:
    from benchmarks.report import _sweep_summary

    # Hopper: the true return includes the survival bonus; commands and achieved returns do not.
    rows = [
        {"command": c, "mean_return": c + 900.0, "mean_training_return": c + 10.0, "std_training_return": 1.0}
        for c in (0.0, 1000.0)
    ]
    assert (
        _sweep_summary({"Hopper-v3 (300k)": {0: rows}}).splitlines()[-1] == "| Hopper-v3 (300k) | 0 | 1.00 | 10.0 | 1010.0 |"
    )


def test_curves_are_averaged_at_the_timesteps_all_runs_share_not_by_row_position() -> None:
    from benchmarks.report import aligned_curves

    every_10k = [{"timesteps": t, "mean_return": t / 1000} for t in range(10_000, 60_001, 10_000)]
    every_20k = [{"timesteps": t, "mean_return": -t / 1000} for t in range(20_000, 60_001, 20_000)]
    steps, values = aligned_curves([every_10k, every_20k])
    assert steps.tolist() == [20_000, 40_000, 60_000]
    assert values.tolist() == [[20.0, 40.0, 60.0], [-20.0, -40.0, -60.0]]


def test_ddpg_saturation_reports_an_actor_stuck_at_the_bound(tmp_path: Path) -> None:
    import torch as th
    from stable_baselines3.common.env_util import make_vec_env

    from benchmarks import ddpg_saturation
    from sb3_gogepo.zoo import SpinningUpDDPG

    folder = bench.run_dir(tmp_path, "Pendulum-v1", "ddpg", 300, 0)
    env = make_vec_env("Pendulum-v1", monitor_dir=str(folder / "work"))
    model = SpinningUpDDPG("MlpPolicy", env, policy_kwargs=dict(net_arch=[8]), learning_starts=100, seed=0)
    model.learn(300)
    with th.no_grad():  # an output layer that drives every pre-tanh output far past the bound
        output_layer: Any = model.actor.mu[-2]
        output_layer.weight.zero_()
        output_layer.bias.fill_(20.0)
    (folder / "checkpoint").mkdir()
    model.save(folder / "checkpoint" / "model.zip")
    model.save_replay_buffer(folder / "checkpoint" / "replay_buffer.pkl")
    rows = [
        {"timesteps": 100 * i, "mean_return": -1000.0 - i, "std_return": 0.0, "wall_clock_s": i, "eval_wall_clock_s": 0}
        for i in (1, 2, 3)
    ]
    bench.write_rows(folder / bench.CSV_FILE, rows)
    hyperparams = {"noise_std": "0.1", "learning_starts": "100"}
    meta = {"finished": True, "seed": 0, "final_return": -1003.0, "hyperparams": hyperparams}
    bench.write_json(folder / bench.META_FILE, meta)

    row = ddpg_saturation.report("Pendulum-v1", tmp_path).splitlines()[-1]
    assert row.startswith("| Table 1 runs | 0.1 | 0 | -1003.0 | -1002.0 (0.2k) | 100% | 20.0 | 0% of 1 |")


def test_training_returns_remove_the_survival_bonus_and_compare_runs_per_block_of_episodes(tmp_path: Path) -> None:
    from benchmarks import training_returns

    runs = []
    for seed, offset in ((0, "-1.0"), (1, "None")):  # None: automatic, Hopper's bonus of 1 per step
        folder = bench.run_dir(tmp_path, "Hopper-v3", "gogepo", 300, seed)
        (folder / "work").mkdir(parents=True)
        lengths, returns = [10, 20, 30, 40, 50], [15.0, 30.0, 20.0, 100.0, 60.0]
        with open(folder / "work" / "0.monitor.csv", "w") as file:
            file.write('#{"t_start": 0}\nr,l,t\n')
            file.writelines(f"{r + seed},{length},0.0\n" for r, length in zip(returns, lengths))
        meta = {"env_id": "Hopper-v3", "finished": True, "hyperparams": {"alive_bonus_offset": offset}}
        bench.write_json(folder / bench.META_FILE, meta)
        runs.append(folder)
    text = training_returns.compare(runs, block=2)
    assert "| 0-1 | 15 / 8 / 10 / 10 | 15 / 8 / 11 / 11 |" in text  # means 7.5 and 8.5
    assert "| 2-3 | 35 / 25 / 60 / 60 | 35 / 26 / 61 / 61 |" in text
    assert "| 4-5" not in text  # whole blocks only


def test_training_returns_of_the_authors_script_come_from_its_episode_records(tmp_path: Path) -> None:
    from benchmarks import training_returns
    from benchmarks.authors_script import EPISODES_FILE

    folder = bench.run_dir(tmp_path, "Hopper-v3", "authors", 300, 0)
    folder.mkdir(parents=True)
    bench.write_json(folder / bench.META_FILE, {"algo": "authors", "env_id": "Hopper-v3", "finished": True})
    (folder / EPISODES_FILE).write_text("episode,timesteps,return,length\n1,10,15.0,10\n2,30,50.0,20\n")
    lengths, returns = training_returns.training_returns(folder)
    assert lengths.tolist() == [10, 20] and returns.tolist() == [5.0, 30.0]  # their script removes the bonus too
    text = training_returns.compare([folder], block=2)
    assert "(the authors' script; finished), 2 episodes, 30 steps" in text and "| 0-1 | 15 / 18 / 30 / 30 |" in text


def test_seen_range_sweep_commands_the_returns_the_run_stored_and_caches_the_sweep(tmp_path: Path) -> None:
    from benchmarks import seen_range_sweep
    from benchmarks.training_returns import training_returns

    spec = tiny_spec(tmp_path, "gogepo", budget=2000)
    assert bench.run_one(spec) == "finished"
    _, returns = training_returns(spec.run_dir)
    rows = seen_range_sweep.sweep(spec.run_dir, n_commands=4, beyond=2, n_episodes=1)
    commands = [row["command"] for row in rows]
    low, high = returns.min(), returns.max()
    step = (high - low) / 3
    assert commands == pytest.approx([*np.linspace(low, high, 4), high + step, high + 2 * step])
    assert [row["seen"] for row in rows] == [1, 1, 1, 1, 0, 0]
    text = seen_range_sweep.render([spec.run_dir], [rows], n_episodes=1)
    assert "correlation" in text and text.count("| *above the seen range* |") == 1
    # The cache answers without the model.
    import shutil

    shutil.rmtree(spec.run_dir / "snapshots")
    shutil.rmtree(spec.run_dir / "checkpoint")
    assert seen_range_sweep.sweep(spec.run_dir, n_commands=4, beyond=2, n_episodes=1) == rows


@pytest.mark.parametrize("algo", bench.ALGOS)
def test_every_algorithm_of_the_runner_steps_lean_dummy_vec_envs(tmp_path: Path, algo: str) -> None:
    from stable_baselines3.common.vec_env import VecEnvWrapper

    from sb3_gogepo.vec_env import LeanDummyVecEnv

    manager = bench.make_manager(tiny_spec(tmp_path, algo), seed=0)
    for eval_env in (False, True):
        env = manager.create_envs(1, eval_env=eval_env)
        base = env
        while isinstance(base, VecEnvWrapper):
            base = base.venv
        assert type(base) is LeanDummyVecEnv
        env.close()


def test_training_returns_of_a_resumed_run_join_its_attempts_in_the_order_they_started(tmp_path: Path) -> None:
    from benchmarks.training_returns import training_returns

    folder = bench.run_dir(tmp_path, "Swimmer-v3", "gogepo", 300, 0)
    folder.mkdir(parents=True)
    bench.write_json(folder / bench.META_FILE, {"env_id": "Swimmer-v3", "hyperparams": {"alive_bonus_offset": "None"}})
    # The zoo numbers its log folders per attempt; names and start times deliberately in opposite orders here.
    for name, start, returns in (("Swimmer-v3_2", 100.0, [1.0, 2.0]), ("Swimmer-v3_1", 200.0, [3.0])):
        (folder / "work" / name).mkdir(parents=True)
        with open(folder / "work" / name / "0.monitor.csv", "w") as file:
            file.write(f'#{{"t_start": {start}}}\nr,l,t\n')
            file.writelines(f"{r},10,0.0\n" for r in returns)
    lengths, returns_seen = training_returns(folder)
    assert returns_seen.tolist() == [1.0, 2.0, 3.0] and lengths.tolist() == [10, 10, 10]


def test_block_ab_imports_another_commit_beside_the_current_package(tmp_path: Path) -> None:
    import sys

    import sb3_gogepo
    from benchmarks.performance import block_ab

    try:
        baseline = block_ab.import_baseline("HEAD", tmp_path)
        assert baseline.GoGePo is not sb3_gogepo.GoGePo
        assert Path(str(baseline.__file__)).parent == tmp_path / block_ab.BASELINE_PACKAGE
        assert baseline.gogepo.GoGePo.__module__ == f"{block_ab.BASELINE_PACKAGE}.gogepo"
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == block_ab.BASELINE_PACKAGE]:
            del sys.modules[name]


def test_rank_sum_test_of_final_returns_counts_the_splits_with_at_least_the_observed_rank_sum() -> None:
    from benchmarks.command_input import rank_sum_one_sided

    assert rank_sum_one_sided([3.0, 4.0, 5.0], [0.0, 1.0, 2.0]) == pytest.approx(1 / 20)  # the one split of 20
    assert rank_sum_one_sided([0.0, 1.0, 2.0], [3.0, 4.0, 5.0]) == 1.0
    assert rank_sum_one_sided([2.0, 5.0], [1.0, 3.0, 4.0]) == pytest.approx(4 / 10)  # rank sum 7: {2,5}, {3,4}, {3,5}, {4,5}
    # Ties share their mean rank: {1, 1} against {1, 1} ties everywhere, so every split reaches the observed sum.
    assert rank_sum_one_sided([1.0, 1.0], [1.0, 1.0]) == 1.0


def test_fisher_test_of_the_command_input_ablation_matches_the_hypergeometric_tail() -> None:
    from benchmarks.command_input import fisher_one_sided

    # 12 of 17 against 2 of 8 and 0 of 8 (issue 17's takeoff counts), and a symmetric case with p = 1/2 + P(equal)/2.
    assert fisher_one_sided(12, 17, 2, 8) == pytest.approx(0.04330, abs=1e-5)
    assert fisher_one_sided(12, 17, 0, 8) == pytest.approx(0.00119, abs=1e-5)
    assert fisher_one_sided(0, 5, 5, 5) == 1.0
    assert fisher_one_sided(5, 5, 0, 5) == pytest.approx(1 / 252)


def test_command_input_report_counts_takeoffs_per_variant_from_synthetic_runs(tmp_path: Path) -> None:
    from benchmarks import command_input

    results = tmp_path / "command_input"
    for seed in range(4):
        # Evaluations step / 1000 + seed: above 100 from 110k steps for seed 0, from 100k for the others.
        write_synthetic_run(results / "symlog", "Swimmer-v3", "gogepo", seed, 300_000, finished=True, level=300.0)
        write_synthetic_run(results / "scale465", "Swimmer-v3", "gogepo", seed, 300_000, finished=True, level=30.0 + seed)
    text = command_input.write_report(results, tmp_path / "command_input.md", n_episodes=1, compute=False)
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    symlog = "symlog (the constructor's default)"
    tests = f"| takeoffs vs {symlog}: one-sided Fisher p | final returns vs {symlog}: one-sided rank-sum p |"
    assert rows["variant"].endswith(tests)
    assert "| 4 of 4 | 100000 | none |" in rows[symlog]
    assert "| 0 of 4 | - | 0, 1, 2, 3 |" in rows["command_scale=465 (authors' constant)"]
    assert rows["command_scale=465 (authors' constant)"].endswith(f"| {1 / 70:.3g} |")  # C(4,4) C(4,0) / C(8,4)
    assert (tmp_path / "command_input.md").read_text() == text


def test_command_input_report_takes_the_variants_the_ablation_lacks_from_table_1s_runs(tmp_path: Path) -> None:
    from benchmarks import command_input, report

    results, table1 = tmp_path / "command_input", tmp_path / "table1"
    for seed in range(2):
        write_synthetic_run(results / "symlog", "Swimmer-v3", "gogepo", seed, 300_000, finished=True, level=300.0)
        write_synthetic_run(results / "scale465_4_19", "Swimmer-v3", "gogepo", seed, 3_000_000, finished=True, level=30.0)
    for seed in range(3):  # Table 1: symlog at both budgets (the ablation's seeds at 300k), the authors' script at 3M
        for budget in (300_000, 3_000_000)[seed // 2 :]:
            write_synthetic_run(table1, "Swimmer-v3", "gogepo_symlog", seed, budget, finished=True, level=200.0)
        write_synthetic_run(table1, "Swimmer-v3", "authors", seed, 3_000_000, finished=True, level=330.0)
    write_synthetic_run(table1, "Swimmer-v3", "ars", 0, 3_000_000, finished=True)
    write_synthetic_run(table1, "Swimmer-v3", "authors", 3, 3_000_000, finished=False, level=0.0)  # left out: unfinished
    # The YAML's runs: their command_scale given as the policy_kwargs override of code older than the YAML's entry.
    for env_id, scale, seeds in (("Swimmer-v3", 465.0, range(2)), ("Hopper-v3", 3100.0, range(1))):
        for seed in seeds:
            write_synthetic_run(table1, env_id, "gogepo", seed, 3_000_000, finished=True, level=320.0)
            folder = bench.run_dir(table1, env_id, "gogepo", 3_000_000, seed)
            policy_kwargs = f"dict(net_arch=[8], command_scale={scale})"
            meta = {"hyperparams": {"policy_kwargs": policy_kwargs}, "hyperparams_overrides": {"policy_kwargs": policy_kwargs}}
            bench.write_json(folder / bench.META_FILE, {**bench.read_meta(folder), **meta})
    write_synthetic_run(table1, "Hopper-v3", "gogepo_symlog", 0, 3_000_000, finished=True, level=300.0)
    write_synthetic_run(table1, "Hopper-v3", "gogepo_symlog", 0, 300_000, finished=True, level=90.0)  # one variant: no section
    # The authors' runs' fidelities come from benchmarks.authors_fidelity's caches.
    frontier = [{"best_training_return": 300.0, "mean_training_return": 270.0}]
    report.write_sweep(bench.run_dir(table1, "Swimmer-v3", "authors", 3_000_000, 0) / report.FRONTIER_FILE, frontier)
    overridden = bench.run_dir(table1, "Swimmer-v3", "gogepo_symlog", 3_000_000, 1)
    bench.write_json(overridden / bench.META_FILE, {**bench.read_meta(overridden), "hyperparams_overrides": {"x": "1"}})

    text = command_input.write_report(results, tmp_path / "report.md", n_episodes=1, compute=False, table1_dir=table1)
    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        "## Swimmer-v3, 300k steps (took off: an evaluation above 100)",
        "## Swimmer-v3, 3000k steps (took off: an evaluation above 100)",
        "## Hopper-v3, 3000k steps (took off: an evaluation above 1000)",
    ]
    short, paper, hopper = text.split("\n## ")[1:]
    rows = {line.split(" | ")[0].strip("| "): line for line in paper.splitlines() if line.startswith("| ")}
    # At 300k the ablation has its own symlog runs; at 3M Table 1's symlog runs (not the overridden one), its runs of
    # the YAML's command_scale and the authors' script's join the ablation's, in the variants' order, and the tests
    # compare against them.
    assert "Table 1" not in short.split("Commits")[0]
    assert [name for name in rows if name not in ("variant", "---", "seed", "0", "1", "2")] == [
        "symlog (the constructor's default), Table 1's runs",
        "command_scale=465 (authors' constant), Table 1's runs",
        "command_scale=465, 4+19 updates (the authors' settings)",
        "authors' script, Table 1's runs",
    ]
    # Final returns: the last 20 of 30 evaluations rising to level + seed average level * 20.5 / 30 + seed.
    assert "| 2 | 137.7 ± 1.4 |" in rows["symlog (the constructor's default), Table 1's runs"]  # seeds 0 and 2
    assert "| 2 | 219.2 ± 0.7 |" in rows["command_scale=465 (authors' constant), Table 1's runs"]
    assert "| 3 | 226.5 ± 1.0 |" in rows["authors' script, Table 1's runs"]
    assert "| - (n=0) | 0.90 (n=1) |" in rows["authors' script, Table 1's runs"]
    assert "final returns vs authors' script, Table 1's runs: one-sided rank-sum p" in rows["variant"]
    # Symlog, the constructor's default, is not the best median here: each variant is also tested above it.
    symlog = "symlog (the constructor's default), Table 1's runs"
    assert f"| final returns above {symlog}: one-sided rank-sum p |" in rows["variant"]
    assert rows[symlog].endswith("| - | - |") and rows["authors' script, Table 1's runs"].endswith(f"| {1 / 10:.3g} | - |")
    # A setting only Table 1 has gets a section where it has two variants: Hopper at 3M, with its own range.
    assert "| command_scale=3100 (authors' constant), Table 1's runs | 1 |" in hopper
    assert "| symlog (the constructor's default), Table 1's runs | 1 |" in hopper
    assert f"--table1-dir {os.path.relpath(table1)}`" in text


def test_command_input_tests_the_authors_update_counts_above_the_same_input_with_the_papers(tmp_path: Path) -> None:
    from benchmarks import command_input

    results = tmp_path / "command_input"
    for seed in range(3):
        write_synthetic_run(results / "scale465", "Swimmer-v3", "gogepo", seed, 3_000_000, finished=True, level=290.0)
    for seed in range(2):
        write_synthetic_run(results / "scale465_4_19", "Swimmer-v3", "gogepo", seed, 3_000_000, finished=True, level=330.0)
        write_synthetic_run(results / "symlog_4_19", "Swimmer-v3", "gogepo", seed, 300_000, finished=True, level=90.0)
        write_synthetic_run(results / "authors", "Swimmer-v3", "authors", seed, 300_000, finished=True, level=80.0)
    text = command_input.write_report(results, tmp_path / "report.md", n_episodes=1, compute=False)
    short, paper = text.split("\n## ")[1:]  # in Table 1's order with or without its runs: 300k, then 3M
    column = "| final returns with 4+19 updates above the same input with 5+20: one-sided rank-sum p |"
    rows = {line.split(" | ")[0].strip("| "): line for line in paper.splitlines() if line.startswith("| ")}
    assert rows["variant"].endswith(column)
    # Both 4+19 seeds above all three 5+20 seeds: 1 split of C(5, 2) = 10 reaches that rank sum.
    assert rows["command_scale=465, 4+19 updates (the authors' settings)"].endswith(f"| {1 / 10:.3g} |")
    assert rows["command_scale=465 (authors' constant)"].endswith("| - |")
    assert column not in short  # symlog with 4+19, but no symlog with 5+20 to test it against


def test_command_input_tests_each_variants_command_fidelity_above_the_authors_scripts(tmp_path: Path) -> None:
    from benchmarks import command_input, report

    results = tmp_path / "command_input"
    # Command errors (in units of Swimmer's range, 465): ours 0.10, 0.20 and 0.30; theirs 0.04 and 0.06.
    for variant, algo, errors in (("scale465_4_19", "gogepo", (0.1, 0.2, 0.3)), ("authors", "authors", (0.04, 0.06))):
        for seed, error in enumerate(errors):
            write_synthetic_run(results / variant, "Swimmer-v3", algo, seed, 3_000_000, finished=True, level=320.0)
            sweep = [
                {"command": c, "mean_training_return": c + error * 465, "std_training_return": 1.0}
                for c in report.paper_commands("Swimmer-v3")
            ]
            report.write_sweep(
                bench.run_dir(results / variant, "Swimmer-v3", algo, 3_000_000, seed) / report.SWEEP_FILE, sweep
            )
    write_synthetic_run(results / "symlog", "Swimmer-v3", "gogepo", 0, 3_000_000, finished=True, level=300.0)  # no sweep
    text = command_input.write_report(results, tmp_path / "report.md", n_episodes=1, compute=False)
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    column = "| command fidelity above authors' script (further from the commands): one-sided rank-sum p |"
    assert rows["variant"].endswith(column)
    assert "| 0.200 ± 0.100 (n=3) |" in rows["command_scale=465, 4+19 updates (the authors' settings)"]
    # All three of ours above both of theirs: 1 split of C(5, 3) = 10 reaches that rank sum.
    assert rows["command_scale=465, 4+19 updates (the authors' settings)"].endswith(f"| {1 / 10:.3g} |")
    assert rows["authors' script"].endswith("| - |") and rows["symlog (the constructor's default)"].endswith("| - |")


def test_command_input_tests_final_returns_against_the_authors_script_where_theirs_are_not_the_best_median(
    tmp_path: Path,
) -> None:
    from benchmarks import command_input

    results = tmp_path / "command_input"
    # Final returns (the last 20 of 30 evaluations rising to level + seed average level * 20.5 / 30 + seed): 4+19
    # 225.5-227.5, the authors' 218.7-220.7 and 3 (a seed that stayed stuck), 465 198.2-200.2.
    for seed in range(3):
        write_synthetic_run(results / "scale465_4_19", "Swimmer-v3", "gogepo", seed, 3_000_000, finished=True, level=330.0)
        write_synthetic_run(results / "scale465", "Swimmer-v3", "gogepo", seed, 3_000_000, finished=True, level=290.0)
        write_synthetic_run(results / "authors", "Swimmer-v3", "authors", seed, 3_000_000, finished=True, level=320.0)
    write_synthetic_run(results / "authors", "Swimmer-v3", "authors", 3, 3_000_000, finished=True, level=0.0)
    text = command_input.write_report(results, tmp_path / "report.md", n_episodes=1, compute=False)
    table = [line.strip("|").split(" | ") for line in text.splitlines() if line.startswith("| ")]
    header, rows = [cell.strip() for cell in table[0]], {row[0].strip(): row for row in table[2:]}
    best, reference = "command_scale=465, 4+19 updates (the authors' settings)", "authors' script"
    against_best = header.index(f"final returns vs {best}: one-sided rank-sum p")
    assert header[against_best + 1] == f"final returns vs {reference}: one-sided rank-sum p"
    column = against_best + 1
    # The authors' ranks among the seven finals are 1 (the stuck seed), 5, 6 and 7: 7 of the C(7, 4) = 35 splits reach
    # that rank sum (19). The 4+19 seeds are all above theirs: p = 1.
    assert rows["command_scale=465 (authors' constant)"][column].strip() == f"{7 / 35:.3g}"
    assert rows[best][column].strip() == "1" and rows[reference][column].strip() == "-"


def test_a_grid_asked_to_stop_starts_no_further_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal
    import subprocess

    launched: list[list[str]] = []

    class StoppedChild:
        """A child run that the grid's SIGTERM reaches while it runs (as the first run of a real grid)."""

        def __init__(self, arguments: list[str], **kwargs: Any) -> None:
            launched.append(arguments)
            self.pid = 0
            handler = signal.getsignal(signal.SIGTERM)  # the grid's own, as the main thread runs it on a SIGTERM
            assert callable(handler)
            handler(signal.SIGTERM, None)

        def send_signal(self, signum: int) -> None:
            pass

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(subprocess, "Popen", StoppedChild)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        args = bench.parse_args(["--algos", "gogepo", "--envs", MOUNTAIN_CAR, "--seeds", "0-2", "--jobs", "1"])
        args.results_dir = str(tmp_path)
        bench.run_parallel(bench.build_specs(args), args)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert len(launched) == 1  # seeds 1 and 2 were not started after the stop


def tiny_grid_arguments(tmp_path: Path, algo: str, seeds: str, *extra: str, **hyperparams: Any) -> list[str]:
    """:return: ``benchmarks.run`` arguments of tiny runs on MountainCar into ``tmp_path``."""
    overrides = [f"{key}:{value}" for key, value in {**TINY[algo], **hyperparams}.items()]
    return [
        *("--algos", algo, "--envs", MOUNTAIN_CAR, "--seeds", seeds, "--budget", "4000", "--eval-freq", "1000"),
        *("--n-eval-episodes", "1", "--results-dir", str(tmp_path), *extra, "--hyperparams", *overrides),
    ]


def test_a_stopped_grid_exits_with_the_signals_status_and_a_finished_one_with_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stopped grid exited 0, as a finished one does, so a scheduler or a shell loop could not tell the two apart.
    import signal

    evaluate = stop_after_evaluations(monkeypatch, 2)
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        assert bench.main(tiny_grid_arguments(tmp_path, "ars", "0")) == 128 + signal.SIGTERM
        monkeypatch.setattr(bench._Runner, "evaluate", evaluate)
        bench._StopFlag.requested = False
        assert bench.main(tiny_grid_arguments(tmp_path, "ars", "0")) == 0
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    assert (
        json.loads((tmp_path / MOUNTAIN_CAR / "ars" / "budget_4000" / "seed_0" / bench.META_FILE).read_text())["resumes"] == 1
    )


def test_a_parallel_grid_keeps_the_output_of_a_run_that_failed_in_its_log(tmp_path: Path) -> None:
    # The run cleared its new folder of everything but run.json and the lock, the log the grid had opened for it
    # included: the traceback that said why it failed went with it.
    args = bench.parse_args(tiny_grid_arguments(tmp_path, "gogepo", "0-1", "--jobs", "2", batch_size="abc"))
    specs = bench.build_specs(args)
    assert bench.run_parallel(specs, args) == [1, 1]
    for spec in specs:
        assert "batch_size" in (spec.run_dir / bench.LOG_FILE).read_text()


def test_a_result_file_is_written_whole_into_a_new_folder_and_printed(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from benchmarks.common import write_result

    write_result(tmp_path / "speed_ab" / "block_ab_abc.md", "| a |\n")
    assert (tmp_path / "speed_ab" / "block_ab_abc.md").read_text() == "| a |\n"
    assert capsys.readouterr().out == "| a |\n\n"
    assert [path.name for path in (tmp_path / "speed_ab").iterdir()] == ["block_ab_abc.md"]  # no temporary file left


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")
def test_the_memory_of_a_process_tree_counts_its_children() -> None:
    import signal
    import subprocess
    import sys
    import time

    from benchmarks.performance.ray_cost import tree_rss

    # A shell (a few MiB) whose child holds 200 MiB: only the tree's sum reaches 200 MiB.
    holder = f"{sys.executable} -c 'import time; data = bytearray(200 * 2**20); time.sleep(60)'"
    shell = subprocess.Popen(["bash", "-c", f"{holder} & wait"], start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while tree_rss(shell.pid) < 200 * 2**20:
            assert time.monotonic() < deadline, "the child's memory was not counted"
            time.sleep(0.05)
    finally:
        os.killpg(shell.pid, signal.SIGKILL)
        shell.wait()
    assert tree_rss(shell.pid) == 0  # a process that has ended holds nothing


def test_figure_4_shows_every_seed_with_a_cached_sweep_beyond_those_it_sweeps(tmp_path: Path) -> None:
    from benchmarks import report

    results, docs = tmp_path / "results", tmp_path / "docs"
    for seed in range(4):
        write_synthetic_run(results, "Swimmer-v3", "gogepo", seed, 300_000, finished=True)
        sweep = "command,mean_return,std_return,mean_training_return,std_training_return,mean_length\n" + "".join(
            f"{command},{10 * seed},0,{10 * seed},0,1000\n" for command in np.linspace(-100, 365, 20)
        )
        (bench.run_dir(results, "Swimmer-v3", "gogepo", 300_000, seed) / report.SWEEP_FILE).write_text(sweep)
    page = report.write_report(results, docs, compute=False, sweep_seeds=2)
    shown = [line for line in page.splitlines() if line.startswith("| Swimmer-v3 (300k) | ") and line.count("|") == 6]
    assert [int(line.split(" | ")[1]) for line in shown] == [0, 1, 2, 3]
    assert shown[3].endswith("| 30.0 |")  # seed 3's best achieved return


def test_figure_3_shows_every_seed_with_a_cached_map_and_the_returns_of_its_buffer(tmp_path: Path) -> None:
    from benchmarks import report

    results, docs = tmp_path / "results", tmp_path / "docs"
    for seed in range(3):
        write_synthetic_run(results, "Swimmer-v3", "gogepo", seed, 3_000_000, finished=True)
    for seed in (0, 2):  # seed 1's final model is gone and it has no cache
        returns = np.arange(1.0, 101.0) * (seed + 1)
        np.savez(
            bench.run_dir(results, "Swimmer-v3", "gogepo", 3_000_000, seed) / report.MAP_FILE,
            buffer_xy=np.zeros((100, 2), dtype=np.float32),
            buffer_returns=returns,
            commands=np.linspace(0.0, 365.0, 20),
            stages=np.array([25, 50, 75, 100]),
            stage_xy=np.zeros((4, 20, 2), dtype=np.float32),
        )
    page = report.write_report(results, docs, compute=False, sweep_seeds=1)
    rows = [line for line in page.splitlines() if line.startswith("| Swimmer-v3 (3M) | ") and line.count("|") == 7]
    assert rows == [
        "| Swimmer-v3 (3M) | 0 | 100 | 50.5 | 90.1 | 100.0 |",
        "| Swimmer-v3 (3M) | 2 | 100 | 151.5 | 270.3 | 300.0 |",
    ]
    assert (docs / "policy_map.png").stat().st_size > 10_000


def test_older_sweep_caches_without_the_training_spread_still_count_where_the_model_is_gone(tmp_path: Path) -> None:
    from benchmarks import report

    results = tmp_path / "results"
    header = "command,mean_return,std_return,mean_training_return,mean_length\n"
    for env_id, offset in (("Swimmer-v3", 0.0), ("Hopper-v3", -1000.0)):
        write_synthetic_run(results, env_id, "gogepo", 0, 300_000, finished=True)
        rows = "".join(f"{c},{c + 1},2.0,{c + 1 + offset},1000\n" for c in np.linspace(-100, 365, 20))
        (bench.run_dir(results, env_id, "gogepo", 300_000, 0) / report.SWEEP_FILE).write_text(header + rows)
    by_env = {run.env_id: run for run in report.collect_runs(results)}
    swimmer = report.command_sweep(by_env["Swimmer-v3"], compute=False)
    assert len(swimmer) == 20 and all(row["std_training_return"] == 2.0 for row in swimmer)
    hopper = report.command_sweep(by_env["Hopper-v3"], compute=False)  # the offset changes the spread: unknown
    assert len(hopper) == 20 and all(math.isnan(row["std_training_return"]) for row in hopper)
    assert report.fidelity([by_env["Swimmer-v3"]], compute=False).command == [pytest.approx(1 / 465)]


def test_incomplete_caches_are_not_taken_for_results(tmp_path: Path) -> None:
    from benchmarks import report

    results = tmp_path / "results"
    write_synthetic_run(results, "Swimmer-v3", "gogepo", 0, 300_000, finished=True)
    folder = bench.run_dir(results, "Swimmer-v3", "gogepo", 300_000, 0)
    (folder / report.SWEEP_FILE).write_text(
        "command,mean_return,std_return,mean_training_return,std_training_return,mean_length\n"
        + "".join(f"{c},1,0,1,0,1000\n" for c in range(7))  # 7 of the 20 commands
    )
    (folder / report.FRONTIER_FILE).write_text("best_training_return,mean_training_return\n")
    (run,) = report.collect_runs(results)
    assert report.command_sweep(run, compute=False) == [] and report.frontier(run, compute=False) is None
    assert report.fidelity([run], compute=False).command == []


def test_a_tune_trial_keeps_the_yaml_entrys_command_scale_beside_its_sampled_network_sizes() -> None:
    import yaml

    from benchmarks import tune

    config = {"noise_std": 0.1, "learning_rate": 2e-6, "evaluator_learning_rate": 5e-3, "command_drive": 20.0,
              "recency_exponent": 1.1, "n_evaluator_updates": 5, "n_generator_updates": 20, "batch_size_pow": 4,
              "policy_net_arch": "tiny", "hypernetwork_net_arch": "small", "evaluator_net_arch": "tiny"}  # fmt: skip
    policy_kwargs = tune.hyperparams_of(config, MOUNTAIN_CAR)["policy_kwargs"]
    assert policy_kwargs["command_scale"] == 200.0 and policy_kwargs["n_probing_states"] == 200
    assert (policy_kwargs["net_arch"], policy_kwargs["hypernetwork_net_arch"]) == ([32, 32], [64, 64])
    assert "command_scale" not in tune.hyperparams_of(config, "Pendulum-v1")["policy_kwargs"]  # the default entry: symlog
    # The printed entry carries them too.
    entry = tune.yaml_entry(MOUNTAIN_CAR, tune.hyperparams_of(config, MOUNTAIN_CAR))
    printed = yaml.safe_load(entry.replace("<<: *paper", "n_envs: 1"))[MOUNTAIN_CAR]["policy_kwargs"]
    assert eval(printed, {"nn": th.nn}) == policy_kwargs
