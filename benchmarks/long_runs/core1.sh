#!/bin/bash
# First core: GoGePo Hopper-v3 at the paper's 3M, seeds 0-2, one after another; then it helps the second core with
# queue/ (the runs' locks keep the two cores off the same run).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
use_code $CODE_TABLE1
step "$PY" -m benchmarks.run --algos gogepo --envs Hopper-v3 --seeds 0-2 --budget paper --jobs 1 \
  --results-dir "$RUNS/table1" >> "$RUNS/table1_hopper.log" 2>&1
run_queue "$here/queue"
