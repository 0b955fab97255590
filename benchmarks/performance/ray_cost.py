"""
What the Ray executor of ``benchmarks.run`` costs against the local one, on the same grid of 4 short runs (GoGePo and
ARS, seeds 0 and 1, MountainCarContinuous-v0, 10000 steps, an evaluation of 1 episode every 1000 steps).

    python -m benchmarks.performance.ray_cost  # needs the distributed extra; writes ray_cost.md

Three commands, one after another: the grid with ``--jobs 2`` (child processes), the grid with ``--executor ray``
(Ray started by the command, on all CPUs), and that Ray command again, which restores the finished grid and skips its
runs. For each: the elapsed time, the runs' own wall-clocks summed (``run.json`` of the runs it ran), and the peak
of the summed resident memory of the command's process tree (sampled every 0.1 s from Linux's ``/proc``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import RESULTS, ROOT, commit, table, write_result
from benchmarks.run import read_meta

GRID = [
    *("--algos gogepo ars --envs MountainCarContinuous-v0 --seeds 0-1 --budget 10000".split()),
    *("--eval-freq 1000 --n-eval-episodes 1".split()),
]


def tree_rss(root: int) -> int:
    """:return: The resident memory of process ``root`` and its descendants, in bytes (read from Linux's ``/proc``)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):  # a process that ended while being read
            fields = stat.read_text().rsplit(")", 1)[1].split()
            pid = int(stat.parent.name)
            children.setdefault(int(fields[1]), []).append(pid)
            rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += rss.get(pid, 0)
        pending += children.get(pid, [])
    return total


def run_measured(arguments: list[str]) -> tuple[float, float]:
    """
    Run ``python -m benchmarks.run`` with ``arguments``.

    :return: Its elapsed seconds and the peak summed RSS of its process tree, in MiB.
    :raises RuntimeError: when it fails.
    """
    begin = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "benchmarks.run", *arguments], cwd=ROOT, stdout=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.1)
    if process.returncode:
        raise RuntimeError(f"python -m benchmarks.run {' '.join(arguments)} exited with {process.returncode}")
    return time.perf_counter() - begin, peak / 2**20


def runs_wall_clock(results_dir: Path, since: float) -> float | None:
    """:return: The wall-clocks of the runs under ``results_dir`` that finished after ``since`` (Unix time), summed."""
    metas = [read_meta(path.parent) for path in results_dir.rglob("run.json") if path.stat().st_mtime > since]
    seconds = [float(meta["wall_clock_s"]) for meta in metas if meta.get("finished")]
    return sum(seconds) if seconds else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=os.fspath(RESULTS / "ray_cost.md"))
    args = parser.parse_args()
    import ray

    load = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        commands = [
            ("`--jobs 2` (local executor)", Path(folder) / "local", ["--jobs", "2"]),
            (
                f"`--executor ray` (Ray started by the command, {os.cpu_count()} CPUs)",
                Path(folder) / "ray",
                ["--executor", "ray"],
            ),
            (
                "`--executor ray` again: the grid restored, its 4 runs finished, so skipped",
                Path(folder) / "ray",
                ["--executor", "ray"],
            ),
        ]
        for name, results_dir, extra in commands:
            since = time.time()
            elapsed, peak = run_measured([*GRID, "--results-dir", os.fspath(results_dir), *extra])
            runs = runs_wall_clock(results_dir, since)
            rows.append([name, f"{elapsed:.1f} s", "(none run)" if runs is None else f"{runs:.1f} s", f"{peak:.0f} MiB"])
    text = "\n".join(
        [
            "# Cost of the Ray executor (`python -m benchmarks.performance.ray_cost`)",
            "",
            f"Commit {commit()}, Ray {ray.__version__}, {os.cpu_count()} CPUs; load average (1, 5, 15 min) at the start: "
            f"{load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}. The grid: `python -m benchmarks.run {' '.join(GRID)}`.",
            "",
            table(["command", "elapsed", "the runs' own wall-clocks, summed (`run.json`)", "peak memory (RSS, summed)"], rows),
            "",
        ]
    )
    write_result(args.output, text)


if __name__ == "__main__":
    main()
