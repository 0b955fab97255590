"""
Tests of the background queue of ``benchmarks/long_runs/`` (bash): which runs each core starts, in which code, in what
order, and that a SIGTERM stops the running Python (which checkpoints) and starts nothing after it.

The scripts run as they are committed, with a fake Python that logs its calls, fake queue scripts and ``$RUNS`` in a
temporary folder.
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

LONG_RUNS = Path(__file__).resolve().parent.parent / "benchmarks" / "long_runs"
#: The frozen commit of the Table 1 runs, as ``common.sh`` names it.
CODE_TABLE1 = next(
    line.split("=", 1)[1].strip()
    for line in (LONG_RUNS / "common.sh").read_text().splitlines()
    if line.startswith("CODE_TABLE1=")
)

pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("git") is None, reason="needs bash and git")

FAKE_PYTHON = """#!/bin/bash
trap 'echo "python $* stopped" >> "$EVENTS"; exit 143' TERM
echo "python $* in $PWD with PYTHONPATH=$PYTHONPATH OMP_NUM_THREADS=$OMP_NUM_THREADS" >> "$EVENTS"
sleep "${FAKE_SECONDS:-0}" & wait $!
"""


def queue_script(name: str, body: str = "") -> str:
    return f'source "$(dirname "$0")/../common.sh"\necho "{name}" >> "$EVENTS"\n{body}\n'


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    """A copy of the core scripts, with a fake ``part1.sh`` and queue: ``10_first`` fails, ``20_second`` runs Python."""
    folder = tmp_path / "long runs"  # a space: the scripts quote their paths
    (folder / "queue").mkdir(parents=True)
    for name in ("common.sh", "core1.sh", "core2.sh"):
        shutil.copy(LONG_RUNS / name, folder / name)
    (folder / "part1.sh").write_text(queue_script("part1").replace("/../common.sh", "/common.sh"))
    (folder / "queue" / "10_first.sh").write_text(queue_script("first", "exit 3"))
    (folder / "queue" / "20_second.sh").write_text(queue_script("second", 'step "$PY" second'))
    (tmp_path / "python").write_text(FAKE_PYTHON)
    (tmp_path / "python").chmod(0o755)
    (tmp_path / "runs" / "code" / CODE_TABLE1).mkdir(parents=True)  # the frozen clone, already made
    return folder


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "RUNS": str(tmp_path / "runs"),
        "PY": str(tmp_path / "python"),
        "REPO": str(tmp_path / "repo"),
        "EVENTS": str(tmp_path / "events"),
        "PYTHONPATH": "",
        "OMP_NUM_THREADS": "",
        **extra,
    }


def events(tmp_path: Path) -> list[str]:
    path = tmp_path / "events"
    return path.read_text().splitlines() if path.exists() else []


def run_core(script: Path, tmp_path: Path) -> "subprocess.CompletedProcess[str]":
    """:return: The finished run of a core script, which succeeded."""
    result = subprocess.run(["bash", script], env=environment(tmp_path), capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result


def test_the_second_core_runs_part1_then_the_queue_in_name_order_and_goes_past_a_failing_script(
    tmp_path: Path, scripts: Path
) -> None:
    result = run_core(scripts / "core2.sh", tmp_path)
    assert events(tmp_path) == ["part1", "first", "second", f"python second in {tmp_path} with PYTHONPATH= OMP_NUM_THREADS="]
    assert f"{scripts}/queue/10_first.sh exited with 3" in result.stdout
    assert result.stdout.rstrip().endswith("done")


def test_the_second_core_takes_the_authors_swimmer_seed_then_a_hopper_seed_before_ddpg(tmp_path: Path, scripts: Path) -> None:
    # core2.sh names these queue scripts first, in this order; then it goes through the whole queue in name order, where
    # each of them skips the runs it finished (here they only log).
    named = ["20_ars_3m", "40_authors_small_100k", "70_authors_swimmer_3m_seed_3", "19_gogepo_hopper_3m_range", "50_ddpg_1m"]
    for name in named:
        (scripts / "queue" / f"{name}.sh").write_text(queue_script(name))
    run_core(scripts / "core2.sh", tmp_path)
    in_name_order = ["first", "19_gogepo_hopper_3m_range", "20_ars_3m", "second"]
    assert events(tmp_path)[: 1 + len(named) + len(in_name_order)] == ["part1", *named, *in_name_order]


def test_scripts_added_to_the_queue_while_it_runs_are_run_in_name_order_once_each(tmp_path: Path, scripts: Path) -> None:
    # 10_first adds one script that sorts before it (not run yet, so next) and one between it and 20_second.
    staged = tmp_path / "staged"
    staged.mkdir()
    for name in ("05_late", "15_added"):
        (staged / f"{name}.sh").write_text(queue_script(name))
    (scripts / "queue" / "10_first.sh").write_text(queue_script("first", f'cp "{staged}"/*.sh "$(dirname "$0")"'))
    result = run_core(scripts / "core2.sh", tmp_path)
    assert events(tmp_path)[:5] == ["part1", "first", "05_late", "15_added", "second"]
    assert len(events(tmp_path)) == 6 and result.stdout.count("05_late.sh exited with 0") == 1


def test_each_start_adds_to_the_cores_logs_so_an_earlier_stretch_s_queue_stays_there(tmp_path: Path, scripts: Path) -> None:
    shutil.copy(LONG_RUNS / "start.sh", scripts / "start.sh")
    (tmp_path / "runs" / "table1").mkdir(parents=True)  # run folders there already: nothing to restore
    logs = [tmp_path / "runs" / f"{core}.out" for core in ("core1", "core2")]
    for start in (1, 2):
        result = subprocess.run(["bash", scripts / "start.sh"], env=environment(tmp_path), capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        deadline = time.monotonic() + 30
        while [queues_done(log) for log in logs] != [start, start]:  # the cores run detached: wait for both queues
            assert time.monotonic() < deadline, [log.read_text() for log in logs if log.exists()]
            time.sleep(0.05)
    for log, core in zip(logs, ("core1", "core2")):
        lines = log.read_text().splitlines()
        assert [line.split()[0] for line in lines if line.startswith("[start]")] == ["[start]", "[start]"]
        assert lines[0].endswith(f" {core}.sh") and lines[-1].endswith(" done")


def queues_done(log: Path) -> int:
    """:return: How many times a core's queue ran to its end, by its log."""
    return (
        sum(line.startswith("[queue]") and line.endswith(" done") for line in log.read_text().splitlines())
        if log.exists()
        else 0
    )


