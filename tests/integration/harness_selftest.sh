#!/usr/bin/env bash
# Checks the test harness itself, independent of the exporter: a private Postfix instance from
# postfix_instance.sh offers STARTTLS with the certificate from make_test_pki.sh, verifiable
# against the test CA for mx.test, and stop leaves neither a listener nor files behind.
# Exit status: 0 pass, 1 fail, 77 skip (not root).
set -uo pipefail
export PORT_OWNER=$$  # tests/shell/free_ports.py: ports claimed for this test

here=$(cd "$(dirname "$0")" && pwd)
if [[ $(id -u) != 0 ]]; then
  echo "SKIP: must run as root to start a private Postfix instance"
  exit 77
fi
for tool in postfix certtool gnutls-cli python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found; run script/bootstrap"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/starttls_exporter_hs.XXXXXX")
chmod 0755 "$work"
trap '"$here/postfix_instance.sh" stop "$work/postfix"; rm -rf -- "$work"' EXIT
port=$(python3 "$here/../shell/free_ports.py" 1)
failures=0
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }

"$here/make_test_pki.sh" "$work/pki" 3 mx.test || exit 1

cert_time() {  # cert_time "Not Before"|"Not After": that date of server.pem, in Unix seconds
  date -d "$(certtool -i --infile "$work/pki/server.pem" | sed -n "s/^[[:space:]]*$1: //p")" +%s
}
not_before=$(cert_time "Not Before") && not_after=$(cert_time "Not After") || exit 1
((not_after - not_before == 3 * 86400)) || fail "certificate lifetime $((not_after - not_before)) s"
((not_before <= $(date +%s))) || fail "certificate not yet valid"

"$here/postfix_instance.sh" start "$work/postfix" "$port" \
  "$work/pki/server-chain.pem" "$work/pki/server-key.pem" || exit 1

tls_session() {  # tls_session NAME: STARTTLS handshake verifying NAME; prints gnutls-cli's log
  echo QUIT | timeout 10 gnutls-cli --starttls-proto=smtp --x509cafile "$work/pki/ca.pem" \
    --verify-hostname "$1" -p "$port" 127.0.0.1 2>&1
}
out=$(tls_session mx.test)
grep -q 'Handshake was completed' <<<"$out" || fail "STARTTLS handshake with mx.test: $out"
grep -q 'The certificate is trusted' <<<"$out" || fail "certificate not trusted for mx.test: $out"
grep -q '(TLS1.3' <<<"$out" || fail "not TLS 1.3: $out"
out=$(tls_session other.test)
grep -q 'The certificate is trusted' <<<"$out" && fail "certificate trusted for other.test"

"$here/postfix_instance.sh" stop "$work/postfix"
[[ -e $work/postfix ]] && fail "instance directory left behind"
if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
  fail "port $port still accepts after stop"
fi

echo "$failures failed assertion(s)"
[[ $failures == 0 ]]
