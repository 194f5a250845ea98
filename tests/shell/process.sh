# Shared by the shell tests that start daemons: source it. No globals.

alive() {  # alive PID: a running process, not a zombie (kill -0 succeeds on zombies)
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [[ -n $state && $state != Z ]]
}

# stop_process PID: SIGTERM, up to 3 s for it to exit, then SIGKILL. Nothing when PID is empty
# or already gone.
stop_process() {
  local i
  [[ -n ${1:-} ]] && alive "$1" || return 0
  kill -TERM "$1" 2>/dev/null
  for ((i = 0; i < 30; i++)); do alive "$1" && sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  return 0
}

# reap_stale PREFIX STOP_COMMAND: for each work directory PREFIX* whose owner.pid names no live
# process (a run killed before its trap ran), runs STOP_COMMAND DIR, then removes DIR.
reap_stale() {
  local stale owner
  for stale in "$1"*; do
    [[ -d $stale ]] || continue
    owner=$(cat "$stale/owner.pid" 2>/dev/null || true)
    if [[ ! $owner =~ ^[0-9]+$ ]] || ! alive "$owner"; then
      "${@:2}" "$stale"
      rm -rf -- "$stale"
    fi
  done
}
