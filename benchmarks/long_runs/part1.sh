#!/bin/bash
# The rest of Part 1 (command input, Swimmer-v3 300k): the authors' script seeds 0-9, then symlog with 4+19 updates.
source "$(dirname "$0")/common.sh"
AUTHORS=$(authors_code)
for s in 0 1 2 3 4 5 6 7 8 9; do
  [ -n "$AUTHORS" ] || break
  finished "$RUNS/command_input/authors/Swimmer-v3/authors/budget_300000/seed_$s" && continue
  use_code $CODE_AUTHORS
  step "$PY" -m benchmarks.authors_script --authors-code "$AUTHORS" --env Swimmer-v3 --seed $s \
    --timesteps 300000 --results-dir "$RUNS/command_input/authors" >> "$RUNS/command_input_authors.log" 2>&1
done
use_code $CODE_ABLATION
step "$PY" -m benchmarks.run --algos gogepo --envs Swimmer-v3 --seeds 0-9 --budget 300000 --jobs 1 \
  --results-dir "$RUNS/command_input/symlog_4_19" --hyperparams n_evaluator_updates:4 n_generator_updates:19 \
  >> "$RUNS/command_input_symlog_4_19.log" 2>&1
