"""Where one update block spends its time: torch profiler table of the paper-sized block (Hopper, full buffer).

    python -m benchmarks.performance.profile_block           # exact mode; writes benchmarks/results/profile_block.md
    python -m benchmarks.performance.profile_block --mode 2  # fast mode (index into benchmarks.performance.speed.MODES)

Run it on an idle machine: the shares are of the profiled time, and a loaded machine stretches some operations more
than others. The profiler adds overhead of its own, so the times are not the speed benchmark's.
"""

import argparse
import os

import torch as th
from torch.profiler import ProfilerActivity, profile

from benchmarks.common import RESULTS, commit, write_result
from benchmarks.performance.speed import MODES, filled_model, matmul_ceiling

#: Operations that are matrix products (forward and backward passes of linear layers and batched products).
MATMUL_OPS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "mkldnn::_linear_pointwise")


def profile_table(mode: int, threads: int, blocks: int) -> str:
    """:return: Markdown: the operations by self CPU time per block, and the share of the matrix products."""
    th.set_num_threads(threads)
    name = list(MODES)[mode]
    model = filled_model(MODES[name], "cpu", 10_000)
    model.train()  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for _ in range(blocks):
            model.train()
    events = sorted(profiler.key_averages(), key=lambda event: event.self_cpu_time_total, reverse=True)
    total = sum(event.self_cpu_time_total for event in events)
    matmul = sum(event.self_cpu_time_total for event in events if event.key in MATMUL_OPS)
    ceiling = matmul_ceiling(th.float32, th.device("cpu"))
    lines = [
        f"Mode: {name}; {blocks} profiled blocks, {threads} torch threads, torch {th.__version__}. Written by "
        f"`python -m benchmarks.performance.profile_block --mode {mode} --threads {threads} --blocks {blocks}` at commit "
        f"{commit()}.",
        "",
        f"Profiled time per block: {total / blocks / 1e6:.3f} s (with the profiler's overhead); matrix products "
        f"({', '.join(MATMUL_OPS)}): **{100 * matmul / total:.0f} %** of it; the fp32 matrix-product ceiling of this "
        f"machine, measured alongside: {ceiling:.0f} GFLOP/s.",
        "",
        "| operation | calls per block | self time per block (ms) | share |",
        "| --- | --- | --- | --- |",
    ]
    for event in events[:20]:
        lines.append(
            f"| `{event.key}` | {event.count / blocks:.0f} | {event.self_cpu_time_total / blocks / 1e3:.1f} "
            f"| {100 * event.self_cpu_time_total / total:.1f} % |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", type=int, default=0, help=f"index into {list(MODES)}")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--output", default=None, help="markdown file (default: benchmarks/results/profile_block.md)")
    args = parser.parse_args()
    text = profile_table(args.mode, args.threads, args.blocks)
    output = args.output or os.path.join(RESULTS, "profile_block.md" if args.mode == 0 else f"profile_block_{args.mode}.md")
    write_result(output, text)


if __name__ == "__main__":
    main()
