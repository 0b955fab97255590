"""
Benchmark runner: GoGePo and the paper's baselines (ARS, DDPG) over environments x seeds, with the paper's protocol.

Every run evaluates the deterministic policy (for GoGePo: the policy generated for the best training return, no
noise) for 10 episodes every 10k steps (Swimmer, Hopper) or 1k steps (InvertedPendulum, MountainCarContinuous) on
the true environment return, and writes ``evaluations.csv`` (``timesteps, mean_return, std_return, wall_clock_s,
eval_wall_clock_s``) into its folder ``<results-dir>/<env>/<algo>/budget_<steps>/seed_<seed>/``, next to
``run.json`` (budget, protocol, hyperparameters, versions, wall-clock; ``"finished": true`` when done).

Models are built by rl-zoo3's experiment manager from this project's ``hyperparams/<algo>.yml`` (the zoo's own
parsing: ``normalize``, ``policy_kwargs``, action noise, ...; DDPG is :class:`sb3_gogepo.zoo.baselines.SpinningUpDDPG`).

Runs are resumable: every ``--checkpoint-interval`` seconds (and on SIGINT/SIGTERM) the model, GoGePo's policy buffer,
DDPG's replay buffer and ARS's ``VecNormalize`` statistics go to ``checkpoint/``; a later call resumes from there
(evaluation rows after the checkpoint are dropped and recomputed) and a finished run is skipped. A grid stopped so
exits with 128 + the signal (143 for SIGTERM) unless all its runs had finished, 0 when done. GoGePo runs also
save the generator at 25/50/75/100 % of the budget (``snapshots/``) for the report's Figure 3. ``checkpoint/``,
``snapshots/`` and ``work/`` are large and stay out of git; the CSV and ``run.json`` are committed. Keep
``--results-dir`` outside the work tree (e.g. ``~/runs/table1``) for runs that outlive a working session. A run
whose folder holds an unfinished ``run.json`` but no checkpoint (its machine was replaced: copy the committed
folder there to record it) starts again from step 0, and ``run.json`` counts it (``restarts``,
``restarted_at_timesteps``).

Examples::

    python -m benchmarks.run --algos gogepo ars ddpg --envs MountainCarContinuous-v0 --seeds 0-4 --jobs 2
    python -m benchmarks.run --algos gogepo --envs Swimmer-v3 --seeds 0 1 2 --budget reduced
    python -m benchmarks.run --algos ars --envs Hopper-v3 --seeds 0 --budget 500000
    python -m benchmarks.run --algos gogepo --envs Hopper-v3 --seeds 0 1 --budget paper --extend-from reduced
    python -m benchmarks.run --algos gogepo ars --envs swimmer --seeds 0-4 --executor ray --address auto

``--extend-from`` starts a run from the final checkpoint of the finished run with the same algorithm, environment,
seed and overrides at a smaller budget (its checkpoint, evaluations and Monitor logs are copied; ``run.json`` records
it), so a reduced-budget run grows into a paper-budget one. It is the run that the larger budget would have given
(resumed once at the smaller budget's last step) as long as nothing depends on the budget: the runner refuses
learning-rate schedules (the zoo's ``lin_``), the paper's settings use constant rates.

``--executor ray`` runs every run as a Ray Tune trial on a Ray cluster instead of child processes (the same run code,
folders and resumption; see :mod:`benchmarks.ray_executor`).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import io
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from benchmarks.common import RESULTS, ROOT, head

#: Algorithms of the benchmark.
ALGOS = ("gogepo", "ars", "ddpg")
#: Columns of ``evaluations.csv``.
CSV_COLUMNS = ("timesteps", "mean_return", "std_return", "wall_clock_s", "eval_wall_clock_s")
CSV_FILE = "evaluations.csv"
META_FILE = "run.json"
LOG_FILE = "log.txt"  # the output of a run that a parallel grid launched
#: Fractions of the budget at which GoGePo's generator is saved (:func:`snapshot_file`).
SNAPSHOT_FRACTIONS = (0.25, 0.5, 0.75, 1.0)


def snapshot_file(percent: int) -> Path:
    """:return: Where a GoGePo run keeps its model at ``percent`` % of its budget, relative to the run folder."""
    return Path("snapshots") / f"model_{percent}.zip"


@dataclasses.dataclass(frozen=True)
class EnvSetting:
    """Protocol of one environment in the paper (Section 5, Figure 4)."""

    eval_freq: int
    paper_budget: int
    reduced_budget: int
    command_range: tuple[float, float]


#: The paper's environments (their ids; importing sb3_gogepo serves the mujoco-py ids with the -v4 versions).
ENVS: dict[str, EnvSetting] = {
    "Swimmer-v3": EnvSetting(10_000, 3_000_000, 300_000, (-100.0, 365.0)),
    "Hopper-v3": EnvSetting(10_000, 3_000_000, 300_000, (-100.0, 3000.0)),
    "InvertedPendulum-v2": EnvSetting(1_000, 100_000, 100_000, (0.0, 1000.0)),
    "MountainCarContinuous-v0": EnvSetting(1_000, 100_000, 100_000, (-100.0, 100.0)),
}
#: Short names accepted on the command line.
ENV_ALIASES = {
    "swimmer": "Swimmer-v3",
    "hopper": "Hopper-v3",
    "invertedpendulum": "InvertedPendulum-v2",
    "pendulum": "InvertedPendulum-v2",
    "mountaincar": "MountainCarContinuous-v0",
    "mountaincarcontinuous": "MountainCarContinuous-v0",
}


def canonical_env(name: str) -> str:
    """:return: The paper's id for a short name (``swimmer`` -> ``Swimmer-v3``); other ids unchanged."""
    return ENV_ALIASES.get(name.lower(), name)


def yaml_entry(algo: str, env_id: str) -> dict[str, Any]:
    """:return: The env's entry (or ``default``) in ``hyperparams/<algo>.yml``, as YAML reads it."""
    from sb3_gogepo.zoo import default_config

    config = default_config(algo)
    assert config is not None, f"no hyperparams/{algo}.yml"
    with open(config) as file:
        entries = yaml.safe_load(file)
    return dict(entries.get(env_id, entries.get("default")))


