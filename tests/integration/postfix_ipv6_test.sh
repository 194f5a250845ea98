#!/usr/bin/env bash
# End-to-end over IPv6: the built exporter probes a private Postfix instance listening on
# [::1] (postfix_instance.sh ... ipv6), from source_address ::1, and /metrics shows the TLS facts
# of issue 4 for it: target label [::1]:PORT, success, TLS 1.3, both certificates the server
# sends (leaf + CA) by position, a complete chain, no OCSP staple, the leaf's key and signature
# algorithms; then the page passes promtool.
#
# Usage: postfix_ipv6_test.sh EXPORTER_BINARY
# Exit status: 0 pass, 1 fail, 77 skip (not root, or this host has no ::1).
set -uo pipefail
export PORT_OWNER=$$  # tests/shell/free_ports.py: ports claimed for this test

here=$(cd "$(dirname "$0")" && pwd)
exporter=${1:?usage: $0 EXPORTER_BINARY}
work_prefix=${TMPDIR:-/tmp}/starttls_exporter_ipv6_it.

# shellcheck source=../shell/preconditions.sh
source "$here/../shell/preconditions.sh"
require_root "a private Postfix instance"
require_tools postfix certtool curl promtool python3
require_executable "$exporter"
# One free port on both loopbacks (Postfix listens on 127.0.0.1 and [::1]); no ::1: skip.
pf_port=$(python3 "$here/../shell/free_ports.py" --ipv6 1)
case $? in
  0) ;;
  3)
    echo "SKIP: this host has no ::1 (IPv6 loopback)"
    exit 77
    ;;
  *) exit 1 ;;
esac
web_port=$(python3 "$here/../shell/free_ports.py" 1)

# shellcheck source=../shell/process.sh
source "$here/../shell/process.sh"
reap_stale "$work_prefix" "$here/postfix_instance.sh" stop

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

# shellcheck source=../shell/check.sh
source "$here/../shell/check.sh"
# shellcheck source=../shell/metrics.sh
source "$here/../shell/metrics.sh"

"$here/make_test_pki.sh" "$work/pki" 30 mx.test || exit 1
"$here/postfix_instance.sh" start "$work/postfix" "$pf_port" \
  "$work/pki/server-chain.pem" "$work/pki/server-key.pem" ipv6 || exit 1

cat >"$work/config.yaml" <<YAML
global:
  interval: 2s
  timeout: 1500ms
modules:
  smtp_v6:
    protocol: smtp
    ehlo_name: probe.test
    source_address: "::1"
    metrics: {chain_certificates: true, tls_details: true}
    tls:
      ca_file: $work/pki/ca.pem
      min_version: TLS12
targets:
  - address: "::1"
    port: $pf_port
    module: smtp_v6
    server_name: mx.test
YAML

"$exporter" --config.file="$work/config.yaml" --web.listen-address="127.0.0.1:$web_port" \
  >"$work/exporter.log" 2>&1 &
exporter_pid=$!

v6=("target=\"[::1]:$pf_port\"" 'module="smtp_v6"')
scrape() { curl -fsS --max-time 5 "http://127.0.0.1:$web_port/metrics" -o "$work/metrics.txt"; }
ready=0
for ((i = 0; i < 100; i++)); do
  alive "$exporter_pid" || { echo "FAIL - exporter exited early"; exit 1; }
  if scrape 2>/dev/null && metric probe_last_run_timestamp_seconds "${v6[@]}" >/dev/null; then
    ready=1
    break
  fi
  sleep 0.2
done
[[ $ready == 1 ]] || { echo "FAIL - no probe result on /metrics within 20 s"; exit 1; }

echo "# target [::1]:$pf_port"
check "probe_success 1" metric_is 1 probe_success "${v6[@]}"
check "no probe_failure_info" absent probe_failure_info "${v6[@]}"
check "probe_tls_version_info TLS 1.3" metric_is 1 probe_tls_version_info "${v6[@]}" \
  'version="TLS 1.3"'
check "probe_tls_key_exchange_group_info present" \
  metric probe_tls_key_exchange_group_info "${v6[@]}"
check "probe_ssl_chain_cert_info position 0 is the leaf" metric_is 1 probe_ssl_chain_cert_info \
  "${v6[@]}" 'position="0"' 'subject="CN=mx.test,'
check "probe_ssl_chain_cert_info position 1 is the CA" metric_is 1 probe_ssl_chain_cert_info \
  "${v6[@]}" 'position="1"' 'subject="CN=starttls_exporter test CA,'
for position in 0 1; do
  check "probe_ssl_chain_cert_not_after_timestamp_seconds position $position" \
    metric probe_ssl_chain_cert_not_after_timestamp_seconds "${v6[@]}" "position=\"$position\""
done
check "probe_ssl_chain_complete 1" metric_is 1 probe_ssl_chain_complete "${v6[@]}"
check "probe_ssl_ocsp_response_stapled 0" metric_is 0 probe_ssl_ocsp_response_stapled "${v6[@]}"
check "probe_ssl_leaf_public_key_size 256 ECDSA" metric_is 256 probe_ssl_leaf_public_key_size \
  "${v6[@]}" 'algorithm="ECDSA"'
check "probe_ssl_leaf_signature_algorithm_info ECDSA-SHA256" metric_is 1 \
  probe_ssl_leaf_signature_algorithm_info "${v6[@]}" 'algorithm="ECDSA-SHA256"'
check "Postfix logged the probe from ::1" grep -q 'connect from .*\[::1\]' "$work/postfix/maillog"
check "promtool check metrics" promtool_ok

[[ $failures == 0 ]]
