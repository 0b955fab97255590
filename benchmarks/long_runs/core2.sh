#!/bin/bash
# Second core: part1.sh, then every script in queue/ in name order (scripts added meanwhile included).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
run_queue "$here/queue" "$here/part1.sh"
