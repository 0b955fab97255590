# GoGePo InvertedPendulum-v2 and MountainCarContinuous-v0 at the paper's 100k with the YAML's command input (the
# authors' return ranges, command_scale=1000 and 200), seeds 0-4 (Table 1's code with the YAML's entry, as in 16).
source "$(dirname "$0")/../common.sh"
use_code $CODE_TABLE1
step "$PY" -m benchmarks.run --algos gogepo --envs InvertedPendulum-v2 --seeds 0-4 --budget paper --jobs 1 \
  --results-dir "$RUNS/table1" --hyperparams "policy_kwargs:dict($POLICY_KWARGS, command_scale=1000.0)" \
  >> "$RUNS/table1_small.log" 2>&1
step "$PY" -m benchmarks.run --algos gogepo --envs MountainCarContinuous-v0 --seeds 0-4 --budget paper --jobs 1 \
  --results-dir "$RUNS/table1" --hyperparams "policy_kwargs:dict($POLICY_KWARGS, command_scale=200.0)" \
  >> "$RUNS/table1_small.log" 2>&1
