# The authors' unchanged script, Swimmer-v3 at 3M, seed 3 (core 2 runs it after the authors' 100k runs, before DDPG):
# its final snapshot gives their column a third command sweep. Seed 0 ran before the snapshots existed, so their
# command fidelity (0.053) rests on seeds 1 and 2, against 0.181 for ours with the same settings (command_input.md,
# 3M section).
source "$(dirname "$0")/../common.sh"
AUTHORS=$(authors_code) || exit 1
use_code $CODE_AUTHORS
step "$PY" -m benchmarks.authors_script --authors-code "$AUTHORS" --env Swimmer-v3 --seed 3 \
  --results-dir "$RUNS/table1" >> "$RUNS/table1_authors.log" 2>&1
