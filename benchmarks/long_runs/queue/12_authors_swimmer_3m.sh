# The authors' unchanged script, Swimmer-v3 at its 3M, seeds 0-2: the reference for GoGePo's Swimmer shortfall at 3M.
source "$(dirname "$0")/../common.sh"
AUTHORS=$(authors_code) || exit 1
for s in 0 1 2; do
  use_code $CODE_AUTHORS
  step "$PY" -m benchmarks.authors_script --authors-code "$AUTHORS" --env Swimmer-v3 --seed $s \
    --results-dir "$RUNS/table1" >> "$RUNS/table1_authors.log" 2>&1
  settled "$RUNS/table1/Swimmer-v3/authors/budget_3000000/seed_$s" || exit 1  # stopped or failed: not the next seed
done
