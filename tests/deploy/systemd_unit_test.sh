#!/usr/bin/env bash
# Checks deploy/systemd/starttls_exporter.service with systemd's own tools.
#
# Usage: systemd_unit_test.sh UNIT_FILE EXPORTER_BINARY CONFIG_FILE
#
#   1. `systemd-analyze verify` on a copy whose commands point at EXPORTER_BINARY (verify
#      insists that commands exist): exit 0 and no diagnostics at all (verify exits 0 on unknown
#      keys and bad values, so any output is a failure). A copy with a typo must be flagged,
#      proving the check can fail.
#   2. The hardening settings the README promises are present with these exact values.
#   3. `systemd-analyze security --offline=true`: overall exposure at most 2.0 (printed; the
#      README records it). --offline needs no running systemd.
#   4. The ExecStart and ExecStartPre command lines are accepted by the binary: run with
#      --config.check on CONFIG_FILE in place of the installed path.
# Exit status: 0 pass, 1 fail. Starts no service and needs no PID 1 systemd.
set -uo pipefail

unit=${1:?usage: $0 UNIT_FILE EXPORTER_BINARY CONFIG_FILE}
exe=$(realpath "${2:?}")  # a unit's commands must be absolute paths
config=$(realpath "${3:?}")
installed_exe=/usr/bin/starttls_exporter
installed_config=/etc/starttls_exporter/config.yml
command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze not found; run script/bootstrap"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
failures=0

# shellcheck source=../shell/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/../shell/check.sh"

# verify_clean FILE: exit 0 and not a word of diagnostics.
verify_clean() {
  local rc=0
  systemd-analyze verify --man=no "$1" >"$work/verify.txt" 2>&1 || rc=$?
  cat "$work/verify.txt"
  [[ $rc == 0 && ! -s $work/verify.txt ]]
}

mkdir -p "$work/ok" "$work/typo"
sed "s#$installed_exe#$exe#g" "$unit" >"$work/ok/starttls_exporter.service"
check "systemd-analyze verify: no diagnostics" verify_clean "$work/ok/starttls_exporter.service"
sed 's/^ProtectSystem=strict$/ProtectSytem=strict/' "$work/ok/starttls_exporter.service" \
  >"$work/typo/starttls_exporter.service"
verify_flags() { ! verify_clean "$1"; }
check "a misspelt key is flagged (the check above can fail)" \
  verify_flags "$work/typo/starttls_exporter.service"

# --- Settings, exactly.
required=(
  "DynamicUser=yes" "NoNewPrivileges=yes" "CapabilityBoundingSet=" "AmbientCapabilities="
  "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "PrivateDevices=yes"
  "ProtectKernelTunables=yes" "ProtectKernelModules=yes" "ProtectKernelLogs=yes"
  "ProtectControlGroups=yes" "ProtectClock=yes" "ProtectHostname=yes"
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "RestrictNamespaces=yes"
  "RestrictRealtime=yes" "RestrictSUIDSGID=yes" "LockPersonality=yes"
  "MemoryDenyWriteExecute=yes" "SystemCallArchitectures=native"
  "SystemCallFilter=@system-service" 'ExecReload=/bin/kill -HUP $MAINPID'
  "ExecStart=$installed_exe --config.file=$installed_config"
)
for line in "${required[@]}"; do
  check "unit sets $line" grep -qxF -- "$line" "$unit"
done
nofile_ok() {
  local n
  n=$(sed -n 's/^LimitNOFILE=\([0-9]*\)$/\1/p' "$unit")
  echo "LimitNOFILE=$n"
  [[ -n $n ]] && ((n >= 20000))
}
check "LimitNOFILE leaves room for 10,000 concurrent probes" nofile_ok

# --- Exposure score.
systemd-analyze security --offline=true --no-pager "$work/ok/starttls_exporter.service" \
  >"$work/security.txt" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$work/security.txt")
echo "# systemd-analyze security --offline=true: overall exposure ${exposure:-unknown}"
exposure_ok() { [[ -n $exposure ]] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; }
check "exposure ${exposure:-?} <= 2.0" exposure_ok
[[ -n $exposure ]] || cat "$work/security.txt"

# --- The command lines, as the binary sees them.
command_ok() {  # command_ok KEY: runs KEY's command line with --config.check added
  local line
  line=$(sed -n "s/^$1=//p" "$unit")
  [[ -n $line ]] || { echo "no $1"; return 1; }
  line=${line//$installed_config/$config}
  line=${line//$installed_exe/$exe}
  [[ $line == *--config.check* ]] || line+=" --config.check"
  echo "$line"
  # Unquoted on purpose: a unit's command line is split on spaces too (no quotes used here).
  $line
}
check "ExecStart's flags are accepted" command_ok ExecStart
check "ExecStartPre's flags are accepted" command_ok ExecStartPre

echo "$failures failed assertion(s)"
[[ $failures == 0 ]]
