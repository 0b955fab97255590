"""
Paired A/B timing of training as a whole (``learn``: acting, episode ends, update blocks): the working tree's code
against another commit's, in one process.

    python -m benchmarks.performance.learn_ab 9d4d59b      # writes benchmarks/results/speed_ab/learn_ab_9d4d59b.md
    python -m benchmarks.performance.learn_ab 9d4d59b --no-updates --chunk 20000   # collection alone: ..._rollout.md

The other commit's ``sb3_gogepo`` is imported under another name beside the current one (as by ``block_ab``). Each
side trains its own GoGePo on Hopper-v4 from the same seed, in chunks of ``--chunk`` steps, the chunks alternating
(A B, then B A) so that the machine's drift slows both sides of a pair alike. The learning rates are 0: the update
blocks do all their work but leave the networks as they are, so both sides keep running the same initial policies
and their episodes stay alike in length (commits that round differently would otherwise train apart, and their
chunks would hold different numbers of episodes and update blocks). The figure to read is the paired ratio of chunk
times per episode (each episode ends in one update block), with the plain ratio of chunk times beside it.
``--no-updates`` sets both update counts to 0: what is left is collection (acting, env steps, episode ends, new
policies), which the update blocks otherwise dwarf.
"""

import argparse
import functools
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch as th
from stable_baselines3.common.logger import configure

from benchmarks import common
from benchmarks.common import RESULTS
from benchmarks.performance.block_ab import alternate, import_baseline, ratio_interval

ENV_ID = "Hopper-v4"


def frozen_model(package: Any, seed: int, updates: bool) -> Any:
    """
    :param updates: Run the paper's update blocks (else none).
    :return: ``package``'s GoGePo on Hopper with the paper's settings but learning rates of 0.
    """

    def zero(progress_remaining: float) -> float:  # a schedule: a constant learning rate must be positive
        return 0.0

    counts = {} if updates else dict(n_evaluator_updates=0, n_generator_updates=0)
    model = package.GoGePo(ENV_ID, seed=seed, device="cpu", learning_rate=zero, evaluator_learning_rate=zero, **counts)
    model.set_logger(configure(None, []))
    return model


def report(
    commit: str,
    current_commit: str,
    args: argparse.Namespace,
    times: dict[str, list[float]],
    episodes: dict[str, list[int]],
) -> str:
    chunk, pairs, threads = args.chunk, args.pairs, args.threads
    current, baseline = np.array(times["current"]), np.array(times["baseline"])
    per_episode = {name: np.array(times[name]) / np.maximum(episodes[name], 1) for name in times}
    ratio, low, high = ratio_interval(per_episode["current"], per_episode["baseline"])
    chunk_ratio, chunk_low, chunk_high = ratio_interval(current, baseline)
    updates = "" if args.updates else " --no-updates"
    options = f"{updates} --chunk {chunk} --pairs {pairs} --threads {threads}"
    command = f"python -m benchmarks.performance.learn_ab {commit}{options}"
    lines = [
        f"{ENV_ID}, learning rates 0{'' if args.updates else ', no update blocks'},"
        f" {pairs} pairs of `learn({chunk})` chunks, {threads} torch threads, torch "
        f"{th.__version__}. Written by `{command}` at commit {current_commit}.",
        "",
        "| code | best s / chunk | median s / chunk | episodes in all | median ms / episode |",
        "|---|---|---|---|---|",
        *(
            f"| {label} | {np.min(times[name]):.3f} | {np.median(times[name]):.3f} | {sum(episodes[name])} "
            f"| {1000 * np.median(per_episode[name]):.0f} |"
            for name, label in (("current", f"current ({current_commit})"), ("baseline", f"baseline ({commit})"))
        ),
        "",
        f"Paired ratio of the time per episode, current / baseline: geometric mean **{ratio:.3f}** (95% bootstrap "
        f"interval {low:.3f}-{high:.3f}), median {statistics.median(per_episode['current'] / per_episode['baseline']):.3f}; "
        f"the current code was faster per episode in {int((per_episode['current'] < per_episode['baseline']).sum())} of "
        f"{pairs} pairs. Paired ratio of the chunk times: {chunk_ratio:.3f} ({chunk_low:.3f}-{chunk_high:.3f}).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("commit", help="the commit to compare the working tree's code with")
    parser.add_argument("--chunk", type=int, default=2000, help="environment steps per timed learn call")
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--updates", action=argparse.BooleanOptionalAction, default=True, help="run the update blocks")
    parser.add_argument("--output", default=None, help="markdown file (default: speed_ab/learn_ab_<commit>.md)")
    args = parser.parse_args()
    th.set_num_threads(args.threads)
    current_commit = common.commit()  # the code imported now, whatever is committed while it runs
    import sb3_gogepo

    with tempfile.TemporaryDirectory() as folder:
        package = import_baseline(args.commit, Path(folder))
        sources = {"current": sb3_gogepo, "baseline": package}
        models = {name: frozen_model(source, 0, args.updates) for name, source in sources.items()}
        episodes: dict[str, list[int]] = {name: [] for name in models}

        def learn_chunk(name: str) -> None:
            model = models[name]
            before = model.policy_buffer.size()
            model.learn(args.chunk, reset_num_timesteps=False)
            episodes[name].append(model.policy_buffer.size() - before)

        times = alternate({name: functools.partial(learn_chunk, name) for name in models}, args.pairs)
        episodes = {name: counts[1:] for name, counts in episodes.items()}  # the warm-up's first
        text = report(args.commit, current_commit, args, times, episodes)
    suffix = "" if args.updates else "_rollout"
    output = args.output or os.path.join(RESULTS, "speed_ab", f"learn_ab_{args.commit}{suffix}.md")
    common.write_result(output, text)


if __name__ == "__main__":
    main()
