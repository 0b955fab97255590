# GoGePo Swimmer-v3 at the paper's 3M with the YAML's command input (command_scale=465, the authors' return range),
# seeds 3-5. Seeds 0-2 ran with the same settings as command_input/scale465 and were moved here when they finished.
# Table 1's code (CODE_TABLE1) predates the YAML's command_scale, so the override gives it the YAML's entry.
source "$(dirname "$0")/../common.sh"
use_code $CODE_TABLE1
step "$PY" -m benchmarks.run --algos gogepo --envs Swimmer-v3 --seeds 3-5 --budget paper --jobs 1 \
  --results-dir "$RUNS/table1" \
  --hyperparams "policy_kwargs:dict($POLICY_KWARGS, command_scale=465.0)" >> "$RUNS/table1_swimmer.log" 2>&1
