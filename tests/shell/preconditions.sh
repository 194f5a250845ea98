# Preconditions shared by the integration test scripts. Source it; each function exits the
# script: 77 (meson's "skipped") when not root, 1 when something the test needs is missing.

# require_root WHAT: skip unless root (Postfix' and Dovecot's masters need it).
require_root() {
  if [[ $(id -u) != 0 ]]; then
    echo "SKIP: must run as root to start $1"
    exit 77
  fi
}

# require_tools TOOL...: fail naming the first tool not on PATH.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found; run script/bootstrap"; exit 1; }
  done
}

# require_executable PATH: fail unless PATH is an executable (the exporter under test).
require_executable() {
  [[ -x $1 ]] || { echo "FAIL: exporter binary not executable: $1"; exit 1; }
}
