#!/bin/bash
# Second core: part1.sh, then every script in queue/ in name order. Each skips the runs it has finished and resumes
# the unfinished one; a script that fails is logged and the next one runs.
source "$(dirname "$0")/common.sh"
for script in "$(dirname "$0")/part1.sh" "$(dirname "$0")"/queue/*.sh; do
  echo "[queue] $(date -u +%H:%M) $script"
  step bash "$script"
  status=$?
  echo "[queue] $(date -u +%H:%M) $script exited with $status"
done
echo "[queue] $(date -u +%H:%M) done"
