#!/usr/bin/env bash
# End-to-end test: the built exporter probes a private Postfix instance on loopback.
#
# Usage: postfix_integration_test.sh EXPORTER_BINARY
#
# Starts Postfix (postfix_instance.sh) with a certificate valid for 45 days from a test CA,
# runs the exporter against three targets and checks /metrics:
#   ok          127.0.0.1:PF_PORT, server_name mx.test     -> success, verified, TLS 1.3, facts
#   refused     127.0.0.1:DEAD_PORT (nothing listens)       -> connect / connection_refused
#   wrong_name  127.0.0.1:PF_PORT, server_name other.test   -> unverified, hostname mismatch,
#                                                              certificate facts still present
# then the whole page through `promtool check metrics`, then SIGTERM -> exit 0 within 2 s.
# Exit status: 0 pass, 1 fail, 77 skip (not root: Postfix' master needs root).
# Loopback only; every process and file it creates is removed on exit, whatever happens.
set -uo pipefail
export PORT_OWNER=$$  # tests/shell/free_ports.py: ports claimed for this test

here=$(cd "$(dirname "$0")" && pwd)
exporter=${1:?usage: $0 EXPORTER_BINARY}
work_prefix=${TMPDIR:-/tmp}/starttls_exporter_it.

# shellcheck source=../shell/preconditions.sh
source "$here/../shell/preconditions.sh"
require_root "a private Postfix instance"
require_tools postfix certtool curl promtool python3
require_executable "$exporter"

# shellcheck source=../shell/process.sh
source "$here/../shell/process.sh"

# Instances left behind by runs that were killed before their trap ran.
stop_postfix() { "$here/postfix_instance.sh" stop "$1/postfix"; }
reap_stale "$work_prefix" stop_postfix

work=$(mktemp -d "${work_prefix}XXXXXX")
chmod 0755 "$work"  # Postfix' unprivileged daemons must reach $work/postfix
echo $$ >"$work/owner.pid"
exporter_pid=
failures=0

