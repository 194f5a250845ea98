#!/usr/bin/env bash
# Renewals end to end: Postfix (SMTP, STARTTLS) and Dovecot (IMAPS) on loopback serve one name,
# mx.test, from one certificate file, as a mail host with an ACME client does; the domain
# loopback.secure.sxt (signed zone on nsd) has its MX on the same Postfix with a TLSA record
# for the first key. A real Prometheus evaluates deploy/prometheus/alerts.yml (a copy with
# every `for:` at 0s).
#
#   1. before the renewal: every certificate_file is current, the TLSA records match the file;
#   2. the certificate is renewed on disk with a new key, no daemon reloaded: the file no
#      longer matches the TLSA records (probe_dane_file_cert_match 0) while mail still flows
#      (probe_success 1), and DaneRenewedCertificateWillNotMatch fires with the record to
#      publish; both targets report renewed_not_served;
#   3. only Postfix is reloaded: it serves the file's leaf, Dovecot does not
#      (probe_ssl_served_matches_file 1 and 0), mx.test is served with two leaves, and
#      StartTLSNameServesDistinctCertificates fires listing which port serves which, as
#      `openssl s_client` sees them.
#
# Usage: renewal_test.sh REPOSITORY_ROOT EXPORTER_BINARY PYTHON3
# Exit status: 0 pass, 1 fail, 77 skip (not root). Loopback only.
set -uo pipefail
export PORT_OWNER=$$  # tests/shell/free_ports.py: ports claimed for this test

repo=${1:?usage: $0 REPOSITORY_ROOT EXPORTER_BINARY PYTHON3}
exporter=${2:?}
python=${3:?}
harness=$repo/tests/integration

if [[ $(id -u) != 0 ]]; then
  echo "SKIP: must run as root to start private Postfix and Dovecot instances"
  exit 77
fi
for tool in postfix dovecot certtool openssl curl prometheus nsd; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found; run script/bootstrap"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/starttls_exporter_renewal.XXXXXX")
chmod 0755 "$work"  # the daemons' unprivileged processes must reach their directories
exporter_pid=
prometheus_pid=
failures=0

