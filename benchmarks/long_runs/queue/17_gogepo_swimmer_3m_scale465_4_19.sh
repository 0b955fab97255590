# GoGePo Swimmer-v3 at the paper's 3M with every setting of the authors' script this package can take: their command
# input (command_scale=465) and their update counts (4 evaluator + 19 generator steps), seeds 0-2 (or $SEEDS). Beside
# Table 1's command_scale=465 runs, whether the rest of the 3M gap to their script's column is the update counts, or lies in what
# no option sets (the observation statistics changing at every step, their unseeded streams). Before the Hopper runs:
# were it the update counts, the YAML's faithful settings would change again.
source "$(dirname "$0")/../common.sh"
use_code $CODE_TABLE1
step "$PY" -m benchmarks.run --algos gogepo --envs Swimmer-v3 --seeds "${SEEDS:-0-2}" --budget paper --jobs 1 \
  --results-dir "$RUNS/command_input/scale465_4_19" \
  --hyperparams "policy_kwargs:dict($POLICY_KWARGS, command_scale=465.0)" n_evaluator_updates:4 n_generator_updates:19 \
  >> "$RUNS/command_input_scale465_4_19_3m.log" 2>&1
