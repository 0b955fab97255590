# DDPG (Spinning Up's settings) on Swimmer-v3 and Hopper-v3 at 1M (the table labels it 1M), seeds 0-2.
source "$(dirname "$0")/../common.sh"
use_code $CODE_TABLE1
step "$PY" -m benchmarks.run --algos ddpg --envs Swimmer-v3 Hopper-v3 --seeds 0-2 --budget 1000000 \
  --jobs 1 --results-dir "$RUNS/table1" >> "$RUNS/table1_ddpg.log" 2>&1
