# The authors' unchanged script on Hopper-v3 at its 3M, seed 0, in slices of SLICE_S seconds (default 100 min) per
# call: SIGTERM checkpoints it and the next call continues it. Does their code start as slowly on Hopper as ours with
# the same input (command_scale=3100: short episodes, training returns near 0 for 5,000+ episodes)? It did, for its
# first 2,750 episodes (2026-12-07). Since then it is named to come last, after every Table 1 run (it was
# 21_...).
source "$(dirname "$0")/../common.sh"
AUTHORS=$(authors_code) || exit 1
use_code $CODE_AUTHORS
step timeout -s TERM "${SLICE_S:-6000}" "$PY" -m benchmarks.authors_script --authors-code "$AUTHORS" --env Hopper-v3 \
  --seed 0 --results-dir "$RUNS/table1" >> "$RUNS/table1_authors_hopper.log" 2>&1
settled "$RUNS/table1/Hopper-v3/authors/budget_3000000/seed_0"
