"""
Ray executor of the benchmark runner: ``python -m benchmarks.run ... --executor ray [--address auto|HOST:PORT]``.

Every run of the grid (algorithm, environment, seed, budget) is a Ray Tune trial whose function trainable calls the
local executor's :func:`benchmarks.run.run_one`: the same run code, the same folder layout (``evaluations.csv``,
``run.json``, ``checkpoint/``, ``snapshots/`` under ``--results-dir``), the same skip of finished runs and the same
resumption from each run's own checkpoint. Each evaluation is also reported to Tune as it is written (metrics
``mean_return``, ``std_return``, ``timesteps``; ``timesteps_total`` is the TensorBoard x axis), so Tune's progress
table and TensorBoard (``tensorboard --logdir <storage-path>``) follow the grid.

Tune keeps the grid's state in ``<storage-path>/<name>`` (``--storage-path``, default ``<results-dir>/ray_tune``;
the name is ``grid-`` and a hash of the runs, so the same command names the same grid). Running the same command
again after an interruption restores it with :meth:`ray.tune.Tuner.restore`: finished trials stay finished, the
others start again and their runs resume from their checkpoints (evaluation rows after a checkpoint are dropped and
recomputed, as with the local executor).

On a cluster of several machines, ``--results-dir`` and ``--storage-path`` must be folders that every node sees
(a shared file system), and the repository must lie at the same path on every node. Ray is imported only here, so
``--executor local`` needs no Ray.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from benchmarks.run import CSV_FILE, RunSpec, read_rows, run_one

#: Seconds between looks at a run whose folder another process still holds (a trial of an interrupted driver).
BUSY_WAIT_S = 5.0


def run_key(spec: RunSpec) -> str:
    """:return: The run's folder relative to the results folder (``<env>/<algo>/budget_<steps>/seed_<seed>``): its trial."""
    return spec.run_dir.relative_to(spec.results_dir).as_posix()


def grid_name(specs: Sequence[RunSpec]) -> str:
    """:return: ``grid-`` and a hash of everything that defines the runs, so that the same command names the same grid."""
    described = [
        {key: str(value) for key, value in sorted(dataclasses.asdict(spec).items()) if key not in ("checkpoint_interval",)}
        for spec in specs
    ]
    digest = hashlib.sha1(json.dumps(described, sort_keys=True).encode()).hexdigest()
    return f"grid-{digest[:10]}"


def evaluation_metrics(row: dict[str, float]) -> dict[str, float]:
    """:return: The metrics reported to Tune for a row of ``evaluations.csv`` (the row, and ``timesteps_total``)."""
    return {**row, "timesteps": int(row["timesteps"]), "timesteps_total": int(row["timesteps"])}


def grid_trainable(config: dict[str, Any], specs: dict[str, RunSpec]) -> None:
    """
    Tune's function trainable of one run: :func:`~benchmarks.run.run_one`, reporting each evaluation to Tune.

    A run finished before (by an earlier attempt at the grid) is skipped and its last evaluation reported; a run that
    another process still holds is waited for, then resumed or skipped.

    :param config: The trial's configuration: ``{"run": run_key(spec)}``.
    :param specs: Every run of the grid by key (given with :func:`ray.tune.with_parameters`).
    """
    from ray import tune

    spec = specs[config["run"]]

    def report(row: dict[str, float]) -> None:
        tune.report(evaluation_metrics(row))

    status = run_one(spec, report)
    while status == "busy":
        time.sleep(BUSY_WAIT_S)
        status = run_one(spec, report)
    if status == "skipped":
        rows = read_rows(spec.run_dir / CSV_FILE)
        if rows:
            report(rows[-1])
    elif status != "finished":
        raise RuntimeError(f"{spec.run_dir}: run {status}")


def trial_name(trial: Any) -> str:
    """:return: A trial's name in Tune's tables and folder: its run's folder, ``/`` as ``_``."""
    return str(trial.config["run"]).replace("/", "_")


@contextlib.contextmanager
def ray_cluster(address: str | None) -> Iterator[None]:
    """
    Within the block, this process is connected to the Ray cluster at ``address`` (``"auto"``: the one started on
    this machine by ``ray start``), or to one started here with all this machine's CPUs when ``address`` is None; a
    connection made here is closed after the block (a cluster started here stops with it).

    :param address: Ray's address of the cluster, or None.
    """
    import ray

    if ray.is_initialized():
        yield
        return
    ray.init(address=address)
    try:
        yield
    finally:
        ray.shutdown()


