# ARS at the paper's 3M on Swimmer-v3 and Hopper-v3, seeds 0-4.
source "$(dirname "$0")/../common.sh"
use_code $CODE_TABLE1
step "$PY" -m benchmarks.run --algos ars --envs Swimmer-v3 Hopper-v3 --seeds 0-4 --budget paper \
  --jobs 1 --results-dir "$RUNS/table1" >> "$RUNS/table1_ars.log" 2>&1
