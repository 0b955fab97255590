#!/bin/bash
# Start (or continue) both cores' runs in the background, detached from this shell. Logs: $RUNS/core1.out, core2.out
# (appended to: each start adds a dated line, so every stretch's queue stays there).
source "$(dirname "$0")/common.sh"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$RUNS"
restore_runs || { echo "cannot copy the committed run folders into $RUNS" >&2; exit 1; }
authors_code > /dev/null || echo "the authors' runs stop until it is there (README.md)" >&2
for core in core1 core2; do
  if pgrep -f "$here/$core.sh" > /dev/null; then echo "$core.sh is running already"; continue; fi
  echo "[start] $(date -u '+%Y-%m-%d %H:%M') $core.sh" >> "$RUNS/$core.out"
  setsid nohup bash "$here/$core.sh" >> "$RUNS/$core.out" 2>&1 < /dev/null &
  echo "started $core.sh (log $RUNS/$core.out)"
done
