# The authors' unchanged script, InvertedPendulum-v2 and MountainCarContinuous-v0 at their 100k, seeds 0-4.
source "$(dirname "$0")/../common.sh"
AUTHORS=$(authors_code) || exit 1
for env in InvertedPendulum-v2 MountainCarContinuous-v0; do
  for s in 0 1 2 3 4; do
    use_code $CODE_AUTHORS
    step "$PY" -m benchmarks.authors_script --authors-code "$AUTHORS" --env $env --seed $s \
      --results-dir "$RUNS/table1" >> "$RUNS/table1_authors.log" 2>&1
    settled "$RUNS/table1/$env/authors/budget_100000/seed_$s" || exit 1  # stopped or failed: not the next seed
  done
done
