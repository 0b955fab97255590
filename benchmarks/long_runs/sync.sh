#!/bin/bash
# Copy the committed part of the run folders (CSV files, Monitor files, run.json, cached sweeps and
# measurements) from $RUNS into benchmarks/results/.
source "$(dirname "$0")/common.sh"
copy() {
  [ -d "$1" ] || return 0
  rsync -a --prune-empty-dirs --include='*/' --include='evaluations.csv' --include='run.json' \
    --include='command_sweep.csv' --include='frontier.csv' --include='policy_map.npz' --include='training_episodes.csv' \
    --include='noise_robustness.csv' --include='*.monitor.csv' \
    --exclude='*' "$1/" "$2/"
}
for env in "$RUNS"/table1/*/; do copy "${env%/}" "$REPO/benchmarks/results/$(basename "$env")"; done
for variant in "$RUNS"/command_input/*/; do copy "${variant%/}" "$REPO/benchmarks/results/command_input/$(basename "$variant")"; done
git -C "$REPO" status --short benchmarks/results
