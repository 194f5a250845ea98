#!/usr/bin/env bash
# End-to-end test of every protocol: the built exporter probes private Dovecot and Postfix
# instances on loopback (dovecot_instance.sh, postfix_instance.sh).
#
# Usage: dovecot_integration_test.sh EXPORTER_BINARY
#
# Servers, all on free 127.0.0.1 ports with a certificate for mail.test from a test CA:
#   Dovecot "tls"    imap, imaps, pop3, pop3s, sieve (ManageSieve), lmtp
#   Dovecot "plain"  imap, pop3, sieve with ssl = no: no STARTTLS/STLS offered
#   Postfix          smtp, submission (STARTTLS, no SASL), smtps (implicit TLS), and smtp
#                    with smtpd_tls_security_level = none: no STARTTLS offered
# One exporter probes them all; /metrics must show probe_success 1 with TLS facts for every
# TLS target, starttls_not_offered for the "plain" ones, probe_plaintext_auth_offered where the
# pre-TLS capabilities were read (Dovecot treats a client whose address equals its own as
# secured, so from 127.0.0.1 it offers AUTH=PLAIN and from 127.0.0.2 LOGINDISABLED), and pass
# `promtool check metrics`; so must one /probe answer.
# Exit status: 0 pass, 1 fail, 77 skip (not root). Every process and file is removed on exit.
set -uo pipefail
export PORT_OWNER=$$  # tests/shell/free_ports.py: ports claimed for this test

here=$(cd "$(dirname "$0")" && pwd)
exporter=${1:?usage: $0 EXPORTER_BINARY}
work_prefix=${TMPDIR:-/tmp}/starttls_exporter_dovecot_it.

# shellcheck source=../shell/preconditions.sh
source "$here/../shell/preconditions.sh"
require_root "private Dovecot and Postfix instances"
require_tools dovecot postfix certtool curl promtool python3
require_executable "$exporter"

# shellcheck source=../shell/process.sh
source "$here/../shell/process.sh"

stop_all() {  # stop_all WORK: every server of a run
  "$here/dovecot_instance.sh" stop "$1/dovecot-tls"
  "$here/dovecot_instance.sh" stop "$1/dovecot-plain"
  "$here/postfix_instance.sh" stop "$1/postfix"
}

# Instances left behind by runs that were killed before their trap ran.
reap_stale "$work_prefix" stop_all

work=$(mktemp -d "${work_prefix}XXXXXX")
chmod 0755 "$work"  # the servers' unprivileged processes must reach their directories
echo $$ >"$work/owner.pid"
exporter_pid=
failures=0