def paper_budget(algo: str, env_id: str) -> int:
    """:return: ``n_timesteps`` of the env's entry (or ``default``) in ``hyperparams/<algo>.yml``."""
    return int(float(yaml_entry(algo, env_id)["n_timesteps"]))


def resolve_budget(budget: str | int, algo: str, env_id: str) -> int:
    """
    :param budget: ``"paper"`` (the YAML's ``n_timesteps``), ``"reduced"`` (:data:`ENVS`; 10 % of the paper's for
        other envs) or a number of steps.
    :return: Number of environment steps.
    """
    if isinstance(budget, int) or str(budget).replace("_", "").isdigit():
        steps = int(str(budget).replace("_", ""))
        if steps <= 0:
            raise ValueError(f"budget must be a positive number of steps, got {budget!r}")
        return steps
    if budget == "paper":
        return paper_budget(algo, env_id)
    if budget == "reduced":
        setting = ENVS.get(env_id)
        return setting.reduced_budget if setting else max(paper_budget(algo, env_id) // 10, 1)
    raise ValueError(f"budget must be 'paper', 'reduced' or a number of steps, got {budget!r}")


def default_eval_freq(env_id: str, budget: int) -> int:
    """:return: The paper's evaluation interval for the env (1 % of the budget for other envs)."""
    setting = ENVS.get(env_id)
    return setting.eval_freq if setting else max(budget // 100, 1)


@dataclasses.dataclass
class RunSpec:
    """One benchmark run."""

    algo: str
    env_id: str
    seed: int
    budget: int
    budget_name: str
    eval_freq: int
    n_eval_episodes: int = 10
    results_dir: Path = RESULTS
    #: Overrides of the YAML entry (tests: tiny networks).
    hyperparams: dict[str, Any] = dataclasses.field(default_factory=dict)
    checkpoint_interval: float = 600.0
    #: torch threads of the run (1 when runs go in parallel).
    threads: int = 1
    #: Budget of a finished run (same algo, env, seed, overrides) to start from; 0: start from scratch.
    extend_from: int = 0
    #: The torch device of the model ("cpu", "cuda", "cuda:1"); a run may resume on another device.
    device: str = "cpu"

    def __post_init__(self) -> None:
        # A spec may come from another entry point than this command line (the Ray executor, the tuner, a script).
        for name in ("budget", "eval_freq", "n_eval_episodes", "threads"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not (isinstance(self.extend_from, int) and 0 <= self.extend_from):
            raise ValueError(f"extend_from must be a budget or 0 (none), got {self.extend_from!r}")
        if not self.checkpoint_interval >= 0:
            raise ValueError(f"checkpoint_interval must be a number of seconds, 0 or more, got {self.checkpoint_interval!r}")

    @property
    def run_dir(self) -> Path:
        return run_dir(self.results_dir, self.env_id, self.algo, self.budget, self.seed)


def run_dir(results_dir: Path, env_id: str, algo: str, budget: int, seed: int) -> Path:
    """:return: Folder of one run."""
    return Path(results_dir) / env_id / algo / f"budget_{budget}" / f"seed_{seed}"


def versions() -> dict[str, str]:
    """:return: Versions of the packages, the git commit and the machine, for ``run.json``."""
    import importlib.metadata as metadata

    import torch

    found = {}
    for package in ("sb3_gogepo", "stable_baselines3", "sb3_contrib", "rl_zoo3", "gymnasium", "mujoco", "numpy"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[package] = metadata.version(package.replace("_", "-"))
    found["torch"] = torch.__version__
    found["torch_threads"] = str(torch.get_num_threads())
    found["python"] = platform.python_version()
    found["host"] = socket.gethostname()
    found["cpu"] = _cpu_model()
    if "BENCHMARK_GIT_COMMIT" in os.environ:  # a copy of the work tree without its git folder (another machine)
        found["git_commit"] = os.environ["BENCHMARK_GIT_COMMIT"]
    git_commit = head()
    if git_commit:
        found["git_commit"] = git_commit
    with contextlib.suppress(Exception):
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "sb3_gogepo"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        found["sb3_gogepo_uncommitted_changes"] = str(bool(dirty))
    return found


def device_name(device: str) -> str:
    """:return: ``device`` as ``run.json`` records it: "cpu", or the CUDA device with its model ("cuda:0 (NVIDIA H100)")."""
    import torch

    resolved = torch.device(device)
    if resolved.type != "cuda":
        return resolved.type
    index = resolved.index if resolved.index is not None else torch.cuda.current_device()
    return f"cuda:{index} ({torch.cuda.get_device_name(index)})"


def check_device(device: str) -> None:
    """:raises ValueError: naming the problem, when ``device`` is not a torch device this machine has."""
    import torch

    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"--device {device!r} is not a torch device ({error})") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {device}: this machine has no CUDA device that torch {torch.__version__} can use")
    if resolved.type == "cuda" and resolved.index is not None and resolved.index >= torch.cuda.device_count():
        raise ValueError(f"--device {device}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"--device {device}: the benchmark runs use 'cpu' or 'cuda[:N]'")


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def read_meta(path: Path) -> dict[str, Any]:
    """:return: The ``run.json`` of a run folder ({} if none)."""
    file = Path(path) / META_FILE
    return json.loads(file.read_text()) if file.is_file() else {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically (:func:`~sb3_gogepo.files.atomic_write`)."""
    from sb3_gogepo.files import atomic_write

    with atomic_write(path) as file:
        file.write((json.dumps(data, indent=1, sort_keys=True, default=str) + "\n").encode())


def read_rows(path: Path) -> list[dict[str, float]]:
    """
    :return: The rows of a CSV file of numbers (an ``evaluations.csv``) as floats. A last line without its line end is
        left out: the process was killed while appending it (a resumed run recomputes it).
    :raises ValueError: For any other incomplete or non-numeric row, naming the file and the line.
    """
    if not path.is_file():
        return []
    text = path.read_text()
    if not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    rows = []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            rows.append({key: float(value) for key, value in row.items()})
        except (TypeError, ValueError):  # a missing field is None, an extra one has the key None
            raise ValueError(f"{path}, line {line}: not a complete row of numbers: {row}") from None
    return rows


def write_rows(path: Path, rows: Sequence[dict[str, float]]) -> None:
    """Write an ``evaluations.csv`` atomically (:func:`~sb3_gogepo.files.atomic_write`)."""
    from sb3_gogepo.files import atomic_write

    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows({**row, "timesteps": int(row["timesteps"])} for row in rows)
    with atomic_write(path) as file:
        file.write(text.getvalue().encode())


def final_return(rows: Sequence[dict[str, float]], n_last: int = 20) -> float:
    """:return: The paper's final return: mean of the last ``n_last`` evaluations."""
    return float(np.mean([row["mean_return"] for row in rows[-n_last:]])) if rows else float("nan")


def reached_timesteps(folder: Path, meta: dict[str, Any]) -> int:
    """
    :param folder: A run folder.
    :param meta: Its ``run.json``.
    :return: How far the run's latest attempt got: ``run.json`` has it where the attempt stopped, ``evaluations.csv``
        where it was killed (0 for neither).
    """
    return max([int(meta.get("timesteps", 0)), *(int(row["timesteps"]) for row in read_rows(folder / CSV_FILE))])


def clear_lost_attempt(folder: Path) -> None:
    """
    Remove what a run folder holds of an attempt whose checkpoint is lost, before the run starts again from step 0:
    its evaluations, Monitor files, snapshots and every report cache made from them (command sweeps, frontier,
    policy map, noise robustness, ...). Only ``run.json``, which counts the restart, the lock and ``log.txt`` (every
    attempt appends to it, and a parallel grid opens it before the run starts) stay.

    :param folder: A run folder.
    """
    for path in folder.iterdir():
        if path.name in (META_FILE, LOG_FILE) or path.name.startswith(("lock", ".lock")):
            continue
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


#: Seconds between refreshes of a held lock's modification time (its heartbeat).
LOCK_HEARTBEAT_S = 30.0
#: A lock of another host (a shared results folder) counts as its owner's while its heartbeat is younger than this.
LOCK_STALE_S = 300.0


@contextlib.contextmanager
def run_lock(folder: Path) -> Iterator[bool]:
    """
    Hold ``folder/lock`` (yields False if another live process holds it). The lock names the host, the process and
    when it started, so that a lock left by a killed run is taken over even once its PID belongs to another process
    (where the start time cannot be read, a live PID counts as the owner). The holder refreshes the lock's
    modification time every :data:`LOCK_HEARTBEAT_S` seconds: a lock of another host, whose process cannot be looked
    up from here, is its owner's until its heartbeat is :data:`LOCK_STALE_S` seconds old.

    The lock appears with its content (a hard link to a file written first), so it is never read half-written; a
    process taking over a dead owner's lock moves it aside and puts it back if it turns out to be another one's
    fresh lock, so two processes taking over the same stale lock do not both get it.
    """
    lock = folder / "lock"
    folder.mkdir(parents=True, exist_ok=True)
    mine = f"{socket.gethostname()} {os.getpid()} {_process_start(os.getpid()) or '-'}"
    draft = folder / f".lock.{os.getpid()}.{secrets.token_hex(4)}"
    draft.write_text(mine)
    try:
        for _ in range(3):
            if not _create_lock(lock, draft, mine):
                try:
                    seen, beat = lock.read_text(), lock.stat().st_mtime
                except FileNotFoundError:
                    continue  # released meanwhile
                if _lock_owner_alive(seen.split(), time.time() - beat) or not _remove_stale_lock(lock, seen, draft):
                    yield False
                    return
                continue
            draft.unlink()
            stop = threading.Event()
            heartbeat = threading.Thread(target=_heartbeat, args=(lock, stop), name="run-lock-heartbeat", daemon=True)
            heartbeat.start()
            try:
                yield True
            finally:
                stop.set()
                heartbeat.join()
                lock.unlink(missing_ok=True)
            return
        yield False
    finally:
        draft.unlink(missing_ok=True)


def _create_lock(lock: Path, draft: Path, content: str) -> bool:
    """:return: Whether ``lock`` was created (as a hard link to ``draft``, or where links fail, exclusively)."""
    try:
        os.link(draft, lock)
        return True
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links
        try:
            descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        with os.fdopen(descriptor, "w") as file:
            file.write(content)
        return True


def _remove_stale_lock(lock: Path, stale: str, aside: Path) -> bool:
    """
    Remove ``lock`` if it still holds ``stale``; :return: whether it did (False: another process's lock, put back).
    """
    aside = aside.with_name(aside.name + ".stale")
    try:
        os.rename(lock, aside)
    except FileNotFoundError:
        return True  # another process removed it
    if aside.read_text() == stale:
        aside.unlink()
        return True
    try:
        os.link(aside, lock)  # another process's fresh lock: put it back
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        if not lock.exists():
            os.rename(aside, lock)
    aside.unlink(missing_ok=True)
    return False


def _heartbeat(lock: Path, stop: threading.Event) -> None:
    while not stop.wait(LOCK_HEARTBEAT_S):
        with contextlib.suppress(OSError):
            os.utime(lock)


def _lock_owner_alive(owner: Sequence[str], age: float) -> bool:
    """
    :param owner: The fields of a lock: host, PID and (since locks record it) the process's start time.
    :param age: Seconds since the lock's heartbeat.
    """
    if len(owner) not in (2, 3) or owner[0] != socket.gethostname():
        return age < LOCK_STALE_S  # another host's, or one being written where files cannot be linked
    try:
        pid = int(owner[1])
        os.kill(pid, 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        pass  # alive, another user's
    started = _process_start(pid)
    return len(owner) == 2 or owner[2] == "-" or started is None or started == owner[2]


def _process_start(pid: int) -> str | None:
    """:return: When a process started (Linux: clock ticks after boot, from ``/proc``), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the command name before it may hold spaces


# ---------------------------------------------------------------------------------------------------- one run


class _StopFlag:
    """Set by SIGINT/SIGTERM: checkpoint at the next step and stop."""

    requested = False
    signum = int(signal.SIGTERM)


class StopRun(Exception):
    """Raised out of ``learn`` after the stop checkpoint (ARS ignores a callback's ``False``)."""


def _request_stop(signum: int, frame: Any) -> None:
    _StopFlag.requested = True
    _StopFlag.signum = signum


def make_manager(spec: RunSpec, seed: int, trained_agent: str = "") -> Any:
    """
    The zoo's experiment manager for a run (this project's YAML, no zoo callbacks, files under ``work/``). Every
    algorithm's training and evaluation envs are :class:`~sb3_gogepo.vec_env.LeanDummyVecEnv`: the same steps as
    SB3's ``DummyVecEnv`` without its per-step deep copies.
    """
    from sb3_gogepo.vec_env import LeanDummyVecEnv
    from sb3_gogepo.zoo import GoGePoExperimentManager, default_config, register

    register()
    hyperparams = {"callback": None, **spec.hyperparams}
    manager = GoGePoExperimentManager(
        args=argparse.Namespace(benchmark=True),
        algo=spec.algo,
        env_id=spec.env_id,
        log_folder=os.fspath(spec.run_dir / "work"),
        n_timesteps=spec.budget,
        eval_freq=-1,
        save_freq=-1,
        hyperparams=hyperparams,
        trained_agent=trained_agent,
        seed=seed,
        verbose=0,
        device=spec.device,
        config=default_config(spec.algo),
        log_interval=-2,
    )
    manager.vec_env_class = LeanDummyVecEnv
    return manager


class BenchmarkCallback:
    """
    Evaluation, CSV rows, checkpoints and snapshots of one run (a factory for an SB3 callback, see :meth:`make`).
    """

    @staticmethod
    def make(runner: _Runner) -> Any:
        from stable_baselines3.common.callbacks import BaseCallback

        class _Callback(BaseCallback):
            def _on_step(self) -> bool:
                return runner.on_step()

        return _Callback()


class _Runner:
    """State of a run in progress."""

    def __init__(
        self,
        spec: RunSpec,
        model: Any,
        manager: Any,
        eval_env: Any,
        state: dict[str, Any],
        rows: list,
        report: Callable[[dict[str, float]], None] | None = None,
    ) -> None:
        self.spec = spec
        self.report = report
        self.model = model
        self.manager = manager
        self.eval_env = eval_env
        self.rows = rows
        self.wall_offset = float(state.get("wall_clock_s", 0.0))
        self.eval_s = float(state.get("eval_wall_clock_s", 0.0))
        self.checkpoint_s = float(state.get("checkpoint_wall_clock_s", 0.0))
        self.next_eval = int(state.get("next_eval", spec.eval_freq))
        self.snapshots_done = set(state.get("snapshots_done", []))
        self.resumes = int(state.get("resumes", 0))
        self.start = time.perf_counter()
        self.last_checkpoint = time.perf_counter()
        self.csv_path = spec.run_dir / CSV_FILE

    def wall_clock(self) -> float:
        return self.wall_offset + time.perf_counter() - self.start

    def on_step(self) -> bool:
        model = self.model
        if model.num_timesteps >= self.next_eval and self.next_eval <= self.spec.budget:
            while self.next_eval <= model.num_timesteps:
                self.next_eval += self.spec.eval_freq
            self.evaluate()
            self.snapshot()
            if time.perf_counter() - self.last_checkpoint > self.spec.checkpoint_interval:
                self.checkpoint()
        if _StopFlag.requested:
            self.checkpoint()
            raise StopRun
        return True

    def evaluate(self) -> None:
        from stable_baselines3.common.evaluation import evaluate_policy
        from stable_baselines3.common.vec_env import sync_envs_normalization

        begin = time.perf_counter()
        if self.model.get_vec_normalize_env() is not None:
            sync_envs_normalization(self.model.get_env(), self.eval_env)
        returns, _ = evaluate_policy(
            self.model,
            self.eval_env,
            n_eval_episodes=self.spec.n_eval_episodes,
            deterministic=True,
            return_episode_rewards=True,
            warn=False,
        )
        self.eval_s += time.perf_counter() - begin
        row = {
            "timesteps": int(self.model.num_timesteps),
            "mean_return": float(np.mean(returns)),
            "std_return": float(np.std(returns)),
            "wall_clock_s": round(self.wall_clock(), 2),
            "eval_wall_clock_s": round(self.eval_s, 2),
        }
        self.rows.append(row)
        write_rows(self.csv_path, self.rows)  # whole and atomic: a kill while writing leaves the previous rows
        if self.report is not None:
            self.report(row)

    def snapshot(self, force_final: bool = False) -> None:
        """Save GoGePo's generator at the budget fractions of :data:`SNAPSHOT_FRACTIONS` it has passed."""
        if self.spec.algo != "gogepo":
            return
        for fraction in SNAPSHOT_FRACTIONS:
            percent = round(100 * fraction)
            reached = self.model.num_timesteps >= fraction * self.spec.budget or (force_final and fraction == 1.0)
            if reached and percent not in self.snapshots_done:
                path = self.spec.run_dir / snapshot_file(percent)
                path.parent.mkdir(exist_ok=True)
                self.model.save(path)
                self.snapshots_done.add(percent)

    def checkpoint(self) -> None:
        """
        Save everything needed to resume into ``checkpoint/``: written aside into ``checkpoint.tmp/``, put on disk,
        then swapped in. A process killed at any point leaves ``checkpoint/`` or ``checkpoint.old/`` whole (the
        previous one is removed only once the new one is in place).
        """
        from sb3_gogepo.files import fsync_folder, fsync_tree

        begin = time.perf_counter()
        run = self.spec.run_dir
        tmp, final, old = run / "checkpoint.tmp", run / "checkpoint", run / "checkpoint.old"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        model = self.model
        model.save(tmp / "model.zip")
        if self.spec.algo == "gogepo":
            from sb3_gogepo.zoo import POLICY_BUFFER_FILE

            model.save_policy_buffer(tmp / POLICY_BUFFER_FILE)
        elif getattr(model, "replay_buffer", None) is not None:
            model.save_replay_buffer(tmp / "replay_buffer.pkl")
        vec_normalize = model.get_vec_normalize_env()
        if vec_normalize is not None:
            (tmp / str(self.manager.env_name)).mkdir()
            vec_normalize.save(tmp / str(self.manager.env_name) / "vecnormalize.pkl")
        state = {
            "timesteps": int(model.num_timesteps),
            "wall_clock_s": self.wall_clock(),
            "eval_wall_clock_s": self.eval_s,
            "checkpoint_wall_clock_s": self.checkpoint_s + time.perf_counter() - begin,
            "next_eval": self.next_eval,
            "n_rows": len(self.rows),
            "snapshots_done": sorted(self.snapshots_done),
            "resumes": self.resumes,
        }
        write_json(tmp / "state.json", state)
        fsync_tree(tmp)  # the pickles of SB3 and VecNormalize are written without fsync
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
        # Else a checkpoint killed between these two renames left its predecessor in checkpoint.old: keep it.
        os.replace(tmp, final)
        fsync_folder(run)
        shutil.rmtree(old, ignore_errors=True)
        self.last_checkpoint = time.perf_counter()
        self.checkpoint_s += self.last_checkpoint - begin


def _latest_checkpoint(folder: Path) -> Path | None:
    for name in ("checkpoint", "checkpoint.old"):
        candidate = folder / name
        if (candidate / "state.json").is_file() and (candidate / "model.zip").is_file():
            return candidate
    return None


def check_same_protocol(spec: RunSpec) -> None:
    """
    :raises ValueError: When the run's folder holds a run (finished or not) evaluated with another ``--eval-freq`` or
        ``--n-eval-episodes``: resuming would mix two protocols in its evaluations, and a skip would report another run.
    """
    meta = read_meta(spec.run_dir)
    for option, key, value in (
        ("--eval-freq", "eval_freq", spec.eval_freq),
        ("--n-eval-episodes", "n_eval_episodes", spec.n_eval_episodes),
    ):
        if key in meta and int(meta[key]) != value:
            raise ValueError(
                f"{spec.run_dir} holds a run evaluated with {option} {meta[key]}, not {value}: use that value, another "
                "seed or --results-dir"
            )


def check_same_overrides(spec: RunSpec) -> None:
    """
    An override that restates the value of the YAML entry counts as none, so a run made by older code with the
    setting its YAML lacked as an override, and the same run with the YAML that has it, are one run.

    :raises ValueError: When the run's folder holds a run (finished or not) made with other YAML overrides: the folder
        does not name them, so resuming would mix settings and a skip would report another run.
    """
    meta = read_meta(spec.run_dir)
    if "hyperparams_overrides" not in meta:
        return
    entry = {key: str(value) for key, value in yaml_entry(spec.algo, spec.env_id).items()}

    def changed(overrides: dict[str, str]) -> dict[str, str]:
        return {key: value for key, value in overrides.items() if entry.get(key) != value}

    overrides = {key: str(value) for key, value in spec.hyperparams.items()}
    if changed(meta["hyperparams_overrides"]) != changed(overrides):
        raise ValueError(
            f"{spec.run_dir} holds a run with overrides {meta['hyperparams_overrides']}, not {overrides}: "
            "use another seed or --results-dir"
        )


def check_same_run(spec: RunSpec) -> None:
    """:raises ValueError: When the run's folder holds a run with other overrides or another evaluation protocol."""
    check_same_overrides(spec)
    check_same_protocol(spec)


def run_one(spec: RunSpec, report: Callable[[dict[str, float]], None] | None = None) -> str:
    """
    Run (or resume, or skip) one benchmark run in this process.

    :param spec: The run.
    :param report: Called with each evaluation's row once it is in ``evaluations.csv`` (the Ray executor hands the
        rows to Ray Tune).
    :return: ``"skipped"`` (finished before), ``"busy"`` (another process runs it), ``"finished"`` or ``"stopped"``.
    """
    import torch

    torch.set_num_threads(spec.threads)
    folder = spec.run_dir
    check_same_run(spec)
    return run_once(folder, lambda: _run_locked(spec, report))


def run_once(folder: Path, run: Callable[[], str]) -> str:
    """
    Leave the run in ``folder`` if another live process holds its lock, skip it if it finished, else call ``run``
    holding the lock. Whether it finished is read under the lock, so a process that waited for another one to finish
    the run does not start it again.

    :return: ``"busy"``, ``"skipped"`` or what ``run`` returns.
    """
    with run_lock(folder) as acquired:
        if not acquired:
            print(f"[busy] {folder}: another process runs it")
            return "busy"
        if read_meta(folder).get("finished"):
            print(f"[skip] {folder}: finished")
            return "skipped"
        return run()


def check_extendable(spec: RunSpec) -> None:
    """
    :raises ValueError: When ``spec`` extends a run (``extend_from``) whose budget is not below ``spec.budget``, or,
        where its own folder holds neither a finished run nor a checkpoint, a run that is not finished with a
        checkpoint.
    """
    if spec.extend_from and spec.extend_from >= spec.budget:
        raise ValueError(f"--extend-from: budget {spec.extend_from} is not below the run's budget {spec.budget}")
    if not spec.extend_from or read_meta(spec.run_dir).get("finished") or _latest_checkpoint(spec.run_dir) is not None:
        return
    source = run_dir(spec.results_dir, spec.env_id, spec.algo, spec.extend_from, spec.seed)
    if not read_meta(source).get("finished") or _latest_checkpoint(source) is None:
        raise ValueError(f"--extend-from: {source} is not a finished run with a checkpoint")


def extend_finished_run(spec: RunSpec) -> None:
    """
    Copy the finished run at budget ``spec.extend_from`` into ``spec.run_dir`` as a checkpoint to resume from.

    :raises ValueError: when that run is not finished, has no checkpoint, used other overrides, another evaluation
        protocol or a learning-rate schedule, or its budget is not below ``spec.budget``.
    """
    check_extendable(spec)
    source = run_dir(spec.results_dir, spec.env_id, spec.algo, spec.extend_from, spec.seed)
    meta = read_meta(source)
    checkpoint = _latest_checkpoint(source)
    assert checkpoint is not None
    check_same_overrides(dataclasses.replace(spec, budget=spec.extend_from))
    try:
        check_same_protocol(dataclasses.replace(spec, budget=spec.extend_from))
    except ValueError as error:
        raise ValueError(f"--extend-from: {error}") from None
    schedules = sorted(key for key, value in meta.get("hyperparams", {}).items() if "lin_" in str(value))
    if schedules:
        raise ValueError(f"--extend-from: {source} uses schedules that depend on the budget: {schedules}")
    folder = spec.run_dir
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("checkpoint.tmp", "work"):
        shutil.rmtree(folder / name, ignore_errors=True)
    shutil.copytree(checkpoint, folder / "checkpoint.tmp")
    state = json.loads((checkpoint / "state.json").read_text())
    state["snapshots_done"] = []  # the smaller budget's fractions
    write_json(folder / "checkpoint.tmp" / "state.json", state)
    if (source / "work").is_dir():
        shutil.copytree(source / "work", folder / "work")  # Monitor files: training returns of the first part
    shutil.copyfile(source / CSV_FILE, folder / CSV_FILE)
    extended_from = {"budget": spec.extend_from, "timesteps": state["timesteps"]}
    write_json(folder / META_FILE, {"extended_from": extended_from, "devices": meta.get("devices", ["cpu"])})
    os.replace(folder / "checkpoint.tmp", folder / "checkpoint")


def _run_locked(spec: RunSpec, report: Callable[[dict[str, float]], None] | None = None) -> str:
    folder = spec.run_dir
    checkpoint = _latest_checkpoint(folder)
    if checkpoint is None and spec.extend_from:
        extend_finished_run(spec)
        checkpoint = _latest_checkpoint(folder)
    state: dict[str, Any] = json.loads((checkpoint / "state.json").read_text()) if checkpoint else {}
    previous = read_meta(folder)
    restarted_at = [int(steps) for steps in previous.get("restarted_at_timesteps", [])]
    reached = reached_timesteps(folder, previous)
    if checkpoint is None and reached > 0:
        # An earlier attempt got this far, but its checkpoint is gone (another machine): the run starts again.
        restarted_at.append(reached)
        print(f"[restart] {folder}: the checkpoint of the attempt at {reached} steps is missing")
    if checkpoint is None:
        clear_lost_attempt(folder)
        rows: list[dict[str, float]] = []
    else:
        state["resumes"] = int(state.get("resumes", 0)) + 1
        rows = read_rows(folder / CSV_FILE)[: int(state["n_rows"])]
        write_rows(folder / CSV_FILE, rows)
    resumes = int(state.get("resumes", 0))
    # A resumed run continues with fresh random streams (seed + 10007 * resumes), not those of its first part.
    seed = spec.seed + 10007 * resumes
    manager = make_manager(spec, seed, os.fspath(checkpoint / "model.zip") if checkpoint else "")
    model, saved_hyperparams = manager.setup_experiment()
    eval_env = manager.create_envs(1, eval_env=True)
    eval_env.seed(seed + 1_000_000)
    if checkpoint is not None:
        # The fresh env must be reset (the model file holds the last observation): the episode in progress is lost.
        model.set_env(model.get_env(), force_reset=True)  # type: ignore[arg-type]
        print(f"[resume] {folder} from {state['timesteps']} steps ({checkpoint.name})")
    else:
        print(f"[start] {folder}")
    meta = {
        "algo": spec.algo,
        "env_id": spec.env_id,
        "seed": spec.seed,
        "budget": spec.budget,
        "budget_name": spec.budget_name,
        "eval_freq": spec.eval_freq,
        "n_eval_episodes": spec.n_eval_episodes,
        "hyperparams": {key: str(value) for key, value in saved_hyperparams.items()},
        "hyperparams_overrides": {key: str(value) for key, value in spec.hyperparams.items()},
        "versions": versions(),
        "finished": False,
        "resumes": resumes,
        "restarts": len(restarted_at),
        "restarted_at_timesteps": restarted_at,
    }
    if checkpoint is not None:  # until this attempt stops, the run stands where its checkpoint does
        meta.update(timesteps=int(state["timesteps"]), wall_clock_s=round(float(state["wall_clock_s"]), 1))
    if checkpoint is None:
        # A run that starts again owns all its steps: the lost attempt's progress is only in restarted_at_timesteps.
        for key in ("extended_from", "timesteps", "wall_clock_s"):
            previous.pop(key, None)
    elif "extended_from" in previous:
        meta["extended_from"] = previous["extended_from"]
    device = device_name(spec.device)
    meta["device"] = device
    # The devices of this attempt and of the earlier parts it continues (runs from before --device ran on the CPU).
    earlier = previous.get("devices", ["cpu"]) if checkpoint is not None else []
    meta["devices"] = list(dict.fromkeys([*earlier, device]))
    write_json(folder / META_FILE, {**previous, **meta})
    runner = _Runner(spec, model, manager, eval_env, state, rows, report)
    runner.resumes = resumes
    remaining = spec.budget - int(model.num_timesteps)
    if remaining > 0:
        with contextlib.suppress(StopRun):
            model.learn(
                remaining,
                callback=BenchmarkCallback.make(runner),
                reset_num_timesteps=checkpoint is None,
                log_interval=None if spec.algo == "gogepo" else 1_000_000,
            )
    if model.num_timesteps < spec.budget:
        meta.update(timesteps=int(model.num_timesteps), wall_clock_s=round(runner.wall_clock(), 1))
        write_json(folder / META_FILE, meta)
        print(f"[stopped] {folder} at {model.num_timesteps} steps")
        return "stopped"
    if not runner.rows:
        runner.evaluate()  # budget below one evaluation interval
    runner.snapshot(force_final=True)
    runner.checkpoint()
    meta.update(
        finished=True,
        timesteps=int(model.num_timesteps),
        n_evaluations=len(runner.rows),
        wall_clock_s=round(runner.wall_clock(), 1),
        eval_wall_clock_s=round(runner.eval_s, 1),
        checkpoint_wall_clock_s=round(runner.checkpoint_s, 1),
        threads=spec.threads,
        final_return=final_return(runner.rows),
        finished_at=time.strftime("%Y-%m-%d %H:%M:%S"),
        # Wall-clocks depend on what else ran: the 1/5/15-minute load averages of the machine at the end.
        load_average_at_finish=[round(value, 2) for value in os.getloadavg()],
    )
    write_json(folder / META_FILE, meta)
    model.get_env().close()
    eval_env.close()
    print(
        f"[done] {folder}: final return {meta['final_return']:.1f} (mean of last 20 evaluations), {meta['wall_clock_s']:.0f} s"
    )
    return "finished"


# ---------------------------------------------------------------------------------------------------- many runs


def parse_seeds(values: Sequence[str]) -> list[int]:
    """
    ``["0-2", "5"]`` -> ``[0, 1, 2, 5]``.

    :raises ValueError: For a part that is not a seed (a non-negative integer) or a range of them (``low-high``,
        ``low <= high``).
    """
    seeds: list[int] = []
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            low, dash, high = (text.strip() for text in part.partition("-"))
            if not (low.isdigit() and (high.isdigit() if dash else True)):
                raise ValueError(f"seeds are non-negative integers or ranges like 0-4, got {part!r}")
            if dash and int(high) < int(low):
                raise ValueError(f"the range {part!r} holds no seed (write it low-high)")
            seeds += range(int(low), int(high) + 1) if dash else [int(low)]
    if not seeds:
        raise ValueError(f"no seed in {list(values)}")
    return seeds


def parse_hyperparams(values: Sequence[str]) -> dict[str, Any]:
    """
    ``["n_delta:2", "policy_kwargs:dict(net_arch=[8])"]`` -> a dict (YAML values; strings as the zoo's). ``None`` is
    None, as in the zoo's ``--hyperparams``, which reads values as Python (YAML reads it as a string).

    :raises ValueError: For an override without a ``key:value`` form.
    """
    result = {}
    for value in values:
        key, colon, text = value.partition(":")
        if not key or not colon:
            raise ValueError(f"overrides are key:value, got {value!r}")
        result[key] = None if text.strip() == "None" else yaml.safe_load(text)
    return result


#: Keys of a YAML entry that the zoo's experiment manager takes itself; the others go to the algorithm's constructor.
ZOO_KEYS = frozenset(
    {
        "n_timesteps",
        "policy",
        "n_envs",
        "normalize",
        "frame_stack",
        "env_wrapper",
        "vec_env_wrapper",
        "callback",
        "monitor_kwargs",
        "env_kwargs",
        "noise_type",
        "noise_std",
    }
)


#: Constructor keywords the zoo's experiment manager (or the runner) sets itself: an override of one would be given twice.
MANAGER_KEYS = frozenset({"self", "env", "seed", "device", "verbose", "tensorboard_log", "_init_setup_model"})


def constructor_keys(algo: str) -> frozenset[str]:
    """:return: The keywords the algorithm's constructor takes (through ``**kwargs`` to its parents too)."""
    import inspect

    from rl_zoo3 import ALGOS as ZOO_ALGOS

    from sb3_gogepo.zoo import register

    register()
    keys: set[str] = set()
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    for cls in ZOO_ALGOS[algo].__mro__:
        if "__init__" not in vars(cls):
            continue
        parameters = inspect.signature(vars(cls)["__init__"]).parameters.values()
        keys |= {parameter.name for parameter in parameters if parameter.kind in named}
        if not any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
            break
    return frozenset(keys - MANAGER_KEYS)


def check_arguments(args: argparse.Namespace) -> None:
    """
    Check what a command line asks for before any run starts, so that a grid does not stop at its first bad run after
    hours of good ones.

    :raises ValueError: Naming the option: an env id that is not registered, a budget or override an algorithm does not
        take, seeds that are not seeds, a run to extend that is not there to extend.
    """
    import gymnasium as gym

    try:
        parse_seeds(args.seeds)
    except ValueError as error:
        raise ValueError(f"--seeds: {error}") from None
    try:
        overrides = parse_hyperparams(args.hyperparams)
    except ValueError as error:
        raise ValueError(f"--hyperparams: {error}") from None
    for algo in args.algos:
        unknown = sorted(set(overrides) - ZOO_KEYS - constructor_keys(algo))
        if unknown:
            raise ValueError(f"--hyperparams: {algo} takes no {', '.join(unknown)} (run one --algos per set of overrides)")
    for env in args.envs:
        env_id = canonical_env(env)
        try:
            gym.spec(env_id)
        except gym.error.Error as error:
            raise ValueError(
                f"--envs: {env!r} is neither a registered env id nor a short name ({', '.join(ENV_ALIASES)}): {error}"
            ) from None
        for algo in args.algos:
            for option, budget in (("--budget", args.budget), ("--extend-from", _extend_from(args))):
                if budget:
                    try:
                        resolve_budget(budget, algo, env_id)
                    except ValueError as error:
                        raise ValueError(f"{option}: {error}") from None
    if _extend_from(args):
        for spec in build_specs(args):
            check_extendable(spec)


def _extend_from(args: argparse.Namespace) -> str:
    """:return: ``--extend-from``, or ``""`` where it names no budget (``0`` as well as nothing)."""
    return "" if str(args.extend_from).replace("_", "") in ("", "0") else str(args.extend_from)


def build_specs(args: argparse.Namespace) -> list[RunSpec]:
    """:return: The runs of a command line (in order: env, seed, algo)."""
    specs = []
    extend_from = _extend_from(args)
    for env in args.envs:
        env_id = canonical_env(env)
        for seed in parse_seeds(args.seeds):
            for algo in args.algos:
                budget = resolve_budget(args.budget, algo, env_id)
                specs.append(
                    RunSpec(
                        algo=algo,
                        env_id=env_id,
                        seed=seed,
                        budget=budget,
                        budget_name=str(args.budget),
                        eval_freq=args.eval_freq or default_eval_freq(env_id, budget),
                        n_eval_episodes=args.n_eval_episodes,
                        results_dir=Path(args.results_dir),
                        hyperparams=parse_hyperparams(args.hyperparams),
                        checkpoint_interval=args.checkpoint_interval,
                        threads=args.threads,
                        extend_from=resolve_budget(extend_from, algo, env_id) if extend_from else 0,
                        device=args.device,
                    )
                )
    return specs


def spec_arguments(spec: RunSpec, args: argparse.Namespace) -> list[str]:
    """:return: The command line that runs one spec in a child process."""
    arguments = [
        "--algos",
        spec.algo,
        "--envs",
        spec.env_id,
        "--seeds",
        str(spec.seed),
        "--budget",
        str(args.budget),
        "--results-dir",
        os.fspath(spec.results_dir),
        "--n-eval-episodes",
        str(spec.n_eval_episodes),
        "--checkpoint-interval",
        str(spec.checkpoint_interval),
        "--jobs",
        "1",
        "--threads",
        "1",
        "--device",
        spec.device,
    ]
    if args.eval_freq:
        arguments += ["--eval-freq", str(args.eval_freq)]
    if args.hyperparams:
        arguments += ["--hyperparams", *args.hyperparams]
    if _extend_from(args):
        arguments += ["--extend-from", _extend_from(args)]
    return arguments


def run_parallel(specs: Sequence[RunSpec], args: argparse.Namespace) -> list[int]:
    """Run specs in ``args.jobs`` child processes (one torch thread each); logs go to ``<run>/log.txt``."""
    children: set[subprocess.Popen] = set()
    stopping: list[int] = []

    def forward(signum: int, frame: Any) -> None:
        stopping.append(signum)  # runs not yet launched are not started
        for child in list(children):
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def launch(spec: RunSpec) -> int:
        if stopping:
            print(f"[not started] {spec.run_dir}: the grid was asked to stop", flush=True)
            return 128 + stopping[0]
        try:
            check_same_run(spec)
        except ValueError as error:
            print(f"[refused] {error}", flush=True)
            return 1
        if read_meta(spec.run_dir).get("finished"):
            print(f"[skip] {spec.run_dir}: finished", flush=True)
            return 0
        spec.run_dir.mkdir(parents=True, exist_ok=True)
        with open(spec.run_dir / LOG_FILE, "a") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.run", *spec_arguments(spec, args)],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            children.add(child)
            print(f"[launch] {spec.run_dir} (pid {child.pid})", flush=True)
            code = child.wait()
            code = 128 - code if code < 0 else code  # killed by a signal: the shell's status for it
            children.discard(child)
        meta = read_meta(spec.run_dir)
        status = "finished" if meta.get("finished") else "stopped" if stopping else f"exit {code}"
        extra = f", final return {meta['final_return']:.1f}, {meta['wall_clock_s']:.0f} s" if meta.get("finished") else ""
        print(f"[{status}] {spec.run_dir}{extra}", flush=True)
        return code

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        return list(pool.map(launch, specs))


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a positive integer, got 0")
    return value


def non_negative_int(text: str) -> int:
    """An argparse type: an integer of at least 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def seconds(text: str) -> float:
    """An argparse type: a number of seconds, 0 or more (``inf`` included)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, 0 or more, got {text!r}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--algos", nargs="+", default=list(ALGOS), choices=ALGOS)
    parser.add_argument("--envs", nargs="+", default=["MountainCarContinuous-v0"], help="ids or short names")
    parser.add_argument("--seeds", nargs="+", default=["0"], help="seeds, ranges like 0-4")
    parser.add_argument("--budget", default="paper", help="'paper' (YAML n_timesteps), 'reduced', or a number of steps")
    parser.add_argument("--jobs", type=positive_int, default=1, help="runs in parallel (child processes, 1 torch thread each)")
    parser.add_argument("--threads", type=positive_int, default=1, help="torch threads of a run when --jobs is 1")
    parser.add_argument("--results-dir", default=os.fspath(RESULTS))
    parser.add_argument(
        "--eval-freq", type=non_negative_int, default=0, help="override the paper's evaluation interval (0: the paper's)"
    )
    parser.add_argument("--n-eval-episodes", type=positive_int, default=10)
    parser.add_argument(
        "--checkpoint-interval",
        type=seconds,
        default=600.0,
        help="seconds between checkpoints (0: at every evaluation; inf: only when stopped and at the end)",
    )
    parser.add_argument("--hyperparams", nargs="*", default=[], help="overrides of the YAML entry, key:value")
    parser.add_argument(
        "--device", default="cpu", help="torch device of the models: cpu, cuda or cuda:N (recorded in run.json)"
    )
    parser.add_argument(
        "--extend-from", default="", help="budget ('reduced' or steps) of finished runs to continue instead of starting anew"
    )
    ray = parser.add_argument_group("Ray executor (pip install -e '.[distributed]')")
    ray.add_argument(
        "--executor", default="local", choices=("local", "ray"), help="local: child processes (--jobs); ray: Ray Tune trials"
    )
    ray.add_argument("--address", default=None, help="Ray cluster to join ('auto', HOST:PORT); default: start one here")
    ray.add_argument("--storage-path", default=None, help="Ray Tune's experiment folder (default: <results-dir>/ray_tune)")
    ray.add_argument("--cpus-per-run", type=positive_int, default=1, help="CPUs (and torch threads) of each run")
    args = parser.parse_args(argv)
    try:
        check_device(args.device)
        check_arguments(args)
    except ValueError as error:
        parser.error(str(error))
    if args.executor == "ray" and args.device != "cpu":
        parser.error("--device: the Ray executor runs on CPUs only (its trials request no GPUs)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    specs = build_specs(args)
    if args.executor == "ray":
        from benchmarks.ray_executor import run_grid

        return run_grid(specs, address=args.address, storage_path=args.storage_path, cpus_per_run=args.cpus_per_run)
    if args.jobs > 1:
        # A failure's 1 before a stop's 128 + the signal (the shell's status for a process the signal ended).
        return min((code for code in run_parallel(specs, args) if code), default=0)
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    for spec in specs:
        run_one(spec)
        if _StopFlag.requested:
            break
    if _StopFlag.requested and not all(read_meta(spec.run_dir).get("finished") for spec in specs):
        return 128 + _StopFlag.signum  # stopped at a checkpoint, not done: a scheduler can tell the two apart
    return 0


if __name__ == "__main__":
    sys.exit(main())
