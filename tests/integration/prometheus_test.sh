#!/usr/bin/env bash
# A real Prometheus scrapes the exporter both ways, on loopback, against a private Postfix:
#   job "exporter": /metrics (scheduled probes; the `target` label names the server)
#   job "probe":    /probe with blackbox-style relabelling (__param_target from the target,
#                   __address__ rewritten to the exporter; `instance` names the server)
# every 2 s; the test queries Prometheus' HTTP API until probe_success is there for each target
# in both jobs (1 for Postfix, 0 for a closed port), at most 60 s.
#
# Usage: prometheus_test.sh EXPORTER_BINARY
# Exit status: 0 pass, 1 fail, 77 skip (not root: Postfix' master needs root).
set -uo pipefail
export PORT_OWNER=$$  # tests/shell/free_ports.py: ports claimed for this test

integration=$(cd "$(dirname "$0")/../integration" && pwd)
exporter=${1:?usage: $0 EXPORTER_BINARY}
prometheus=${PROMETHEUS:-/usr/bin/prometheus}

if [[ $(id -u) != 0 ]]; then
  echo "SKIP: must run as root to start a private Postfix instance"
  exit 77
fi
for tool in postfix certtool curl python3 "$prometheus"; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found; run script/bootstrap"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/starttls_exporter_prom.XXXXXX")
chmod 0755 "$work"  # Postfix' unprivileged daemons must reach $work/postfix
exporter_pid=
prometheus_pid=

cleanup() {
  local status=$?
  for pid in $prometheus_pid $exporter_pid; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in $prometheus_pid $exporter_pid; do
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null && sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  "$integration/postfix_instance.sh" stop "$work/postfix"
  if [[ $status != 0 ]]; then
    echo "--- exporter log"; tail -n 30 "$work/exporter.log" 2>/dev/null
    echo "--- prometheus log"; tail -n 30 "$work/prometheus.log" 2>/dev/null
    echo "--- last query"; cat "$work/query.json" 2>/dev/null; echo
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Distinct free loopback ports, all held at once so they cannot coincide; nothing listens on
# dead_port afterwards.
read -r pf_port dead_port web_port prom_port < <(python3 "$integration/../shell/free_ports.py" 4)

"$integration/make_test_pki.sh" "$work/pki" 45 mx.test >/dev/null || exit 1
"$integration/postfix_instance.sh" start "$work/postfix" "$pf_port" \
  "$work/pki/server-chain.pem" "$work/pki/server-key.pem" || exit 1

cat >"$work/config.yaml" <<YAML
global: {interval: 2s, timeout: 1500ms}
modules:
  smtp_test:
    ehlo_name: probe.test
    tls: {ca_file: $work/pki/ca.pem}
targets:
  - {address: 127.0.0.1, port: $pf_port, module: smtp_test, server_name: mx.test}
  - {address: 127.0.0.1, port: $dead_port, module: smtp_test}
YAML
"$exporter" --config.file="$work/config.yaml" --web.listen-address="127.0.0.1:$web_port" \
  >"$work/exporter.log" 2>&1 &
exporter_pid=$!

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 2s
  scrape_timeout: 2s
scrape_configs:
  - job_name: exporter
    static_configs:
      - targets: ["127.0.0.1:$web_port"]
  - job_name: probe
    metrics_path: /probe
    params:
      module: [smtp_test]
    static_configs:
      - targets: ["127.0.0.1:$pf_port", "127.0.0.1:$dead_port"]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: "127.0.0.1:$web_port"
YAML
"$prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
prometheus_pid=$!

# Every expected series with its value, from the query result on stdin; exit 0 when all match.
check_series() {
  python3 -c '
import json, sys
pf, dead, web = sys.argv[1:4]
want = {
    ("exporter", "target", "127.0.0.1:" + pf): "1",
    ("exporter", "target", "127.0.0.1:" + dead): "0",
    ("probe", "instance", "127.0.0.1:" + pf): "1",
    ("probe", "instance", "127.0.0.1:" + dead): "0",
}
got = {}
for series in json.load(sys.stdin)["data"]["result"]:
    labels = series["metric"]
    job = labels.get("job")
    if job == "probe" and "target" in labels:
        sys.exit("a /probe series carries a target label: %s" % labels)
    key = (job, "target" if job == "exporter" else "instance",
           labels.get("target" if job == "exporter" else "instance"))
    got[key] = series["value"][1]
missing = {k: v for k, v in want.items() if got.get(k) != v}
sys.exit(0 if not missing else "missing or wrong: %s" % missing)
' "$pf_port" "$dead_port" "$web_port"
}

for ((i = 0; i < 60; i++)); do
  if ! kill -0 "$exporter_pid" 2>/dev/null || ! kill -0 "$prometheus_pid" 2>/dev/null; then
    echo "FAIL: the exporter or Prometheus exited early"
    exit 1
  fi
  if curl -fsS --max-time 5 -o "$work/query.json" \
      "http://127.0.0.1:$prom_port/api/v1/query?query=probe_success" 2>/dev/null &&
      check_series <"$work/query.json" 2>"$work/check.err"; then
    echo "ok - Prometheus has probe_success for each target from /metrics and from /probe"
    exit 0
  fi
  sleep 1
done
echo "FAIL: after 60 s: $(cat "$work/check.err" 2>/dev/null)"
exit 1