cleanup() {
  local status=$?
  stop_process "$exporter_pid"
  "$here/postfix_instance.sh" stop "$work/postfix"
  if [[ $status != 0 ]]; then
    echo "--- exporter log"; cat "$work/exporter.log" 2>/dev/null
    echo "--- last /metrics page"; cat "$work/metrics.txt" 2>/dev/null
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Distinct free loopback ports, all held at once so they cannot coincide. DEAD_PORT is
# closed again at once and nothing listens there afterwards.
read -r pf_port dead_port web_port < <(python3 "$here/../shell/free_ports.py" 3)

# shellcheck source=../shell/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/../shell/check.sh"

# shellcheck source=../shell/metrics.sh
source "$(dirname "${BASH_SOURCE[0]}")/../shell/metrics.sh"

scrape() { curl -fsS --max-time 5 "http://127.0.0.1:$web_port/metrics" -o "$work/metrics.txt"; }

# --- Postfix with a 45-day certificate from a test CA.
"$here/make_test_pki.sh" "$work/pki" 45 mx.test || exit 1
"$here/postfix_instance.sh" start "$work/postfix" "$pf_port" \
  "$work/pki/server-chain.pem" "$work/pki/server-key.pem" || exit 1
not_after_text=$(certtool -i --infile "$work/pki/server.pem" | sed -n 's/^[[:space:]]*Not After: //p')
not_after=$(date -d "$not_after_text" +%s) || exit 1

# --- The exporter.
cat >"$work/config.yaml" <<YAML
global:
  interval: 2s
  timeout: 1500ms
modules:
  smtp_test:
    protocol: smtp
    timeout: 1500ms
    ehlo_name: probe.test
    metrics: {phase_durations: true}
    tls:
      ca_file: $work/pki/ca.pem
  wrong_name:
    protocol: smtp
    ehlo_name: probe.test
    tls:
      ca_file: $work/pki/ca.pem
targets:
  - address: 127.0.0.1
    port: $pf_port
    module: smtp_test
    server_name: mx.test
  - address: 127.0.0.1
    port: $dead_port
    module: smtp_test
    server_name: mx.test
  - address: 127.0.0.1
    port: $pf_port
    module: wrong_name
    server_name: other.test
YAML

"$exporter" --config.file="$work/config.yaml" --web.listen-address="127.0.0.1:$web_port" \
  >"$work/exporter.log" 2>&1 &
exporter_pid=$!

ok=("target=\"127.0.0.1:$pf_port\"" 'module="smtp_test"')
refused=("target=\"127.0.0.1:$dead_port\"" 'module="smtp_test"')
wrong=("target=\"127.0.0.1:$pf_port\"" 'module="wrong_name"')

# Every target has completed a probe once all three carry a last-run timestamp.
ready=0
for ((i = 0; i < 100; i++)); do
  if ! alive "$exporter_pid"; then
    echo "FAIL - exporter exited early"
    exit 1
  fi
  if scrape 2>/dev/null && metric probe_last_run_timestamp_seconds "${ok[@]}" >/dev/null &&
    metric probe_last_run_timestamp_seconds "${refused[@]}" >/dev/null &&
    metric probe_last_run_timestamp_seconds "${wrong[@]}" >/dev/null; then
    ready=1
    break
  fi
  sleep 0.2
done
[[ $ready == 1 ]] || { echo "FAIL - no probe results on /metrics within 20 s"; exit 1; }

now=$(date +%s)
expiry_days=$(awk -v a="$not_after" -v n="$now" 'BEGIN { printf "%.6f", (a - n) / 86400 }')

echo "# target ok (127.0.0.1:$pf_port, mx.test)"
check "probe_success 1" metric_is 1 probe_success "${ok[@]}"
check "probe_ssl_cert_verified 1" metric_is 1 probe_ssl_cert_verified "${ok[@]}"
check "probe_tls_version_info TLS 1.3" metric_is 1 probe_tls_version_info "${ok[@]}" \
  'version="TLS 1.3"'
check "probe_ssl_cert_expiry_days ~ $expiry_days" metric_near "$expiry_days" 0.1 \
  probe_ssl_cert_expiry_days "${ok[@]}"
check "probe_ssl_cert_not_after_timestamp_seconds = $not_after" metric_near "$not_after" 1 \
  probe_ssl_cert_not_after_timestamp_seconds "${ok[@]}"
check "probe_smtp_starttls_advertised 1" metric_is 1 probe_smtp_starttls_advertised "${ok[@]}"
check "probe_ssl_last_chain_info subject CN=mx.test" metric probe_ssl_last_chain_info \
  "${ok[@]}" 'subject="CN=mx.test,'
check "probe_tls_cipher_info present" metric probe_tls_cipher_info "${ok[@]}"
for phase in connect banner ehlo starttls tls_handshake; do
  check "probe_phase_duration_seconds{phase=$phase} present" \
    metric probe_phase_duration_seconds "${ok[@]}" "phase=\"$phase\""
  check "starttls_exporter_probe_phase_duration_seconds{module=smtp_test,phase=$phase} counted" \
    metric starttls_exporter_probe_phase_duration_seconds_count 'module="smtp_test"' \
    "phase=\"$phase\""
done
# wrong_name leaves metrics.phase_durations at its default: only the fleet histogram has them.
check "no probe_phase_duration_seconds without metrics.phase_durations" \
  absent probe_phase_duration_seconds "${wrong[@]}"
check "starttls_exporter_probe_phase_duration_seconds{module=wrong_name} counted" \
  metric starttls_exporter_probe_phase_duration_seconds_count 'module="wrong_name"' \
  'phase="tls_handshake"'
check "no probe_ssl_chain_cert_info without metrics.chain_certificates" \
  absent probe_ssl_chain_cert_info "${ok[@]}"
check "no probe_failure_info" absent probe_failure_info "${ok[@]}"
check "probe_last_success_timestamp_seconds present" \
  metric probe_last_success_timestamp_seconds "${ok[@]}"

echo "# target refused (127.0.0.1:$dead_port)"
check "probe_success 0" metric_is 0 probe_success "${refused[@]}"
check "probe_failure_info connect/connection_refused 1" metric_is 1 probe_failure_info \
  "${refused[@]}" 'phase="connect"' 'reason="connection_refused"'

echo "# target wrong_name (127.0.0.1:$pf_port, other.test)"
check "probe_success 0" metric_is 0 probe_success "${wrong[@]}"
check "probe_ssl_cert_verified 0" metric_is 0 probe_ssl_cert_verified "${wrong[@]}"
check "probe_ssl_cert_verify_error_info cert_hostname_mismatch 1" metric_is 1 \
  probe_ssl_cert_verify_error_info "${wrong[@]}" 'reason="cert_hostname_mismatch"'
check "probe_ssl_cert_not_after_timestamp_seconds still present" metric_near "$not_after" 1 \
  probe_ssl_cert_not_after_timestamp_seconds "${wrong[@]}"

echo "# exporter"
check "starttls_exporter_targets 3" metric_is 3 starttls_exporter_targets
check "starttls_exporter_build_info present" metric starttls_exporter_build_info
check "promtool check metrics" promtool_ok

# --- Graceful shutdown: SIGTERM -> exit status 0 within 2 s.
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
kill -TERM "$exporter_pid"
sent_ms=$(now_ms)
while alive "$exporter_pid" && (($(now_ms) - sent_ms < 2000)); do
  sleep 0.05
done
if alive "$exporter_pid"; then
  check "exited within 2 s of SIGTERM" false
else
  elapsed_ms=$(($(now_ms) - sent_ms))
  wait "$exporter_pid"
  status=$?
  exporter_pid=
  check "exit status 0 within 2 s of SIGTERM (status $status after ~$elapsed_ms ms)" \
    test "$status" = 0
fi

echo "$failures failed assertion(s)"
[[ $failures == 0 ]]
