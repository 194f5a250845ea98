#!/usr/bin/env bash
# End to end: a real Prometheus evaluates deploy/prometheus/alerts.yml against the exporter,
# which probes a private loopback Postfix whose certificate expires in 3 days.
#
# Usage: prometheus_e2e_test.sh REPOSITORY_ROOT EXPORTER_BINARY PYTHON3
#
# Targets: ok (mx.test, verifies, 3 days left), wrong_name (other.test: hostname mismatch) and
# refused (a closed port). Checks:
#   1. every metric name the dashboard and the alert rules use is on the exporter's /metrics
#      (Prometheus' own `up` aside);
#   2. Prometheus (/usr/bin/prometheus, own storage, loopback port, scrape and evaluation every
#      1 s) fires StartTLSCertificateExpiringCritical for the ok target, with the certificate's
#      subject and serial; StartTLSCertificateVerificationFailing for wrong_name with reason
#      cert_hostname_mismatch; StartTLSProbeFailing for refused, its description naming phase
#      connect and reason connection_refused; DaneTlsaMismatch for the domain
#      loopback.secure.sxt (its TLSA record matches nothing) with the record to publish; and
#      neither ExpiringSoon nor ExporterDown;
#   3. every dashboard query runs on that Prometheus without error.
# The rules are a test-only copy in which every `for:` is 0s (a firing critical alert would
# otherwise take 15 minutes); the copy is checked to differ from alerts.yml in `for` only.
# Exit status: 0 pass, 1 fail, 77 skip (not root: Postfix' master needs root).
# Loopback only; every process and file it creates is removed on exit.
set -uo pipefail
export PORT_OWNER=$$  # tests/shell/free_ports.py: ports claimed for this test

repo=${1:?usage: $0 REPOSITORY_ROOT EXPORTER_BINARY PYTHON3}
exporter=${2:?}
python=${3:?}
harness=$repo/tests/integration
here=$(cd "$(dirname "$0")" && pwd)

if [[ $(id -u) != 0 ]]; then
  echo "SKIP: must run as root to start a private Postfix instance"
  exit 77
fi
for tool in postfix certtool curl prometheus promtool; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found; run script/bootstrap"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/starttls_exporter_e2e.XXXXXX")
chmod 0755 "$work"  # Postfix' unprivileged daemons must reach $work/postfix
exporter_pid=
prometheus_pid=
failures=0

cleanup() {
  local status=$?
  stop_process "$prometheus_pid"
  stop_process "$exporter_pid"
  stop_process "${policy_pid:-}"
  "$harness/postfix_instance.sh" stop "$work/postfix"
  "$repo/tests/dns/dns_zone_instance.sh" stop "$work/dns"
  if [[ $status != 0 ]]; then
    echo "--- exporter log"; tail -n 30 "$work/exporter.log" 2>/dev/null
    echo "--- prometheus log"; tail -n 30 "$work/prometheus.log" 2>/dev/null
    echo "--- last /api/v1/alerts"; cat "$work/alerts.json" 2>/dev/null; echo
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# shellcheck source=../shell/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/../shell/check.sh"
# shellcheck source=../shell/process.sh
source "$(dirname "${BASH_SOURCE[0]}")/../shell/process.sh"
# shellcheck source=../shell/prometheus.sh
source "$(dirname "${BASH_SOURCE[0]}")/../shell/prometheus.sh"

read -r pf_port dead_port web_port prom_port < <("$python" "$repo/tests/shell/free_ports.py" 4)
dns_port=$("$python" "$repo/tests/shell/free_ports.py" --dns 1)

# --- A signed zone tree on nsd: the mail domain loopback.secure.sxt has its MX on 127.0.0.1,
# with a TLSA record that matches no certificate (the DANE series and DaneTlsaMismatch).
"$repo/tests/dns/dns_zone_instance.sh" start "$work/dns" "$dns_port" || exit 1
printf '_%s._tcp.lo IN TLSA 3 1 1 %s\n' "$pf_port" "$(printf '0%.0s' {1..64})" \
  >>"$work/dns/zones/secure.sxt.zone"
# ... and an MTA-STS policy in enforce mode that names another MX host (the MTA-STS series and
# MtaStsEnforceMxMismatch), served by a Python HTTPS server on 127.0.5.1:443.
printf '%s\n' '_mta-sts.loopback IN TXT "v=STSv1; id=1"' 'mta-sts.loopback IN A 127.0.5.1' \
  >>"$work/dns/zones/secure.sxt.zone"
"$repo/tests/dns/dns_zone_instance.sh" reload "$work/dns" || exit 1

# --- Postfix with a certificate that expires in 3 days.
"$harness/make_test_pki.sh" "$work/pki" 3 mx.test || exit 1
"$harness/postfix_instance.sh" start "$work/postfix" "$pf_port" \
  "$work/pki/server-chain.pem" "$work/pki/server-key.pem" || exit 1
serial=$(certtool -i --infile "$work/pki/server.pem" | sed -n 's/^[[:space:]]*Serial Number (hex): //p')
"$harness/make_test_pki.sh" "$work/policy-pki" 30 mta-sts.loopback.secure.sxt >/dev/null || exit 1
"$python" - "$work/policy-pki" >"$work/policy.log" 2>&1 <<'PY' &
import http.server, ssl, sys
pki = sys.argv[1]
class Policy(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"version: STSv1\nmode: enforce\nmx: other.test\nmax_age: 86400\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.5.1", 443), Policy)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(pki + "/server-chain.pem", pki + "/server-key.pem")
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
PY
policy_pid=$!
for ((i = 0; i < 300; i++)); do  # the exporter fetches the policy at its first resolution
  (exec 3<>/dev/tcp/127.0.5.1/443) 2>/dev/null && break
  sleep 0.1
