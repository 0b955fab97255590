#!/bin/bash
# Compute the caches of finished GoGePo runs where their models are (command sweeps, frontier, policy maps: one CPU
# core, minutes per run) and of the authors' script's runs where their snapshots are (fidelities, noise robustness),
# so that sync.sh copies them and the committed reports render without the models.
source "$(dirname "$0")/common.sh"
cd "$REPO" && export PYTHONPATH=$REPO OMP_NUM_THREADS=1
scratch=$(mktemp -d)
[ -d "$RUNS/table1" ] && step "$PY" -m benchmarks.report --results-dir "$RUNS/table1" --docs-dir "$scratch/docs" --sweep-seeds 10 > /dev/null
# What the exploration noise costs the Swimmer 3M generators (from their snapshots; the authors' runs need their code).
# Finished runs only: a run that starts again (its machine replaced) clears the lost attempt's caches with today's
# benchmarks.run, but the frozen code of the queue's runs (CODE_* in common.sh) keeps them.
swimmer_3m=()
for run in "$RUNS"/table1/Swimmer-v3/*/budget_3000000/seed_* "$RUNS"/command_input/*/Swimmer-v3/gogepo/budget_3000000/seed_*; do
  finished "$run" && swimmer_3m+=("$run")
done
[ ${#swimmer_3m[@]} -gt 0 ] && step "$PY" -m benchmarks.noise_robustness "${swimmer_3m[@]}" --authors-code "$(authors_code)" > /dev/null
# The command and frontier fidelity of the authors' script's final generators (from their final snapshots).
shopt -s nullglob
authors_runs=("$RUNS"/table1/*/authors/budget_*/seed_*)
[ ${#authors_runs[@]} -gt 0 ] && authors=$(authors_code) \
  && step "$PY" -m benchmarks.authors_fidelity "${authors_runs[@]}" --authors-code "$authors" > /dev/null
# Where the command errors of the final generators come from (evaluator against generator; after their sweeps).
finished_runs=()
for run in "$RUNS"/table1/*/*/budget_*/seed_* "$RUNS"/command_input/*/*/gogepo/budget_*/seed_*; do
  finished "$run" && finished_runs+=("$run")
done
[ ${#finished_runs[@]} -gt 0 ] && step "$PY" -m benchmarks.evaluator_calibration "${finished_runs[@]}" --authors-code "$(authors_code)" > /dev/null
[ -d "$RUNS/command_input" ] && step "$PY" -m benchmarks.command_input --results-dir "$RUNS/command_input" --table1-dir "$RUNS/table1" --output "$scratch/command_input.md" > /dev/null
rm -rf "$scratch"
