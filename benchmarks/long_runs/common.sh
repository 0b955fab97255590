# Shared by the long-run scripts: where runs live, which Python, which commit's code each kind of run uses.
RUNS=${RUNS:-$HOME/runs}
REPO=${REPO:-$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)}
PY=${PY:-$REPO/.venv/bin/python}
# GoGePo, ARS and DDPG Table 1 runs; the command-input ablation (symlog 4+19); the authors' script (resumable runs;
# the Part 1 runs used 8c16471, the Table 1 column 310dd12: the same script and seeding, with the runner's later fixes
# to locks and to what run.json records of resumes and restarts; from Swimmer 3M seed 1's resume at about 1.2M steps
# on, b4c19a4, which only adds the snapshots at 25/50/75/100 % of the budget).
CODE_TABLE1=fe992c2
CODE_ABLATION=154eee5
CODE_AUTHORS=b4c19a4
# The configuration of the command-input variants (the YAML's policy_kwargs, with command_scale added).
POLICY_KWARGS="net_arch=[256, 256], activation_fn=nn.Tanh, slice_size=16, embedding_dim=8, hypernetwork_net_arch=[256, 256], output_scaling=True, evaluator_net_arch=[256, 256], n_probing_states=200, normalize_observations=True"

# code COMMIT: the folder of a clone of this repository at COMMIT (made on first use).
code() {
  local folder=$RUNS/code/$1
  if [ ! -d "$folder" ]; then
    # A clone of its own, moved into place in one step: the other core may be making the same one.
    local clone
    mkdir -p "$RUNS/code" && clone=$(mktemp -d "$RUNS/code/.clone.XXXXXX") || return 1
    git clone -q "$REPO" "$clone" && git -C "$clone" checkout -q "$1" && { mv -T "$clone" "$folder" 2>/dev/null || [ -d "$folder" ]; } \
      || { rm -rf "$clone"; echo "cannot check out $1" >&2; return 1; }
    rm -rf "$clone"  # left only where the other core's clone got there first
  fi
  echo "$folder"
}

# restore_runs: where $RUNS has no table1 folder (a new machine, or a replaced one: its run folders went with it), copy
# the committed run folders there (benchmarks/results/<env>/ into table1/, command_input/), so that finished runs are
# skipped and each unfinished one starts again from step 0 with its restart counted in run.json. Elsewhere it does
# nothing: the folders in $RUNS are newer than the committed ones.
restore_runs() {
  [ -d "$RUNS/table1" ] && return 0
  local folder
  mkdir -p "$RUNS/table1.tmp" || return 1
  for folder in "$REPO"/benchmarks/results/*-v[0-9]*/; do
    cp -r "${folder%/}" "$RUNS/table1.tmp/" || return 1
  done
  if [ ! -d "$RUNS/command_input" ]; then cp -r "$REPO/benchmarks/results/command_input" "$RUNS/" || return 1; fi
  mv -T "$RUNS/table1.tmp" "$RUNS/table1" && echo "copied the committed run folders into $RUNS (no table1 folder there)"
}

# authors_code: the checkout of IDSIA/GoGePo the authors' runs use.
authors_code() {
  [ -f "$RUNS/authors_code/gogepo.py" ] || { echo "no IDSIA/GoGePo checkout in $RUNS/authors_code" >&2; return 1; }
  echo "$RUNS/authors_code"
}

# use_code COMMIT: from here on, run in the clone at COMMIT, with its modules first on the path, one thread.
use_code() {
  local folder
  folder=$(code "$1") || exit 1
  cd "$folder" && export PYTHONPATH=$folder OMP_NUM_THREADS=1
}

# finished FOLDER: whether the run in FOLDER has finished.
finished() { grep -q '"finished": true' "$1/run.json" 2>/dev/null; }

# settled FOLDER: after a step on the run in FOLDER, whether it finished; a run the other core holds (its lock is
# still there after this core's step) ends the script without an error.
settled() {
  finished "$1" && return 0
  [ -e "$1/lock" ] && { echo "$1: the other core runs it"; exit 0; }
  return 1
}

# step CMD...: run CMD (a program, not a function: the signal must reach it) in the background and wait, so that a
# SIGTERM to this script reaches it (see the trap). A SIGTERM after CMD started but before child=$! finds child
# "starting" and $! no longer the previous job's: then $! is CMD.
step() {
  local status
  before=$! child=starting
  "$@" & child=$!
  wait $child
  status=$?
  child=
  return $status
}
on_stop() {
  if [ "$child" = starting ]; then
    child=
    [ "$!" != "$before" ] && child=$!
  fi
  [ -n "$child" ] && kill -TERM $child 2>/dev/null && wait $child
  exit 143
}
trap on_stop TERM INT

# run_queue FOLDER [SCRIPT...]: run each SCRIPT, then each script in FOLDER in name order (each skips the runs it has
# finished, resumes its unfinished one and leaves one that the other core holds); a script that fails is logged and
# the next one runs. FOLDER is read again after every script, so a script added meanwhile runs too: the first in name
# order of those this call has not run yet comes next.
run_queue() {
  local folder=$1 script ran=$'\n'
  shift
  for script in "$@"; do queue_step "$script"; done
  while script=$(next_script "$folder" "$ran") && [ -n "$script" ]; do
    ran+="$script"$'\n'
    queue_step "$script"
  done
  echo "[queue] $(date -u +%H:%M) done"
}

# next_script FOLDER RAN: the first script in FOLDER, in byte order of the names, that RAN (one path per line) lacks.
next_script() {
  local LC_ALL=C candidate
  for candidate in "$1"/*.sh; do
    [ -f "$candidate" ] || continue
    case $2 in *$'\n'"$candidate"$'\n'*) continue ;; esac
    echo "$candidate"
    return
  done
}

# queue_step SCRIPT: run SCRIPT (as step does), logging its start and its exit status.
queue_step() {
  local status
  echo "[queue] $(date -u +%H:%M) $1"
  step bash "$1"
  status=$?
  echo "[queue] $(date -u +%H:%M) $1 exited with $status"
}