cleanup() {
  local status=$?
  stop_process "$exporter_pid"
  stop_all "$work"
  if [[ $status != 0 ]]; then
    echo "--- exporter log"; cat "$work/exporter.log" 2>/dev/null
    echo "--- last /metrics page"; cat "$work/metrics.txt" 2>/dev/null
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Distinct free loopback ports, all held at once so they cannot coincide.
read -r imap imaps pop3 pop3s sieve lmtp p_imap p_pop3 p_sieve smtp submission smtps p_smtp web_port \
  < <(python3 "$here/../shell/free_ports.py" 14)

# shellcheck source=../shell/check.sh
source "$here/../shell/check.sh"
# shellcheck source=../shell/metrics.sh
source "$here/../shell/metrics.sh"

"$here/make_test_pki.sh" "$work/pki" 30 mail.test >/dev/null || exit 1
cert=$work/pki/server-chain.pem key=$work/pki/server-key.pem
"$here/dovecot_instance.sh" start "$work/dovecot-tls" imap="$imap" imaps="$imaps" \
  pop3="$pop3" pop3s="$pop3s" sieve="$sieve" lmtp="$lmtp" "$cert" "$key" || exit 1
"$here/dovecot_instance.sh" start "$work/dovecot-plain" ssl=no imap="$p_imap" pop3="$p_pop3" \
  sieve="$p_sieve" "$cert" "$key" || exit 1
"$here/postfix_instance.sh" start "$work/postfix" "$smtp" "$cert" "$key" \
  submission="$submission" smtps="$smtps" plain="$p_smtp" || exit 1

# module PROTOCOL [implicit] [SOURCE_ADDRESS]: one module's YAML
module() {
  # Per-target phases on: the test checks which phases each protocol runs.
  printf '  %s:\n    protocol: %s\n    timeout: 3s\n    ehlo_name: probe.test\n' \
    "$1" "${1%%_*}"
  printf '    metrics: {phase_durations: true}\n'
  [[ -n ${3:-} ]] && printf '    source_address: %s\n' "$3"
  printf '    tls:\n      ca_file: %s\n' "$work/pki/ca.pem"
  [[ ${2:-} == implicit ]] && printf '      mode: implicit\n'
  return 0
}
target() {  # target MODULE PORT
  printf '  - address: 127.0.0.1\n    port: %s\n    module: %s\n    server_name: mail.test\n' \
    "$2" "$1"
}
{
  printf 'global:\n  interval: 4s\n  timeout: 3s\nmodules:\n'
  module imap; module imap_implicit implicit; module imap_strict "" 127.0.0.2
  module pop3; module pop3_implicit implicit; module sieve; module lmtp
  module smtp; module submission; module submission_implicit implicit
  printf 'targets:\n'
  target imap "$imap"; target imap_implicit "$imaps"; target imap_strict "$imap"
  target pop3 "$pop3"; target pop3_implicit "$pop3s"; target sieve "$sieve"; target lmtp "$lmtp"
  target imap "$p_imap"; target pop3 "$p_pop3"; target sieve "$p_sieve"
  target smtp "$smtp"; target submission "$submission"; target submission_implicit "$smtps"
  target smtp "$p_smtp"
} >"$work/config.yaml"

"$exporter" --config.file="$work/config.yaml" --web.listen-address="127.0.0.1:$web_port" \
  >"$work/exporter.log" 2>&1 &
exporter_pid=$!

sel() { printf 'target="127.0.0.1:%s"\nmodule="%s"\n' "$2" "$1"; }  # sel MODULE PORT
scrape() { curl -fsS --max-time 5 "http://127.0.0.1:$web_port/metrics" -o "$work/metrics.txt"; }

ready=0
for ((i = 0; i < 75; i++)); do
  alive "$exporter_pid" || { echo "FAIL - exporter exited early"; exit 1; }
  if scrape 2>/dev/null &&
    [[ $(grep -c '^probe_last_run_timestamp_seconds{' "$work/metrics.txt") == 14 ]]; then
    ready=1
    break
  fi
  sleep 0.2
done
[[ $ready == 1 ]] || { echo "FAIL - not every target probed within 15 s"; exit 1; }

# success MODULE PORT AUTH PHASES...: AUTH is 0, 1 or "absent"
success() {
  local m=$1 port=$2 auth=$3 phase
  local -a s
  mapfile -t s < <(sel "$m" "$port")
  echo "# $m on $port"
  check "probe_success 1" metric_is 1 probe_success "${s[@]}"
  check "probe_ssl_cert_verified 1" metric_is 1 probe_ssl_cert_verified "${s[@]}"
  check "probe_tls_version_info present" metric probe_tls_version_info "${s[@]}"
  check "probe_ssl_last_chain_info CN=mail.test" metric probe_ssl_last_chain_info "${s[@]}" \
    'subject="CN=mail.test,'
  for phase in "${@:4}"; do
    check "phase $phase" metric probe_phase_duration_seconds "${s[@]}" "phase=\"$phase\""
  done
  if [[ $auth == absent ]]; then
    check "probe_plaintext_auth_offered absent" absent probe_plaintext_auth_offered "${s[@]}"
  else
    check "probe_plaintext_auth_offered $auth" metric_is "$auth" probe_plaintext_auth_offered \
      "${s[@]}"
  fi
}
implicit_phases=(connect tls_handshake verify banner)
success imap "$imap" 1 banner capability starttls tls_handshake verify logout
success imap_strict "$imap" 0 capability starttls
success imap_implicit "$imaps" absent "${implicit_phases[@]}" logout
success pop3 "$pop3" 1 banner capability starttls tls_handshake verify quit
success pop3_implicit "$pop3s" absent "${implicit_phases[@]}" quit
success sieve "$sieve" 1 banner starttls tls_handshake verify capability logout
success lmtp "$lmtp" absent banner lhlo starttls tls_handshake quit
success smtp "$smtp" absent banner ehlo starttls tls_handshake quit
success submission "$submission" 0 banner ehlo starttls tls_handshake quit
success submission_implicit "$smtps" absent "${implicit_phases[@]}" quit

for m_port in "imap $p_imap" "pop3 $p_pop3" "sieve $p_sieve" "smtp $p_smtp"; do
  mapfile -t s < <(sel $m_port)
  echo "# $m_port without TLS"
  check "probe_success 0" metric_is 0 probe_success "${s[@]}"
  check "starttls/starttls_not_offered" metric_is 1 probe_failure_info "${s[@]}" \
    'phase="starttls"' 'reason="starttls_not_offered"'
  check "probe_smtp_starttls_advertised 0" metric_is 0 probe_smtp_starttls_advertised "${s[@]}"
done

check "promtool check metrics (/metrics)" promtool_ok "$work/metrics.txt"
curl -fsS --max-time 5 -o "$work/probe.txt" \
  "http://127.0.0.1:$web_port/probe?module=sieve&target=127.0.0.1:$sieve" || true
check "/probe sieve: probe_success 1" grep -qx 'probe_success 1' "$work/probe.txt"
check "/probe sieve: probe_plaintext_auth_offered 1" \
  grep -qx 'probe_plaintext_auth_offered 1' "$work/probe.txt"
check "promtool check metrics (/probe)" promtool_ok "$work/probe.txt"

echo "$failures failed assertion(s)"
[[ $failures == 0 ]]
