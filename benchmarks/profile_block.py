"""Where one update block spends its time: torch profiler table of the paper-sized block (Hopper, full buffer).

python -m benchmarks.profile_block              # exact mode
python -m benchmarks.profile_block --mode 2     # fast mode (index into benchmarks.speed.MODES)
"""

import argparse

import torch as th
from torch.profiler import ProfilerActivity, profile

from benchmarks.speed import MODES, filled_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", type=int, default=0, help=f"index into {list(MODES)}")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--blocks", type=int, default=3)
    args = parser.parse_args()
    th.set_num_threads(args.threads)
    name = list(MODES)[args.mode]
    model = filled_model(MODES[name], "cpu", 10_000)
    model.train()  # warm-up
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as profiler:
        for _ in range(args.blocks):
            model.train()
    print(f"{name}, {args.blocks} blocks")
    print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
    print(profiler.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=15))


if __name__ == "__main__":
    main()