def fit_or_restore(trainable: Any, param_space: dict[str, Any], tune_config: Any, run_config: Any) -> Any:
    """
    Fit a new Tune experiment ``<run_config.storage_path>/<run_config.name>``, or restore it if one is there.

    :param trainable: Tune's trainable (the same one on every call of the same experiment).
    :param param_space: The configuration space.
    :param tune_config: :class:`ray.tune.TuneConfig` of the experiment.
    :param run_config: :class:`ray.tune.RunConfig` (with ``name`` and ``storage_path``).
    :return: Tune's :class:`~ray.tune.ResultGrid`.
    """
    from ray import tune

    path = os.path.join(run_config.storage_path, run_config.name)
    if tune.Tuner.can_restore(path):
        print(f"[ray] restoring {path}", flush=True)
        tuner = tune.Tuner.restore(path, trainable=trainable, param_space=param_space, resume_errored=True)
    else:
        print(f"[ray] new experiment {path}", flush=True)
        tuner = tune.Tuner(trainable, param_space=param_space, tune_config=tune_config, run_config=run_config)
    return tuner.fit()


@contextlib.contextmanager
def stopping_tune_on_sigterm() -> Iterator[list[int]]:
    """
    Within this block, a SIGTERM to the driver stops the grid as Ctrl-C does: Tune saves its state and ends the
    trials, and the same command restores it. Ray's own handler (set by ``ray.init``) exits at once, in the middle of
    Tune's loop, and the driver aborted.

    :return: The signals received (empty if none).
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def stop(signum: int, frame: Any) -> None:
        received.append(signum)
        tune_handler = signal.getsignal(signal.SIGUSR1)  # Tune's graceful stop, while it fits
        if not callable(tune_handler):
            raise KeyboardInterrupt
        tune_handler(signal.SIGUSR1, frame)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def default_storage_path(results_dir: Path) -> str:
    """:return: Tune's experiment folder when ``--storage-path`` is not given: ``<results-dir>/ray_tune``."""
    return os.fspath(Path(results_dir).resolve() / "ray_tune")


def run_grid(
    specs: Sequence[RunSpec], address: str | None = None, storage_path: str | None = None, cpus_per_run: int = 1
) -> int:
    """
    Run the benchmark runs as Ray Tune trials (or restore the grid if an earlier attempt at it was interrupted).

    :param specs: The runs (their ``threads`` become ``cpus_per_run``; their results folder is made absolute, since
        Tune runs trials in folders of their own).
    :param address: Ray cluster to join (``"auto"``, ``HOST:PORT``); None starts one on this machine.
    :param storage_path: Tune's experiment folder (a path every node sees); default ``<results-dir>/ray_tune``.
    :param cpus_per_run: CPUs Tune reserves for each run, and its torch threads.
    :return: 0 when every trial ended without error, 1 if one failed, 128 + the signal (143) if a SIGTERM stopped the
        grid.
    """
    from ray import tune

    if not specs:
        return 0
    specs = [dataclasses.replace(spec, results_dir=spec.results_dir.resolve(), threads=cpus_per_run) for spec in specs]
    by_key = {run_key(spec): spec for spec in specs}
    storage = storage_path or default_storage_path(specs[0].results_dir)
    with ray_cluster(address), stopping_tune_on_sigterm() as stopped:
        trainable = tune.with_resources(tune.with_parameters(grid_trainable, specs=by_key), {"cpu": cpus_per_run})
        results = fit_or_restore(
            trainable,
            param_space={"run": tune.grid_search(list(by_key))},
            tune_config=tune.TuneConfig(trial_name_creator=trial_name, trial_dirname_creator=trial_name),
            run_config=tune.RunConfig(name=grid_name(specs), storage_path=storage),
        )
    failed = [result for result in results if result.error is not None]
    for result in failed:
        print(f"[error] {result.config['run']}: {result.error}", flush=True)
    if stopped:
        print(f"[ray] stopped (signal {stopped[0]}): the same command restores the grid from {results.experiment_path}")
        return 1 if failed else 128 + stopped[0]
    print(f"[ray] {len(results) - len(failed)} of {len(results)} runs done, Tune's files in {results.experiment_path}")
    return int(bool(failed))