def test_the_first_core_runs_the_queue_and_a_script_runs_its_python_in_the_frozen_code_with_one_thread(
    tmp_path: Path, scripts: Path
) -> None:
    (scripts / "queue" / "30_frozen.sh").write_text(queue_script("frozen", 'use_code $CODE_TABLE1\nstep "$PY" frozen'))
    run_core(scripts / "core1.sh", tmp_path)
    frozen = tmp_path / "runs" / "code" / CODE_TABLE1
    assert events(tmp_path) == [
        "first",
        "second",
        f"python second in {tmp_path} with PYTHONPATH= OMP_NUM_THREADS=",
        "frozen",
        f"python frozen in {frozen} with PYTHONPATH={frozen} OMP_NUM_THREADS=1",
    ]


@pytest.mark.parametrize("core", ["core1.sh", "core2.sh"])
def test_a_sigterm_to_a_core_stops_the_running_python_and_starts_nothing_after_it(
    tmp_path: Path, scripts: Path, core: str
) -> None:
    (scripts / "queue" / "30_third.sh").write_text(queue_script("third"))
    process = subprocess.Popen(["bash", scripts / core], env=environment(tmp_path, FAKE_SECONDS="60"), cwd=tmp_path)
    deadline = time.monotonic() + 30
    while not any(line.startswith("python second") for line in events(tmp_path)):
        assert time.monotonic() < deadline and process.poll() is None, events(tmp_path)
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 143
    assert events(tmp_path)[-1].startswith("python second") and events(tmp_path)[-1].endswith(" stopped")
    assert "third" not in events(tmp_path)


def two_commits(repo: Path) -> str:
    """Make a repository with two commits of ``version.txt``; :return: the first one's short hash."""
    repo.mkdir()

    def git(*args: str) -> str:
        identity = ["-c", "user.name=test", "-c", "user.email=test@example.com"]
        return subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    (repo / "version.txt").write_text("first\n")
    git("add", "version.txt")
    git("commit", "-qm", "first")
    first = git("rev-parse", "--short", "HEAD")
    (repo / "version.txt").write_text("second\n")
    git("commit", "-qam", "second")
    return first