done

cat >"$work/config.yaml" <<YAML
global:
  interval: 2s
  timeout: 1500ms
modules:
  smtp_test:
    ehlo_name: probe.test
    tls:
      ca_file: $work/pki/ca.pem
  wrong_name:
    ehlo_name: probe.test
    tls:
      ca_file: $work/pki/ca.pem
  smtp_domain:
    ehlo_name: probe.test
    tls:
      ca_file: $work/pki/ca.pem
      handshake_per_key_type: true
    certificate_file: $work/pki/server-chain.pem
targets:
  - {address: 127.0.0.1, port: $pf_port, module: smtp_test, server_name: mx.test}
  - {address: 127.0.0.1, port: $pf_port, module: wrong_name, server_name: other.test}
  - {address: 127.0.0.1, port: $dead_port, module: smtp_test, server_name: mx.test}
dns:
  resolver: 127.0.0.1:$dns_port
  trust_anchor_file: $work/dns/trust-anchor.key
  allowed_reserved_cidrs: [127.0.0.0/8]
  address_family: ipv4
domains:
  - {domain: loopback.secure.sxt, module: smtp_domain, port: $pf_port}
mta_sts:
  ca_file: $work/policy-pki/ca.pem
  refresh: 2s
tlsrpt:
  database: $work/tlsrpt.db
YAML
# One TLS-RPT report about the domain (Microsoft's quirks, with failure details), imported as an
# operator would, so the tlsrpt_* families the dashboard and the alerts use are on /metrics.
sed 's/example\.test/loopback.secure.sxt/gI' "$repo/tests/tlsrpt/data/quirks.json" >"$work/report.json"
"$exporter" tlsrpt import --config.file="$work/config.yaml" "$work/report.json" >/dev/null ||
  { echo "FAIL: tlsrpt import"; failures=$((failures + 1)); }
"$exporter" --config.file="$work/config.yaml" --web.listen-address="127.0.0.1:$web_port" \
  >"$work/exporter.log" 2>&1 &
exporter_pid=$!

# --- 1. Metric names, once all four targets (three configured, one of the domain) have a result.
for ((i = 0; i < 300; i++)); do
  if curl -fsS --max-time 5 "http://127.0.0.1:$web_port/metrics" -o "$work/metrics.txt" 2>/dev/null &&
    [[ $(grep -c '^probe_last_run_timestamp_seconds{' "$work/metrics.txt") == 4 ]]; then
    break
  fi
  sleep 0.2
done
names_exist() {
  "$python" - "$repo" "$work/metrics.txt" <<'PY'
import os, sys
repo, page = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(repo, "tests", "deploy"))
import queries
exposed = queries.exposed_names(open(page).read())
used = {}
for source, items in (("dashboard", queries.dashboard_queries(
        os.path.join(repo, "deploy", "grafana", "starttls_exporter.json"))),
        ("alerts", queries.alert_queries(os.path.join(repo, "deploy", "prometheus", "alerts.yml")))):
    for where, expr in items:
        for name in queries.metric_names(expr):
            used.setdefault(name, set()).add("%s: %s" % (source, where))
missing = {n: w for n, w in used.items() if n not in exposed and n not in queries.PROMETHEUS_SERIES}
print("%d names used, %d on /metrics" % (len(used), len(used) - len(missing)))
for name, where in sorted(missing.items()):
    print("missing %s (used by %s)" % (name, "; ".join(sorted(where))))
sys.exit(1 if missing else 0)
PY
}
check "every metric name in the dashboard and the alerts is on /metrics" names_exist

