# Seeds 3-4 of the 465 + 4/19 ablation (17_...): seeds 0 and 1 ended at 332.1 and 328.7, against 465 with the paper's
# 5 + 20 updates at 295 ± 39 (seeds 0-4). Three seeds against five cannot reach a one-sided rank-sum p below 0.05 (at
# best 4/56 with 5 + 20's seed 1 at 340.3); five against five can. Before the Hopper runs, for the same reason as 17_.
source "$(dirname "$0")/../common.sh"
use_code $CODE_TABLE1
step "$PY" -m benchmarks.run --algos gogepo --envs Swimmer-v3 --seeds 3-4 --budget paper --jobs 1 \
  --results-dir "$RUNS/command_input/scale465_4_19" \
  --hyperparams "policy_kwargs:dict($POLICY_KWARGS, command_scale=465.0)" n_evaluator_updates:4 n_generator_updates:19 \
  >> "$RUNS/command_input_scale465_4_19_3m.log" 2>&1
