# GoGePo Hopper-v3 at the paper's 3M with the YAML's command input (the authors' return range, command_scale=3100),
# seeds 0-2 (Table 1's code with the YAML's entry, as in 16). The longest runs: 3 to 5 h each.
source "$(dirname "$0")/../common.sh"
use_code $CODE_TABLE1
step "$PY" -m benchmarks.run --algos gogepo --envs Hopper-v3 --seeds 0-2 --budget paper --jobs 1 \
  --results-dir "$RUNS/table1" \
  --hyperparams "policy_kwargs:dict($POLICY_KWARGS, command_scale=3100.0)" >> "$RUNS/table1_hopper.log" 2>&1