def test_the_code_of_a_commit_is_cloned_once_into_runs_code(tmp_path: Path) -> None:
    first = two_commits(tmp_path / "repo")
    command = f'source "{LONG_RUNS}/common.sh" && code {first} && code {first}'
    result = subprocess.run(["bash", "-c", command], env=environment(tmp_path), capture_output=True, text=True)
    folder = tmp_path / "runs" / "code" / first
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(folder), str(folder)]
    assert (folder / "version.txt").read_text() == "first\n"
    assert sorted(path.name for path in (tmp_path / "runs" / "code").iterdir()) == [first]  # no temporary clone left

    unknown = subprocess.run(["bash", "-c", f'source "{LONG_RUNS}/common.sh" && code 0000000'], env=environment(tmp_path))
    assert unknown.returncode != 0
    assert sorted(path.name for path in (tmp_path / "runs" / "code").iterdir()) == [first]


def test_both_cores_cloning_the_same_commit_at_once_get_one_whole_clone(tmp_path: Path) -> None:
    first = two_commits(tmp_path / "repo")
    command = f'source "{LONG_RUNS}/common.sh" && code {first}'
    cores = [
        subprocess.Popen(["bash", "-c", command], env=environment(tmp_path), stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [core.communicate(timeout=60)[0] for core in cores]
    folder = tmp_path / "runs" / "code" / first
    assert [core.returncode for core in cores] == [0, 0] and outputs == [f"{folder}\n"] * 2
    assert (folder / "version.txt").read_text() == "first\n" and not (folder / first).exists()  # not nested
    assert sorted(path.name for path in (tmp_path / "runs" / "code").iterdir()) == [first]


@pytest.mark.parametrize("started", [True, False])
def test_a_sigterm_between_starting_python_and_noting_its_pid_still_stops_it(tmp_path: Path, started: bool) -> None:
    # The moment inside step() after "$@" & and before child=$!, made to last: the signal comes in between.
    (tmp_path / "python").write_text(FAKE_PYTHON)
    (tmp_path / "python").chmod(0o755)
    launch = '"$PY" window & ' if started else ""
    command = (
        f'source "{LONG_RUNS}/common.sh"; true & wait; before=$! child=starting; {launch}'
        'sleep 0.5; kill -TERM $$; sleep 30; echo "after the signal" >> "$EVENTS"'
    )
    result = subprocess.run(["bash", "-c", command], env=environment(tmp_path, FAKE_SECONDS="60"), timeout=30)
    assert result.returncode == 143
    seen = [line.split(" in ")[0] if " in " in line else line for line in events(tmp_path)]
    assert seen == (["python window", "python window stopped"] if started else [])


def test_a_seed_the_other_core_holds_ends_an_ordered_script_without_an_error(tmp_path: Path) -> None:
    run = tmp_path / "seed_0"
    run.mkdir()

    def settle() -> "subprocess.CompletedProcess[str]":
        command = f'source "{LONG_RUNS}/common.sh"; settled "{run}"; echo "returned $?"'
        return subprocess.run(["bash", "-c", command], env=environment(tmp_path), capture_output=True, text=True)

    assert settle().stdout == "returned 1\n"  # stopped or failed: the script goes no further, with an error
    (run / "lock").write_text("host 1 2")
    held = settle()
    assert held.returncode == 0 and held.stdout == f"{run}: the other core runs it\n"
    (run / "run.json").write_text('{"finished": true}')
    assert settle().stdout == "returned 0\n"


def test_a_machine_without_run_folders_gets_the_committed_ones_once(tmp_path: Path) -> None:
    results = tmp_path / "repo" / "benchmarks" / "results"
    for path, text in {
        "Swimmer-v3/gogepo/budget_3000000/seed_5/run.json": '{"finished": false, "timesteps": 1612001}',
        "Hopper-v3/ars/budget_300000/seed_0/run.json": '{"finished": true}',
        "command_input/symlog/Swimmer-v3/gogepo/budget_300000/seed_0/run.json": '{"finished": true}',
        "fast_mode/Swimmer-v3/gogepo/budget_300000/seed_0/run.json": '{"finished": true}',
        "table1.md": "a report, not a run",
    }.items():
        (results / path).parent.mkdir(parents=True, exist_ok=True)
        (results / path).write_text(text)
    restore = f'source "{LONG_RUNS}/common.sh" && restore_runs'

    first = subprocess.run(["bash", "-c", restore], env=environment(tmp_path), capture_output=True, text=True)
    runs = tmp_path / "runs"
    assert first.returncode == 0, first.stderr
    assert sorted(path.name for path in runs.iterdir()) == ["command_input", "table1"]
    assert sorted(path.name for path in (runs / "table1").iterdir()) == ["Hopper-v3", "Swimmer-v3"]
    unfinished = runs / "table1" / "Swimmer-v3" / "gogepo" / "budget_3000000" / "seed_5" / "run.json"
    assert unfinished.read_text() == '{"finished": false, "timesteps": 1612001}'  # the runner counts its restart
    assert (runs / "command_input" / "symlog" / "Swimmer-v3" / "gogepo" / "budget_300000" / "seed_0" / "run.json").exists()

    unfinished.write_text('{"finished": false, "timesteps": 2000001}')  # the run went on from here
    again = subprocess.run(["bash", "-c", restore], env=environment(tmp_path), capture_output=True, text=True)
    assert again.returncode == 0 and again.stdout == ""
    assert unfinished.read_text() == '{"finished": false, "timesteps": 2000001}'


def test_sync_copies_the_committed_kinds_of_file_of_every_run_without_rsync(tmp_path: Path) -> None:
    runs, repo = tmp_path / "runs", tmp_path / "repo"
    run = "table1/Swimmer-v3/gogepo/budget_3000000/seed_0"
    for path in [
        f"{run}/evaluations.csv",
        f"{run}/run.json",
        f"{run}/command_sweep.csv",
        f"{run}/work/gogepo/Swimmer-v3_1/0.monitor.csv",
        f"{run}/work/gogepo/Swimmer-v3_1/progress.csv",
        f"{run}/checkpoint/model.zip",
        f"{run}/snapshots/model_50.zip",
        f"{run}/lock",
        "command_input/scale465_4_19/Swimmer-v3/gogepo/budget_3000000/seed_2/run.json",
    ]:
        (runs / path).parent.mkdir(parents=True, exist_ok=True)
        (runs / path).write_text(path)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    no_rsync = tmp_path / "bin"
    no_rsync.mkdir()
    (no_rsync / "rsync").write_text("#!/bin/sh\necho 'rsync: not installed' >&2\nexit 127\n")
    (no_rsync / "rsync").chmod(0o755)
    path = f"{no_rsync}{os.pathsep}{os.environ['PATH']}"

    result = subprocess.run(
        ["bash", LONG_RUNS / "sync.sh"], env=environment(tmp_path, PATH=path), capture_output=True, text=True
    )
    results = repo / "benchmarks" / "results"
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert sorted(str(file.relative_to(results)) for file in results.rglob("*") if file.is_file()) == [
        "Swimmer-v3/gogepo/budget_3000000/seed_0/command_sweep.csv",
        "Swimmer-v3/gogepo/budget_3000000/seed_0/evaluations.csv",
        "Swimmer-v3/gogepo/budget_3000000/seed_0/run.json",
        "Swimmer-v3/gogepo/budget_3000000/seed_0/work/gogepo/Swimmer-v3_1/0.monitor.csv",
        "command_input/scale465_4_19/Swimmer-v3/gogepo/budget_3000000/seed_2/run.json",
    ]
    assert (results / "Swimmer-v3/gogepo/budget_3000000/seed_0/run.json").read_text() == f"{run}/run.json"


def test_caches_measure_the_noise_robustness_of_finished_swimmer_runs_only(tmp_path: Path) -> None:
    # An unfinished run's cached snapshots would outlive its restart on a replaced machine (the cache keeps its rows).
    runs = tmp_path / "runs"
    for folder, finished in [
        ("table1/Swimmer-v3/gogepo/budget_3000000/seed_0", "true"),
        ("table1/Swimmer-v3/gogepo/budget_3000000/seed_5", "false"),
        ("command_input/scale465_4_19/Swimmer-v3/gogepo/budget_3000000/seed_3", "false"),
    ]:
        (runs / folder).mkdir(parents=True)
        (runs / folder / "run.json").write_text(f'{{"finished": {finished}}}')
    (tmp_path / "repo").mkdir()
    (tmp_path / "python").write_text(FAKE_PYTHON)
    (tmp_path / "python").chmod(0o755)

    result = subprocess.run(["bash", LONG_RUNS / "caches.sh"], env=environment(tmp_path), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    noise = [line for line in events(tmp_path) if line.startswith("python -m benchmarks.noise_robustness ")]
    assert len(noise) == 1 and f"{runs}/table1/Swimmer-v3/gogepo/budget_3000000/seed_0 " in noise[0]
    assert "seed_5" not in noise[0] and "seed_3" not in noise[0]
