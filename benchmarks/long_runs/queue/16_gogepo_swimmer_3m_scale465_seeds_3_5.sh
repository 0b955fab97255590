# GoGePo Swimmer-v3 at the paper's 3M with the authors' command input (command_scale=465), seeds 3-5: with seeds 0-2
# (14), six seeds against the six of the symlog default in Table 1, for the default's question at the paper's budget.
source "$(dirname "$0")/../common.sh"
use_code $CODE_TABLE1
step "$PY" -m benchmarks.run --algos gogepo --envs Swimmer-v3 --seeds 3-5 --budget paper --jobs 1 \
  --results-dir "$RUNS/command_input/scale465" --hyperparams "policy_kwargs:dict($POLICY_KWARGS, command_scale=465.0)" \
  >> "$RUNS/command_input_scale465_3m.log" 2>&1
