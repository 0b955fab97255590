"""
Paired A/B timing of the update block: the working tree's code against another commit's, in one process.

    python -m benchmarks.performance.block_ab 2bcd8c2           # exact mode; writes results/speed_ab/block_ab_2bcd8c2.md
    python -m benchmarks.performance.block_ab 2bcd8c2 --mode 2  # fast mode (index into benchmarks.performance.speed.MODES)

The speed of these shared machines drifts by more than a small change of the code within minutes (``speed_ab/README.md``),
so two runs of ``speed.py`` cannot tell such a change from the drift. Here the other commit's ``sb3_gogepo`` (from
``git archive``) is imported under another name beside the current one; both models get the same weights and the same
full buffer, and their blocks alternate (A B, then B A) with the same batches in each pair, so that the drift slows both
sides of a pair alike. The figure to read is the ratio of each pair's times. Run it alone on the machine.
"""

import argparse
import importlib
import io
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch as th
from stable_baselines3.common.logger import configure

from benchmarks import common
from benchmarks.common import RESULTS, ROOT
from benchmarks.performance.speed import MODES, filled_model

BASELINE_PACKAGE = "sb3_gogepo_baseline"


def import_baseline(commit: str, folder: Path) -> ModuleType:
    """:return: The ``sb3_gogepo`` package of ``commit``, imported as :data:`BASELINE_PACKAGE`."""
    archive = subprocess.run(["git", "archive", commit, "sb3_gogepo"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (folder / "sb3_gogepo").rename(folder / BASELINE_PACKAGE)
    for path in (folder / BASELINE_PACKAGE).glob("*.py"):
        path.write_text(re.sub(r"\bsb3_gogepo\b", BASELINE_PACKAGE, path.read_text()))
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(BASELINE_PACKAGE)  # its submodules are found through the package's __path__
    finally:
        sys.path.remove(str(folder))


def baseline_model(package: ModuleType, current: Any, mode: dict[str, Any]) -> Any:
    """:return: The baseline's GoGePo with the weights and buffer of ``current``."""
    model = package.GoGePo("Hopper-v4", seed=0, device="cpu", **mode)
    # Commits before the action head stopped saving its bounds (derived from the space) expect them.
    missing, unexpected = model.policy.load_state_dict(current.policy.state_dict(), strict=False)
    if unexpected or not all(key.endswith(("action_head.low", "action_head.half_range")) for key in missing):
        raise RuntimeError(f"the baseline's policy has other parameters: missing {missing}, unexpected {unexpected}")
    model.policy_buffer.set_entries(*current.policy_buffer.ordered())
    model.set_logger(configure(None, []))
    return model


def alternate(arms: dict[str, Callable[[], Any]], pairs: int) -> dict[str, list[float]]:
    """
    :param arms: Each side's unit of work (an update block, say), by name.
    :return: Seconds of each side's unit per pair; after a warm-up call of each (torch seeded with 0), pair ``i`` seeds
        torch with ``i`` before each side's call and runs the sides in alternating order (A B, then B A).
    """
    for run in arms.values():
        th.manual_seed(0)  # the same draws on each side from the start
        run()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in arms}
    for pair in range(pairs):
        for name in list(arms) if pair % 2 == 0 else list(arms)[::-1]:
            th.manual_seed(pair)
            start = time.perf_counter()
            arms[name]()
            times[name].append(time.perf_counter() - start)
    return times


def ratio_interval(new: np.ndarray, old: np.ndarray) -> tuple[float, float, float]:
    """:return: The geometric mean of the paired ratios ``new / old`` and its 95% bootstrap interval."""
    log_ratios = np.log(new / old)
    resampled = np.random.default_rng(0).choice(log_ratios, size=(10_000, len(log_ratios))).mean(axis=1)
    low, high = np.exp(np.percentile(resampled, [2.5, 97.5]))
    return float(np.exp(log_ratios.mean())), float(low), float(high)


def largest_weight_difference(models: dict[str, Any]) -> float:
    """:return: The largest difference between the two models' generator weights (both trained on the same batches)."""
    current, baseline = (dict(model.policy.generator.named_parameters()) for model in models.values())
    return max((current[name] - baseline[name]).abs().max().item() for name in current)


def report(
    commit: str, current_commit: str, mode: int, pairs: int, threads: int, times: dict[str, list[float]], difference: float
) -> str:
    current, baseline = np.array(times["current"]), np.array(times["baseline"])
    ratio, low, high = ratio_interval(current, baseline)
    command = f"python -m benchmarks.performance.block_ab {commit} --mode {mode} --pairs {pairs} --threads {threads}"
    lines = [
        f"Mode: {list(MODES)[mode]}; {pairs} pairs of blocks, {threads} torch threads, torch {th.__version__}. Written by "
        f"`{command}` at commit {current_commit}.",
        "",
        "| code | best s | median s |",
        "|---|---|---|",
        f"| current ({current_commit}) | {current.min():.3f} | {np.median(current):.3f} |",
        f"| baseline ({commit}) | {baseline.min():.3f} | {np.median(baseline):.3f} |",
        "",
        f"Paired ratio current / baseline: geometric mean **{ratio:.3f}** (95% bootstrap interval "
        f"{low:.3f}-{high:.3f}), median {statistics.median(current / baseline):.3f}; the current code was faster in "
        f"{int((current < baseline).sum())} of {pairs} pairs.",
        "",
        f"Both models started from the same weights and trained on the same batches: afterwards their generator weights "
        f"differed by at most {difference:.2e}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("commit", help="the commit to compare the working tree's code with")
    parser.add_argument("--mode", type=int, default=0, help=f"index into {list(MODES)}")
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default=None, help="markdown file (default: speed_ab/block_ab_<commit>[_<mode>].md)")
    args = parser.parse_args()
    th.set_num_threads(args.threads)
    current_commit = common.commit()  # the code imported now, whatever is committed while it runs
    mode = MODES[list(MODES)[args.mode]]
    with tempfile.TemporaryDirectory() as folder:
        package = import_baseline(args.commit, Path(folder))
        current = filled_model(mode, "cpu", 10_000)
        models = {"current": current, "baseline": baseline_model(package, current, mode)}
        times = alternate({name: model.train for name, model in models.items()}, args.pairs)
        difference = largest_weight_difference(models)
        text = report(args.commit, current_commit, args.mode, args.pairs, args.threads, times, difference)
    suffix = "" if args.mode == 0 else f"_{args.mode}"
    output = args.output or os.path.join(RESULTS, "speed_ab", f"block_ab_{args.commit}{suffix}.md")
    common.write_result(output, text)


if __name__ == "__main__":
    main()
