# GoGePo InvertedPendulum-v2 and MountainCarContinuous-v0 at the paper's 100k, seeds 5-7 (Table 1 has seeds 0-4, whose
# final models are gone: these give the fidelities at the final budget).
source "$(dirname "$0")/../common.sh"
use_code $CODE_TABLE1
step "$PY" -m benchmarks.run --algos gogepo --envs InvertedPendulum-v2 MountainCarContinuous-v0 \
  --seeds 5-7 --budget paper --jobs 1 --results-dir "$RUNS/table1" >> "$RUNS/table1_small.log" 2>&1