# --- 2. Prometheus with a test copy of the rules (`for: 0s`).
rules_without_for "$repo/deploy/prometheus/alerts.yml" "$work/alerts.yml" || exit 1
only_for_differs() {
  "$python" - "$repo/deploy/prometheus/alerts.yml" "$work/alerts.yml" <<'PY'
import sys, yaml
a, b = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
strip = lambda r: [{k: v for k, v in rule.items() if k != "for"} for g in r["groups"] for rule in g["rules"]]
sys.exit(0 if strip(a) == strip(b) else 1)
PY
}
check "the test rules differ from alerts.yml only in for:" only_for_differs
start_prometheus "$prom_port" "$web_port"

ok_labels=(target="127.0.0.1:$pf_port" module=smtp_test)
firing=0
for ((i = 0; i < 120; i++)); do  # up to 60 s
  if ! kill -0 "$prometheus_pid" 2>/dev/null; then
    echo "FAIL - prometheus exited"
    exit 1
  fi
  if curl -fsS --max-time 2 "$api/alerts" -o "$work/alerts.json" 2>/dev/null &&
    [[ $(alert_state StartTLSCertificateExpiringCritical "${ok_labels[@]}" | sed -n 1p) == firing ]]; then
    firing=1
    break
  fi
  sleep 0.5
done
echo "# waited $((i / 2)) s for the alert"
check "StartTLSCertificateExpiringCritical fires for the 3-day certificate" test "$firing" = 1
# Every rule has been evaluated several times by now: a second look at all of them.
sleep 3
curl -fsS --max-time 2 "$api/alerts" -o "$work/alerts.json"
state_is() {  # state_is WANT NAME LABEL=VALUE...
  local got
  got=$(alert_state "${@:2}" | sed -n 1p)
  echo "state: ${got:-none}"
  [[ $got == "$1" ]]
}
check "it names the certificate: subject CN=mx.test, serial $serial" state_is firing \
  StartTLSCertificateExpiringCritical "${ok_labels[@]}" serialnumber="$serial" \
  subject="CN=mx.test,O=starttls_exporter tests"
check "StartTLSCertificateExpiringSoon does not fire for it" state_is "" \
  StartTLSCertificateExpiringSoon "${ok_labels[@]}"
check "StartTLSCertificateVerificationFailing fires for wrong_name (cert_hostname_mismatch)" \
  state_is firing StartTLSCertificateVerificationFailing module=wrong_name \
  reason=cert_hostname_mismatch
check "StartTLSProbeFailing fires for the closed port" state_is firing StartTLSProbeFailing \
  target="127.0.0.1:$dead_port"
check "its description names phase connect, reason connection_refused" bash -c \
  "$(declare -f alert_state); work=$work python=$python; alert_state StartTLSProbeFailing target=127.0.0.1:$dead_port | grep -F 'phase connect with reason connection_refused'"
check "StartTLSProbeFailing does not fire for wrong_name (its own alert covers it)" state_is "" \
  StartTLSProbeFailing module=wrong_name
check "StartTLSExporterDown does not fire" state_is "" StartTLSExporterDown
check "MtaStsEnforceMxMismatch fires for the domain whose policy misses its MX host" state_is \
  firing MtaStsEnforceMxMismatch domain=loopback.secure.sxt
check "DaneTlsaMismatch fires for the domain's MX address, with the record to publish" bash -c \
  "$(declare -f alert_state); work=$work python=$python; alert_state DaneTlsaMismatch module=smtp_domain mx=lo.secure.sxt | grep -E '^firing|IN TLSA 3 1 1 [0-9a-f]{64} ' | wc -l | grep -qx 2"

# --- 3. The dashboard's queries on this Prometheus.
dashboard_queries_run() {
  "$python" - "$repo" "$api" <<'PY'
import json, os, sys, urllib.parse, urllib.request
repo, api = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(repo, "tests", "deploy"))
import queries
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
bad = 0
for title, expr in queries.dashboard_queries(
        os.path.join(repo, "deploy", "grafana", "starttls_exporter.json")):
    if expr.startswith("probe_") and "(" not in expr:  # a variable's bare selector
        expr = "group by (target) (%s)" % expr
    url = api + "/query?" + urllib.parse.urlencode({"query": expr})
    try:
        reply = json.load(direct.open(url, timeout=5))
    except Exception as e:  # an HTTP 400 is a query Prometheus rejects
        print("error  %s: %s" % (title, e)); bad += 1; continue
    count = len(reply["data"]["result"])
    print("%-6s %s: %d series" % ("ok" if count else "empty", title, count))
    bad += count == 0
sys.exit(1 if bad else 0)
PY
}
check "every dashboard query returns data from Prometheus" dashboard_queries_run
cat "$work/check.out"

echo "$failures failed assertion(s)"
[[ $failures == 0 ]]
