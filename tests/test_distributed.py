"""
Beyond one machine: benchmark grids and hyperparameter searches on a real Ray cluster (started on 127.0.0.1 for these
tests), and several zoo processes sharing one Optuna study.

Marked ``distributed`` and deselected by default: ``pip install -e ".[distributed]"``, then ``pytest -m distributed``.
"""

import csv
import dataclasses
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
import yaml

from benchmarks import run as bench
from sb3_gogepo import GoGePo
from sb3_gogepo.train import main as train
from sb3_gogepo.zoo import HYPERPARAMS_DIR

pytestmark = [pytest.mark.distributed, pytest.mark.filterwarnings("ignore::UserWarning")]
if importlib.util.find_spec("ray") is None:
    pytest.skip("needs the distributed extra: pip install -e '.[distributed]'", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
MOUNTAIN_CAR = "MountainCarContinuous-v0"
#: Two algorithms x two seeds, a tiny budget (the paper's settings otherwise).
GRID = ["--algos", "gogepo", "ars", "--envs", MOUNTAIN_CAR, "--seeds", "0-1", "--budget", "2000", "--eval-freq", "1000",
        "--n-eval-episodes", "1"]  # fmt: skip
#: Fields of ``run.json`` that the executor must not change (the others are wall-clocks and the machine's load).
SAME_META = ("algo", "env_id", "seed", "budget", "budget_name", "eval_freq", "n_eval_episodes", "hyperparams",
             "hyperparams_overrides", "finished", "resumes", "timesteps", "n_evaluations", "threads",
             "final_return")  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclasses.dataclass
class Cluster:
    """A Ray cluster for the tests: its address, and the environment of the processes that join it."""

    address: str
    environment: dict[str, str]

    def run(self, module: str, *arguments: str) -> subprocess.CompletedProcess:
        """Run ``python -m module arguments`` as a user would, joining the cluster (``--address``)."""
        command = [sys.executable, "-m", module, *arguments, "--address", self.address]
        return subprocess.run(command, cwd=ROOT, env=self.environment, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Cluster]:
    """
    A Ray cluster of 2 CPUs on 127.0.0.1 (``ray start --head --block``, stopped after the tests).

    The processes that join it use a token of its own, the loopback address (Ray would otherwise replace 127.0.0.1 with
    the machine's network address) and no usage statistics. Grids and searches run in their own processes, as users
    run them: this one never imports Ray.
    """
    temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths live under it
    token = Path(temp_dir) / "auth_token"
    token.write_text(secrets.token_hex(32))
    environment = {
        **os.environ,
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token),
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # this node's address for "127.0.0.1" stays 127.0.0.1
    }
    port = free_port()
    log = Path(temp_dir) / "head.log"
    command = [str(Path(sys.executable).parent / "ray"), "start", "--head", "--block", f"--port={port}",
               "--node-ip-address=127.0.0.1", "--num-cpus=2", "--object-store-memory=100000000",
               "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp_dir}"]  # fmt: skip
    with open(log, "w") as output:
        head = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=environment, cwd=ROOT)
    try:
        deadline = time.monotonic() + 180
        while "Ray runtime started" not in log.read_text():
            assert head.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        yield Cluster(f"127.0.0.1:{port}", environment)
    finally:
        head.send_signal(signal.SIGTERM)  # --block: stops the processes it started
        try:
            head.wait(timeout=120)
        except subprocess.TimeoutExpired:
            head.kill()
        shutil.rmtree(temp_dir, ignore_errors=True)


def csv_columns(path: Path, *columns: str) -> list[tuple[str, ...]]:
    """:return: The CSV's values in these columns, as written (text, so equal means bit for bit)."""
    with open(path, newline="") as file:
        return [tuple(row[column] for column in columns) for row in csv.DictReader(file)]


