# GoGePo Swimmer-v3 at the paper's 3M, seed 5: a sixth seed, and a third one with fidelities at the final budget.
source "$(dirname "$0")/../common.sh"
use_code $CODE_TABLE1
step "$PY" -m benchmarks.run --algos gogepo --envs Swimmer-v3 --seeds 5 --budget paper --jobs 1 \
  --results-dir "$RUNS/table1" >> "$RUNS/table1_swimmer.log" 2>&1
