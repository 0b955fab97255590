# GoGePo Swimmer-v3 at the paper's 3M with the authors' command input (command_scale=465), seeds 0-2: whether the
# command input explains the 3M shortfall of the symlog default against the authors' script (Table 1's column); the
# code is Table 1's otherwise. At 300k this variant took off less often than symlog (command_input.md).
source "$(dirname "$0")/../common.sh"
use_code $CODE_TABLE1
step "$PY" -m benchmarks.run --algos gogepo --envs Swimmer-v3 --seeds 0-2 --budget paper --jobs 1 \
  --results-dir "$RUNS/command_input/scale465" --hyperparams "policy_kwargs:dict($POLICY_KWARGS, command_scale=465.0)" \
  >> "$RUNS/command_input_scale465_3m.log" 2>&1
