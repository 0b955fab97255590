#!/bin/bash
# First core: every script in queue/ in name order, beside core2.sh (the runs' locks keep the two cores off the same
# run).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
run_queue "$here/queue"