def files_of(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def test_a_grid_on_ray_writes_what_the_local_executor_writes(tmp_path: Path, ray_cluster: Cluster) -> None:
    local, distributed = tmp_path / "local", tmp_path / "ray"
    for spec in bench.build_specs(bench.parse_args([*GRID, "--results-dir", str(local)])):
        assert bench.run_one(spec) == "finished"
    grid = ray_cluster.run("benchmarks.run", *GRID, "--results-dir", str(distributed), "--executor", "ray")
    assert grid.returncode == 0, grid.stdout[-3000:] + grid.stderr[-3000:]

    specs = bench.build_specs(bench.parse_args(GRID))
    assert len(specs) == 4
    for spec in specs:
        folders = [bench.run_dir(results, spec.env_id, spec.algo, spec.budget, spec.seed) for results in (local, distributed)]
        assert files_of(folders[0]) == files_of(folders[1])  # run.json, evaluations.csv, checkpoint, snapshots, Monitor files
        metas = [bench.read_meta(folder) for folder in folders]
        assert set(metas[0]) == set(metas[1])
        assert {key: metas[0][key] for key in SAME_META} == {key: metas[1][key] for key in SAME_META}
        assert metas[1]["finished"] and metas[1]["threads"] == 1
        returns = [csv_columns(folder / bench.CSV_FILE, "timesteps", "mean_return", "std_return") for folder in folders]
        assert returns[0] == returns[1] and [row[0] for row in returns[1]] == ["1000", "2000"]

    # Tune saw each evaluation as it came: a trial per run, a row per evaluation, TensorBoard events
    (experiment,) = (distributed / "ray_tune").glob("grid-*")
    trials = sorted(path for path in experiment.iterdir() if path.is_dir())
    assert [trial.name for trial in trials] == sorted(
        bench.run_dir(Path(), spec.env_id, spec.algo, spec.budget, spec.seed).as_posix().replace("/", "_") for spec in specs
    )
    for trial in trials:
        assert [row[0] for row in csv_columns(trial / "progress.csv", "timesteps")] == ["1000", "2000"]
        assert list(trial.glob("events.out.tfevents.*"))


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_grid_resumes_with_no_run_done_twice_and_no_evaluation_lost(
    tmp_path: Path, ray_cluster: Cluster, stop: signal.Signals
) -> None:
    grid = ["--algos", "gogepo", "ars", "--envs", MOUNTAIN_CAR, "--seeds", "0-1", "--budget", "10000", "--eval-freq", "1000",
            "--n-eval-episodes", "1", "--checkpoint-interval", "0", "--results-dir", str(tmp_path),
            "--executor", "ray"]  # fmt: skip
    command = [sys.executable, "-m", "benchmarks.run", *grid, "--address", ray_cluster.address]
    folders = [spec.run_dir for spec in bench.build_specs(bench.parse_args(grid))]
    expected = [str(step) for step in range(1000, 10001, 1000)]

    def state() -> tuple[list[Path], list[Path]]:
        finished = [folder for folder in folders if bench.read_meta(folder).get("finished")]
        started = [folder for folder in folders if (folder / "checkpoint").is_dir() and folder not in finished]
        return finished, started

    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = subprocess.Popen(command, cwd=ROOT, env=ray_cluster.environment, **quiet)  # type: ignore[call-overload]
    deadline = time.monotonic() + 600
    while not all(state()):  # at least one run finished and another one part-way (checkpointed)
        assert driver.poll() is None and time.monotonic() < deadline, "the grid ended before it could be interrupted"
        time.sleep(0.1)
    driver.send_signal(stop)
    code = driver.wait(timeout=120)
    # A SIGTERM stops it as Ctrl-C does, with the signal's status; before, Ray's handler exited in Tune's loop (15, or 134).
    assert code == (-signal.SIGKILL if stop == signal.SIGKILL else 128 + signal.SIGTERM)
    finished_before, _ = state()
    metas_before = {folder: (folder / bench.META_FILE).read_bytes() for folder in finished_before}

    restored = ray_cluster.run("benchmarks.run", *grid)
    assert restored.returncode == 0, restored.stdout[-5000:] + restored.stderr[-5000:]
    assert "[ray] restoring" in restored.stdout
    output = restored.stdout + restored.stderr
    for folder in folders:
        meta = bench.read_meta(folder)
        assert meta["finished"] and meta["n_evaluations"] == 10
        assert [row[0] for row in csv_columns(folder / bench.CSV_FILE, "timesteps")] == expected  # none lost, none twice
    for folder in finished_before:  # not run again: run.json as it was, no start or resume after the restore
        assert (folder / bench.META_FILE).read_bytes() == metas_before[folder]
        assert f"[start] {folder}\n" not in output and f"[resume] {folder} " not in output
    assert any(bench.read_meta(folder)["resumes"] == 1 for folder in set(folders) - set(finished_before))


def test_an_optuna_search_on_ray_returns_a_configuration_that_builds_a_working_gogepo(
    tmp_path: Path, ray_cluster: Cluster
) -> None:
    searched = ray_cluster.run("benchmarks.tune", "--env", MOUNTAIN_CAR, "--trials", "4", "--budget", "2000", "--eval-freq",
                               "500", "--n-eval-episodes", "1", "--results-dir", str(tmp_path))  # fmt: skip
    assert searched.returncode == 0, searched.stdout[-3000:] + searched.stderr[-3000:]
    printed = searched.stdout.split("as an entry of hyperparams/gogepo.yml:\n")[1]
    assert "best of 4 trials" in printed
    (experiment,) = (tmp_path / "ray_tune").iterdir()
    assert len([trial for trial in experiment.iterdir() if trial.is_dir()]) == 4

    # The printed entry, put in place of the environment's entry of hyperparams/gogepo.yml, trains that GoGePo
    config = tmp_path / "gogepo.yml"
    untuned = (HYPERPARAMS_DIR / "gogepo.yml").read_text().replace(f"\n{MOUNTAIN_CAR}:\n", f"\n{MOUNTAIN_CAR}-untuned:\n")
    config.write_text(untuned + "\n" + printed)
    entry = yaml.safe_load(config.read_text())[MOUNTAIN_CAR]
    sampled = {"noise_std", "learning_rate", "evaluator_learning_rate", "command_drive", "recency_exponent",
               "n_evaluator_updates", "n_generator_updates", "batch_size", "policy_kwargs"}  # fmt: skip
    assert sampled <= set(entry) and entry["n_timesteps"] == 1e5
    logs = tmp_path / "logs"
    train(["--algo", "gogepo", "--env", MOUNTAIN_CAR, "-conf", str(config), "-n", "1000", "--seed", "0", "--num-threads", "1",
           "-f", str(logs), "--eval-freq", "-1"])  # fmt: skip
    model = GoGePo.load(logs / "gogepo" / f"{MOUNTAIN_CAR}_1" / f"{MOUNTAIN_CAR}.zip")
    assert model.num_timesteps == 1000 and model.noise_std == entry["noise_std"] and model.batch_size == entry["batch_size"]
    assert entry["policy_kwargs"].startswith(f"dict(net_arch={model.policy.net_arch}, ")
    action, _ = model.predict(model.observation_space.sample())
    assert model.action_space.contains(action)


def test_zoo_processes_share_one_optuna_study_through_a_journal_file(tmp_path: Path) -> None:
    journal = tmp_path / "study.log"

    def optimize(seed: int) -> subprocess.Popen:
        command = [sys.executable, "-m", "sb3_gogepo.train", "--algo", "gogepo", "--env", "Pendulum-v1", "-optimize",
                   "--storage", str(journal), "--study-name", "shared", "--n-trials", "1", "-n", "400", "--n-evaluations",
                   "1", "--eval-episodes", "1", "--no-optim-plots", "--sampler", "random", "--pruner", "none", "--seed",
                   str(seed), "--num-threads", "1", "-f", str(tmp_path / f"logs_{seed}")]  # fmt: skip
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    processes = [optimize(seed) for seed in (0, 1)]  # at the same time, on one journal
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs

    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(journal)))  # type: ignore[attr-defined]
    study = optuna.load_study(study_name="shared", storage=storage)
    assert [trial.state for trial in study.trials] == [optuna.trial.TrialState.COMPLETE] * 2
    # each process ran one trial of the shared study (Optuna logs "Trial <number> finished" in the process that ran it)
    ran = [{trial.number for trial in study.trials if f"Trial {trial.number} finished" in output} for output in outputs]
    assert sorted(map(len, ran)) == [1, 1] and ran[0] != ran[1]