cleanup() {
  local status=$?
  stop_process "$prometheus_pid"
  stop_process "$exporter_pid"
  "$harness/postfix_instance.sh" stop "$work/postfix"
  "$harness/dovecot_instance.sh" stop "$work/dovecot"
  "$repo/tests/dns/dns_zone_instance.sh" stop "$work/dns"
  if [[ $status != 0 ]]; then
    echo "--- exporter log"; tail -n 30 "$work/exporter.log" 2>/dev/null
    echo "--- last /metrics (certificate lines)"
    grep -E 'file|name_|probe_success|dane_match' "$work/metrics.txt" 2>/dev/null
    echo "--- last /api/v1/alerts"; cat "$work/alerts.json" 2>/dev/null; echo
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# shellcheck source=../shell/check.sh
source "$repo/tests/shell/check.sh"
# shellcheck source=../shell/process.sh
source "$repo/tests/shell/process.sh"
# shellcheck source=../shell/prometheus.sh
source "$repo/tests/shell/prometheus.sh"

read -r pf_port imaps_port web_port prom_port < <("$python" "$repo/tests/shell/free_ports.py" 4)
dns_port=$("$python" "$repo/tests/shell/free_ports.py" --dns 1)

# --- The first certificate, in the "live" directory both daemons are configured from.
"$harness/make_test_pki.sh" "$work/pki" 60 mx.test >/dev/null || exit 1
mkdir -p "$work/live"
cp "$work/pki/server-chain.pem" "$work/live/fullchain.pem"
spki_sha256() {  # spki_sha256 CERT: the data of a "3 1 1" TLSA record for CERT's key
  openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}
old_record="3 1 1 $(spki_sha256 "$work/pki/server.pem")"

echo "# daemons start at $SECONDS s"
"$repo/tests/dns/dns_zone_instance.sh" start "$work/dns" "$dns_port" || exit 1
printf '_%s._tcp.lo IN TLSA %s\n' "$pf_port" "$old_record" >>"$work/dns/zones/secure.sxt.zone"
"$repo/tests/dns/dns_zone_instance.sh" reload "$work/dns" || exit 1
"$harness/postfix_instance.sh" start "$work/postfix" "$pf_port" \
  "$work/live/fullchain.pem" "$work/pki/server-key.pem" || exit 1
"$harness/dovecot_instance.sh" start "$work/dovecot" "imaps=$imaps_port" \
  "$work/live/fullchain.pem" "$work/pki/server-key.pem" || exit 1

cat >"$work/config.yaml" <<YAML
global: {interval: 1s, timeout: 900ms}
modules:
  smtp_test:
    tls: {ca_file: $work/pki/ca.pem}
  imaps_test:
    protocol: imap
    tls: {ca_file: $work/pki/ca.pem, mode: implicit}
    certificate_file: $work/live/*.pem
  smtp_domain:
    tls: {ca_file: $work/pki/ca.pem}
    certificate_file: live/fullchain.pem
targets:
  - {address: 127.0.0.1, port: $pf_port, module: smtp_test, server_name: mx.test,
     certificate_file: $work/live/fullchain.pem}
  - {address: 127.0.0.1, port: $imaps_port, module: imaps_test, server_name: mx.test}
dns:
  resolver: 127.0.0.1:$dns_port
  trust_anchor_file: $work/dns/trust-anchor.key
  allowed_reserved_cidrs: [127.0.0.0/8]
  address_family: ipv4
domains:
  - {domain: loopback.secure.sxt, module: smtp_domain, port: $pf_port}
YAML
"$exporter" --config.file="$work/config.yaml" --web.listen-address="127.0.0.1:$web_port" \
  >"$work/exporter.log" 2>&1 &
exporter_pid=$!

rules_without_for "$repo/deploy/prometheus/alerts.yml" "$work/alerts.yml" || exit 1
start_prometheus "$prom_port" "$web_port"

pf=(target="127.0.0.1:$pf_port" module=smtp_test)
imaps=(target="127.0.0.1:$imaps_port" module=imaps_test)
domain=(target="127.0.0.1:$pf_port" module=smtp_domain)
value() {  # value NAME LABEL=VALUE...: the sample of the one series with these labels
  "$python" - "$work/metrics.txt" "$@" <<'PY'
import re, sys
page, name, want = sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
for line in open(page):
    m = re.match(r'([a-z_]+)\{(.*)\} (\S+)$', line.strip())
    if not m or m.group(1) != name:
        continue
    labels = dict(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(2)))
    if all(labels.get(k) == v for k, v in want.items()):
        print(m.group(3))
        break
PY
}
is() {  # is WANT NAME LABEL=VALUE...
  local got
  got=$(value "${@:2}")
  echo "$2 ${*:3}: ${got:-absent}"
  [[ $got == "$1" ]]
}
wait_for() {  # wait_for SECONDS WANT NAME LABEL=VALUE...: polls /metrics until `is ...` holds
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    curl -fsS --max-time 2 "http://127.0.0.1:$web_port/metrics" -o "$work/metrics.txt" 2>/dev/null &&
      is "${@:2}" >/dev/null && return 0
    sleep 0.3
  done
  is "${@:2}"  # says what it found
}
fetched_alert_state() {  # fetched_alert_state NAME LABEL=VALUE...: alert_state, fetched now
  curl -fsS --max-time 2 "$api/alerts" -o "$work/alerts.json" 2>/dev/null || return 0
  alert_state "$@"
}
wait_alert() {  # wait_alert SECONDS NAME LABEL=VALUE...: until it fires; prints its description
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    if [[ $(fetched_alert_state "${@:2}" | sed -n 1p) == firing ]]; then
      alert_state "${@:2}" | sed -n 2p
      return 0
    fi
    sleep 0.5
  done
  echo "not firing after $1 s"
  return 1
}

# --- 1. Before the renewal.
echo "# 1 at $SECONDS s"
wait_for 60 1 probe_ssl_certificate_file_info "${domain[@]}" status=current \
  file="$work/live/fullchain.pem"
check "Postfix serves the file's certificate (current)" \
  is 1 probe_ssl_certificate_file_info "${pf[@]}" status=current
check "Dovecot serves it too; the glob chose live/fullchain.pem (the file naming mx.test)" \
  is 1 probe_ssl_certificate_file_info "${imaps[@]}" status=current file="$work/live/fullchain.pem"
check "the TLSA record for the first key matches the file" \
  is 1 probe_dane_file_cert_match "${domain[@]}" mx=lo.secure.sxt
check "one leaf under mx.test" is 1 probe_name_distinct_certificates server_name=mx.test
check "the file's NotAfter is exported" bash -c \
  "[[ -n \$(grep -E '^probe_ssl_file_cert_not_after_timestamp_seconds\\{target=\"127.0.0.1:$pf_port\",module=\"smtp_test\"\\} [0-9.e+]+\$' '$work/metrics.txt') ]]"

# --- 2. Renewed on disk with a new key, by the same CA, one second later at least.
echo "# 2 at $SECONDS s"
sleep 1
cat >"$work/renewed.tmpl" <<'TMPL'
cn = "mx.test"
organization = "starttls_exporter tests"
serial = 3
expiration_days = 90
dns_name = "mx.test"
tls_www_server
signing_key
TMPL
certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
  --outfile "$work/renewed-key.pem" >/dev/null 2>&1 || exit 1
certtool --generate-certificate --load-privkey "$work/renewed-key.pem" \
  --load-ca-certificate "$work/pki/ca.pem" --load-ca-privkey "$work/pki/ca-key.pem" \
  --template "$work/renewed.tmpl" --outfile "$work/renewed.pem" >/dev/null 2>&1 || exit 1
cat "$work/renewed.pem" "$work/pki/ca.pem" >"$work/live/fullchain.pem.new"
mv "$work/live/fullchain.pem.new" "$work/live/fullchain.pem"  # as ACME clients replace it
new_record="3 1 1 $(spki_sha256 "$work/renewed.pem")"

check "the renewal on disk no longer matches the TLSA records" \
  wait_for 60 0 probe_dane_file_cert_match "${domain[@]}"
check "... while senders still deliver (probe_success 1, the served leaf matches)" \
  is 1 probe_success "${domain[@]}"
check "... and the record that would match the file is exported" \
  is 1 probe_dane_file_leaf_tlsa_info "${domain[@]}" record="$new_record"
check "Postfix: renewed_not_served" wait_for 60 1 probe_ssl_certificate_file_info "${pf[@]}" \
  status=renewed_not_served
check "Dovecot: renewed_not_served" wait_for 60 1 probe_ssl_certificate_file_info "${imaps[@]}" \
  status=renewed_not_served
check "DaneRenewedCertificateWillNotMatch fires before any daemon reloads, with the record" \
  bash -c "$(declare -f alert_state fetched_alert_state wait_alert); api=$api work=$work python=$python
    wait_alert 60 DaneRenewedCertificateWillNotMatch mx=lo.secure.sxt | grep -F 'IN TLSA $new_record'"

# The one-shot command judges the same file the same way (one verdict everywhere).
cli_domain() {
  "$exporter" probe "loopback.secure.sxt:$pf_port" --output=json --ca-file="$work/pki/ca.pem" \
    --dns.resolver="127.0.0.1:$dns_port" --dns.trust-anchor-file="$work/dns/trust-anchor.key" \
    --dns.allowed-reserved-cidr=127.0.0.0/8 --certificate-file="$work/live/fullchain.pem" \
    >"$work/cli.json"
  "$python" - "$work/cli.json" "$new_record" <<'PY'
import json, sys
report, record = json.load(open(sys.argv[1])), sys.argv[2]
address = report["addresses"][0]
file = address["certificate_file"]
print(report["success"], file["status"], file["dane_match"], file["leaf_record"])
assert report["success"] is True and address["success"] is True
assert file["status"] == "renewed_not_served" and file["served_matches"] is False
assert file["dane_match"] is False and file["leaf_record"] == record
PY
}
check "probe DOMAIN --certificate-file: deliverable now, the file breaks DANE, the record" \
  cli_domain
check "/probe of the Postfix target uses the target's own certificate_file: renewed_not_served" \
  bash -c "curl -fsS 'http://127.0.0.1:$web_port/probe?target=127.0.0.1:$pf_port&module=smtp_test' |
    grep -F 'probe_ssl_certificate_file_info{status=\"renewed_not_served\"'"
check "probe ADDRESS --module (the config's certificate_file): renewed_not_served" bash -c \
  "'$exporter' probe 127.0.0.1:$imaps_port --config.file='$work/config.yaml' --module=imaps_test \
     --server-name=mx.test | grep -F 'renewed_not_served: the file holds a newer certificate'"

# --- 3. Only Postfix reloads.
echo "# 3 at $SECONDS s"
"$harness/postfix_instance.sh" reload "$work/postfix" "$work/live/fullchain.pem" \
  "$work/renewed-key.pem" || exit 1
check "Postfix serves the renewed certificate (probe_ssl_served_matches_file 1)" \
  wait_for 60 1 probe_ssl_served_matches_file "${pf[@]}"
check "Dovecot does not (probe_ssl_served_matches_file 0)" \
  wait_for 60 0 probe_ssl_served_matches_file "${imaps[@]}"
check "mx.test is served with two leaves" \
  wait_for 60 2 probe_name_distinct_certificates server_name=mx.test
fingerprint() {  # fingerprint openssl-s_client-ARGS...: the served leaf's SHA-256, lower-case hex
  openssl s_client "$@" -servername mx.test </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}
pf_leaf=$(fingerprint -connect "127.0.0.1:$pf_port" -starttls smtp)
imaps_leaf=$(fingerprint -connect "127.0.0.1:$imaps_port")
check "openssl s_client sees two leaves as well" test -n "$pf_leaf" -a "$pf_leaf" != "$imaps_leaf"
check "StartTLSNameServesDistinctCertificates fires, naming which port serves which leaf" \
  bash -c "$(declare -f alert_state fetched_alert_state wait_alert); api=$api work=$work python=$python
    wait_alert 60 StartTLSNameServesDistinctCertificates server_name=mx.test >'$work/desc.txt'
    cat '$work/desc.txt'
    grep -qF '127.0.0.1:$pf_port (smtp_test) serves $pf_leaf' '$work/desc.txt' &&
      grep -qF '127.0.0.1:$imaps_port (imaps_test) serves $imaps_leaf' '$work/desc.txt'"
check "DaneRenewedCertificateWillNotMatch is over once the file is served (DaneTlsaMismatch's)" \
  bash -c "$(declare -f alert_state fetched_alert_state); api=$api work=$work python=$python
    for ((i = 0; i < 20; i++)); do
      [[ -z \$(fetched_alert_state DaneRenewedCertificateWillNotMatch mx=lo.secure.sxt) ]] && exit 0
      sleep 0.5
    done; exit 1"

echo "# done at $SECONDS s"
echo "$failures failed assertion(s)"
[[ $failures == 0 ]]
