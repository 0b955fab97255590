"""
The authors' training script (IDSIA/GoGePo ``gogepo.py``, unchanged) as a benchmark run, seeded and logged like ours.

    python -m benchmarks.authors_script --authors-code /path/to/GoGePo --env Swimmer-v3 --seed 0 --timesteps 300000

Their script runs in this process (:class:`benchmarks.authors_code.AuthorsScript`, gym shim over gymnasium, v3 ids
served by v4). Between its set-up and its training loop only ``config["max_timesteps"]`` is set to ``--timesteps``
(and ``config["ts_evaluation"]`` to ``--eval-freq`` if given); everything else is theirs: its hyperparameters, its
evaluation (every ``ts_evaluation`` steps, 10 episodes of ``G(best training return)`` on a second environment), its
command sweeps every ``ts_evaluation_generator`` steps.

Seeding: their script seeds torch and NumPy with ``--seed`` but neither Python's ``random`` (which draws their replay
buffer's samples) nor the environments. Here ``random``, NumPy and torch are seeded with ``--seed`` before it runs,
the training environment's first reset with ``--seed`` and the test environment's with ``--seed + 1_000_000`` (later
resets continue each environment's random stream), so a run can be repeated.

Output, in the layout of ``benchmarks.run``: ``<results-dir>/<env>/authors/budget_<steps>/seed_<seed>/`` with
``evaluations.csv`` (``timesteps, mean_return, std_return, wall_clock_s, eval_wall_clock_s``; a row is written at each
of their evaluations, from the returns of the test environment's episodes), ``run.json`` (``"finished": true`` when
done), ``training_episodes.csv`` (every training episode's true return and length), ``log.txt`` (what their script
prints) and ``snapshots/authors_state_<pct>.pt`` at 25/50/75/100 % of the budget (their generator, actor-critic and
statistics, for ``benchmarks.noise_robustness``; large, not committed).

Runs are resumable (:mod:`benchmarks.authors_checkpoint`): between two of their episodes, every
``--checkpoint-interval`` seconds and on SIGINT/SIGTERM, the script's state goes to ``checkpoint/``, and a later call
on the unfinished run continues from there (``resumes`` in ``run.json``) and repeats what an uninterrupted run does.
An unfinished run without a checkpoint starts again and is counted in ``restarts``.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import shutil
import signal
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch as th

from benchmarks.authors_checkpoint import CHECKPOINT_FILE, load_state, save_snapshot, save_state, snapshot_file
from benchmarks.authors_code import ENV_SEED_STRIDE, AuthorsScript, authors_commit, check_authors_code, install_gym_shim
from benchmarks.common import RESULTS
from benchmarks.run import (
    CSV_FILE,
    META_FILE,
    SNAPSHOT_FRACTIONS,
    canonical_env,
    clear_lost_attempt,
    final_return,
    reached_timesteps,
    read_meta,
    run_dir,
    run_once,
    versions,
    write_json,
    write_rows,
)
from sb3_gogepo.files import atomic_write

#: Algorithm folder of these runs.
ALGO = "authors"
#: Default results folder: beside Table 1's runs, in a subfolder ``benchmarks.report`` does not read.
DEFAULT_RESULTS_DIR = RESULTS / "authors_script"
#: Environments their script accepts (``--env_name`` choices).
ENV_IDS = ("Swimmer-v3", "Hopper-v3", "InvertedPendulum-v2", "MountainCarContinuous-v0")
EPISODES_FILE = "training_episodes.csv"


class _Recorder:
    """Wraps the script's ``evaluate`` (and its command sweeps) to write evaluation rows and time them."""

    def __init__(self, namespace: dict[str, Any], shim_envs: list[Any], folder: Path) -> None:
        self.namespace = namespace
        self.train_env, self.test_env = shim_envs
        self.folder = folder
        self.rows: list[dict[str, float]] = []
        self.start = time.perf_counter()
        self.eval_s = 0.0
        self.sweep_s = 0.0
        self.checkpoint_s = 0.0
        self.episodes_written = 0
        evaluate, sweep, sweep_offline = (
            namespace[name] for name in ("evaluate", "evaluate_behavior", "evaluate_behavior_offline")
        )

        def recorded_evaluate(policy_params: Any, log: bool = True, n_eval: int = 10) -> Any:
            if not log:  # an episode of a command sweep
                return evaluate(policy_params, log, n_eval)
            first = len(self.test_env.finished_episodes)
            begin = time.perf_counter()
            result = evaluate(policy_params, log, n_eval)
            self.eval_s += time.perf_counter() - begin
            self.record([episode_return for episode_return, _ in self.test_env.finished_episodes[first:]])
            return result

        def timed(function: Any) -> Any:
            def wrapper(*args: Any) -> Any:
                begin = time.perf_counter()
                try:
                    return function(*args)
                finally:
                    self.sweep_s += time.perf_counter() - begin

            return wrapper

        namespace.update(
            evaluate=recorded_evaluate, evaluate_behavior=timed(sweep), evaluate_behavior_offline=timed(sweep_offline)
        )

    def wall_clock(self) -> float:
        """:return: Seconds since the training loop started (in all processes of the run)."""
        return time.perf_counter() - self.start

    def state(self) -> dict[str, Any]:
        """:return: What a resumed run needs to go on recording."""
        return {
            "rows": self.rows,
            "wall_clock_s": self.wall_clock(),
            "eval_s": self.eval_s,
            "sweep_s": self.sweep_s,
            "checkpoint_s": self.checkpoint_s,
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Go on from :meth:`state`, and rewrite the files without what was written after it."""
        self.rows = list(state["rows"])
        self.start = time.perf_counter() - state["wall_clock_s"]
        self.eval_s, self.sweep_s, self.checkpoint_s = state["eval_s"], state["sweep_s"], state["checkpoint_s"]
        write_rows(self.folder / CSV_FILE, self.rows)
        text = io.StringIO(newline="")
        self._write_episodes(text, 0, header=True)
        with atomic_write(self.folder / EPISODES_FILE) as file:  # a kill here leaves the old file, not none
            file.write(text.getvalue().encode())

    def record(self, returns: Sequence[float]) -> None:
        """Write one evaluation row (and the training episodes finished since the last one)."""
        self.rows.append(
            {
                "timesteps": int(self.namespace["statistics"].total_ts),
                "mean_return": float(np.mean(returns)),
                "std_return": float(np.std(returns)),
                "wall_clock_s": round(self.wall_clock(), 2),
                "eval_wall_clock_s": round(self.eval_s, 2),
            }
        )
        write_rows(self.folder / CSV_FILE, self.rows)
        self.write_episodes()

    def write_episodes(self) -> None:
        """Append the training episodes finished since the last call to ``training_episodes.csv``."""
        path = self.folder / EPISODES_FILE
        with open(path, "a", newline="") as file:
            self._write_episodes(file, self.episodes_written, header=not path.stat().st_size)

    def _write_episodes(self, file: Any, start: int, header: bool) -> None:
        """Write the header if asked, then the finished training episodes from the ``start``-th on."""
        episodes = self.train_env.finished_episodes
        writer = csv.writer(file)
        if header:
            writer.writerow(["episode", "timesteps", "return", "length"])
        timesteps = sum(length for _, length in episodes[:start])
        for index, (episode_return, length) in enumerate(episodes[start:], start=start + 1):
            timesteps += length
            writer.writerow([index, timesteps, repr(episode_return), length])
        self.episodes_written = len(episodes)


class _Stop(Exception):
    """Raised out of their training loop after the checkpoint a stop request asked for."""


class _Checkpointer:
    """
    Wraps the script's ``train`` (one episode and the updates after it) to checkpoint after it: every ``interval``
    seconds, and when a stop is requested (SIGINT/SIGTERM under :meth:`on_signals`), then raising :class:`_Stop`.
    After the episode that reaches a fraction of the budget in :data:`benchmarks.run.SNAPSHOT_FRACTIONS`, it saves a
    snapshot (:func:`benchmarks.authors_checkpoint.save_snapshot`) first, as ``benchmarks.run`` saves GoGePo's.
    """

    def __init__(
        self, namespace: dict[str, Any], shim_envs: list[Any], recorder: _Recorder, meta: dict[str, Any], interval: float
    ) -> None:
        if not callable(namespace.get("train")):
            raise ValueError("their script has no train() function (one episode): its training cannot be checkpointed")
        self.namespace, self.envs, self.recorder, self.meta, self.interval = namespace, shim_envs, recorder, meta, interval
        self.stop_requested = False
        self.last = time.perf_counter()
        train = namespace["train"]

        def checkpointed_train(*args: Any, **kwargs: Any) -> Any:
            before = int(namespace["statistics"].total_ts)
            result = train(*args, **kwargs)
            self.snapshot(before, int(namespace["statistics"].total_ts))
            if self.stop_requested or time.perf_counter() - self.last >= self.interval:
                self.save()
                if self.stop_requested:
                    raise _Stop
            return result

        namespace["train"] = checkpointed_train

    def snapshot(self, before: int, after: int) -> None:
        """Save a snapshot for each budget fraction the episode from ``before`` to ``after`` steps reached."""
        for fraction in SNAPSHOT_FRACTIONS:
            if before < fraction * self.meta["budget"] <= after:
                save_snapshot(self.recorder.folder / snapshot_file(round(100 * fraction)), self.namespace)

    def save(self) -> None:
        """Checkpoint the script and the recorder, and write the progress to ``run.json``."""
        begin = time.perf_counter()
        save_state(self.recorder.folder / CHECKPOINT_FILE, self.namespace, self.envs, {"recorder": self.recorder.state()})
        self.last = time.perf_counter()
        self.recorder.checkpoint_s += self.last - begin
        self.meta.update(
            timesteps=int(self.namespace["statistics"].total_ts),
            wall_clock_s=round(self.recorder.wall_clock(), 1),
            checkpoint_wall_clock_s=round(self.recorder.checkpoint_s, 1),
        )
        write_json(self.recorder.folder / META_FILE, self.meta)

    @contextmanager
    def on_signals(self) -> Iterator[None]:
        """Within this block, SIGINT and SIGTERM request a stop (main thread only; the old handlers come back after)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def request_stop(signum: int, frame: Any) -> None:
            self.stop_requested = True

        previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _json_config(config: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if isinstance(value, (int, float, str, bool, list, tuple, type(None))) else str(value)
        for key, value in config.items()
    }


def run(
    authors_code: str | Path,
    env_id: str,
    seed: int,
    timesteps: int | None,
    results_dir: str | Path = DEFAULT_RESULTS_DIR,
    eval_freq: int | None = None,
    threads: int = 1,
    use_gpu: bool = False,
    checkpoint_interval: float = 600.0,
) -> str:
    """
    Run their training script once, continue an unfinished run from its checkpoint, or skip a finished run.

    :param authors_code: Folder of a checkout of IDSIA/GoGePo.
    :param env_id: One of :data:`ENV_IDS` (or a short name of ``benchmarks.run``).
    :param seed: Seed of ``random``, NumPy, torch (their ``--seed``) and the environments' first resets.
    :param timesteps: Budget (their ``config["max_timesteps"]``); None: their script's own (3M or 100k).
    :param results_dir: Results folder (the run goes to ``<env>/authors/budget_<steps>/seed_<seed>``).
    :param eval_freq: Their ``config["ts_evaluation"]`` (None: theirs, 10k or 1k steps).
    :param threads: torch threads.
    :param use_gpu: Their ``--use_gpu 1`` (the setting their README gives): CUDA when available.
    :param checkpoint_interval: Seconds between checkpoints (taken between two episodes).
    :return: ``"finished"``, ``"stopped"`` (by SIGINT/SIGTERM, after a checkpoint), ``"skipped"`` (finished before) or
        ``"busy"`` (another live process holds the run folder's lock).
    """
    authors = check_authors_code(authors_code)
    env_id = canonical_env(env_id)
    if env_id not in ENV_IDS:
        raise ValueError(f"their script runs {', '.join(ENV_IDS)}, not {env_id}")
    if not checkpoint_interval >= 0:
        raise ValueError(f"checkpoint_interval must be a number of seconds >= 0, not {checkpoint_interval}")
    th.set_num_threads(threads)
    shim = install_gym_shim(seed)
    set_up_output = io.StringIO()
    script = AuthorsScript(authors, env_id, seed, use_gpu=use_gpu, stdout=set_up_output)
    random.seed(seed)
    np.random.seed(seed)
    th.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        namespace = script.set_up()
    config = namespace["config"]
    budget = int(timesteps) if timesteps else int(config["max_timesteps"])
    folder = run_dir(Path(results_dir), env_id, ALGO, budget, seed)
    config["max_timesteps"] = budget
    if eval_freq:
        config["ts_evaluation"] = int(eval_freq)
    new_meta = {
        "algo": ALGO,
        "env_id": env_id,
        "seed": seed,
        "budget": budget,
        "eval_freq": int(config["ts_evaluation"]),
        "n_eval_episodes": 10,
        "authors_commit": authors_commit(authors),
        "authors_script": f"{authors / 'gogepo.py'} (unchanged; config overrides: max_timesteps"
        + (", ts_evaluation" if eval_freq else "")
        + ")",
        "seeding": {
            "python_random": seed,
            "numpy": seed,
            "torch": seed,
            "train_env_first_reset": seed,
            "test_env_first_reset": seed + ENV_SEED_STRIDE,
        },
        "config": _json_config(config),
        "versions": versions(),
        "threads": threads,
        "device": th.cuda.get_device_name() if use_gpu and th.cuda.is_available() else "cpu",
    }
    return run_once(
        folder, lambda: _run_locked(script, shim.envs, folder, new_meta, set_up_output.getvalue(), checkpoint_interval)
    )


def _run_locked(
    script: AuthorsScript,
    shim_envs: list[Any],
    folder: Path,
    new_meta: dict[str, Any],
    set_up_output: str,
    checkpoint_interval: float,
) -> str:
    """Start or resume the unfinished run in ``folder``, whose lock this process holds (:func:`run`)."""
    namespace = script.namespace
    previous = read_meta(folder)
    resume = bool(previous) and (folder / CHECKPOINT_FILE).is_file()
    if resume and int(previous.get("eval_freq", new_meta["eval_freq"])) != new_meta["eval_freq"]:
        raise ValueError(
            f"{folder} evaluates every {previous['eval_freq']} steps, not {new_meta['eval_freq']}: resume it with"
            f" --eval-freq {previous['eval_freq']} or remove it"
        )
    folder.mkdir(parents=True, exist_ok=True)
    recorder = _Recorder(namespace, shim_envs, folder)
    if resume:
        recorder.restore(load_state(folder / CHECKPOINT_FILE, namespace, shim_envs)["recorder"])
        # This part's versions, threads and device; every part's device in devices.
        earlier = previous.get("devices") or [previous.get("device", "cpu")]
        meta = {
            **previous,
            **{key: new_meta[key] for key in ("versions", "threads", "device")},
            "devices": list(dict.fromkeys([*earlier, new_meta["device"]])),
            "resumes": int(previous.get("resumes", 0)) + 1,
        }
        print(f"[resume] {folder} from {namespace['statistics'].total_ts} steps")
    else:
        reached = reached_timesteps(folder, previous)
        restarted_at = [int(steps) for steps in previous.get("restarted_at_timesteps", [])]
        if previous:
            restarted_at.append(reached)
            print(f"[restart] {folder}: the checkpoint of the attempt at {reached} steps is missing")
        clear_lost_attempt(folder)
        write_rows(folder / CSV_FILE, [])  # the header, also for a budget below one evaluation interval
        recorder.write_episodes()  # the header
        meta = {
            **new_meta,
            "devices": [new_meta["device"]],
            "finished": False,
            "resumes": 0,
            "restarts": len(restarted_at),
            "restarted_at_timesteps": restarted_at,
        }
        print(f"[start] {folder}")
    write_json(folder / META_FILE, meta)
    checkpointer = _Checkpointer(namespace, shim_envs, recorder, meta, checkpoint_interval)
    with open(folder / "log.txt", "a" if resume else "w") as log:
        log.write(set_up_output)
        script.stdout = log
        try:
            with warnings.catch_warnings(), checkpointer.on_signals():
                warnings.simplefilter("ignore")
                script.train()
        except _Stop:
            print(f"[stop] {folder}: checkpointed at {meta['timesteps']} steps")
            return "stopped"
    statistics = namespace["statistics"]
    recorder.write_episodes()
    meta.update(
        finished=True,
        timesteps=int(statistics.total_ts),
        episodes=int(statistics.episode),
        n_evaluations=len(recorder.rows),
        wall_clock_s=round(recorder.wall_clock(), 1),
        eval_wall_clock_s=round(recorder.eval_s, 1),
        command_sweep_wall_clock_s=round(recorder.sweep_s, 1),
        checkpoint_wall_clock_s=round(recorder.checkpoint_s, 1),
        final_return=final_return(recorder.rows) if recorder.rows else None,
        best_training_return=float(statistics.max_rew),
        finished_at=time.strftime("%Y-%m-%d %H:%M:%S"),
        load_average_at_finish=[round(value, 2) for value in os.getloadavg()],
    )
    write_json(folder / META_FILE, meta)
    shutil.rmtree(folder / CHECKPOINT_FILE.parent, ignore_errors=True)  # a replay buffer of policies: up to GBs
    print(f"[done] {folder}: final return {meta['final_return']} (mean of last 20 evaluations), {meta['wall_clock_s']:.0f} s")
    return "finished"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--authors-code", required=True, help="folder of a checkout of IDSIA/GoGePo")
    parser.add_argument("--env", required=True, help=f"one of {', '.join(ENV_IDS)} (or a short name)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timesteps", type=int, default=None, help="budget (default: their script's, 3M or 100k)")
    parser.add_argument("--results-dir", default=os.fspath(DEFAULT_RESULTS_DIR))
    parser.add_argument("--eval-freq", type=int, default=None, help="override their evaluation interval (tests)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--use-gpu", action="store_true", help="their --use_gpu 1: CUDA when available")
    parser.add_argument("--checkpoint-interval", type=float, default=600.0, help="seconds between checkpoints")
    args = parser.parse_args(argv)
    run(
        args.authors_code,
        args.env,
        args.seed,
        args.timesteps,
        args.results_dir,
        args.eval_freq,
        args.threads,
        args.use_gpu,
        args.checkpoint_interval,
    )


if __name__ == "__main__":
    main()
