#!/bin/bash
# Second core: part1.sh, the short Table 1 runs (ARS 3M, the authors' script at 100k), the authors' Swimmer 3M seed 3
# (their command fidelity's third seed: faithfulness before the DDPG baseline), then a GoGePo Hopper 3M seed that
# core1.sh is not running (the runs' locks keep the cores apart; these are the longest runs), then DDPG 1M; then every script in queue/ in name order (scripts added meanwhile included; a script it ran already
# skips its finished runs), so a slice of the authors' Hopper run comes last.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"
run_queue "$here/queue" "$here/part1.sh" "$here/queue/20_ars_3m.sh" "$here/queue/40_authors_small_100k.sh" \
  "$here/queue/70_authors_swimmer_3m_seed_3.sh" "$here/queue/19_gogepo_hopper_3m_range.sh" \
  "$here/queue/50_ddpg_1m.sh"
