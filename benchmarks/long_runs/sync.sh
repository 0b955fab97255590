#!/bin/bash
# Copy the committed part of the run folders (CSV files, Monitor files, run.json, cached sweeps and
# measurements) from $RUNS into benchmarks/results/.
source "$(dirname "$0")/common.sh"
# copy FROM TO: the committed kinds of file under FROM to the same paths under TO (with find and cp, which every machine
# has: rsync is not installed everywhere).
copy() {
  [ -d "$1" ] || return 0
  local file
  (cd "$1" && find . -type f \( -name evaluations.csv -o -name run.json -o -name command_sweep.csv -o -name frontier.csv \
    -o -name policy_map.npz -o -name training_episodes.csv -o -name noise_robustness.csv \
    -o -name evaluator_calibration.csv -o -name evaluator_buffer_error.csv -o -name '*.monitor.csv' \) -print0) |
    while IFS= read -r -d '' file; do
      mkdir -p "$2/$(dirname "$file")" && cp -p "$1/$file" "$2/$file" || return 1
    done
}
for env in "$RUNS"/table1/*/; do copy "${env%/}" "$REPO/benchmarks/results/$(basename "$env")"; done
for variant in "$RUNS"/command_input/*/; do copy "${variant%/}" "$REPO/benchmarks/results/command_input/$(basename "$variant")"; done
git -C "$REPO" status --short benchmarks/results
