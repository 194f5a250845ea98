#!/usr/bin/env bash
# Runs TEST_BINARY against a private nsd serving the signed zone tree of dns_zone_instance.sh
# on a free loopback port, which it finds in DNS_TEST_PORT; DNS_TEST_TRUST_ANCHOR names the
# tree's trust anchor and DNS_TEST_ZONE_DIR the instance (for dns_zone_instance.sh reload).
# DNS_TEST_DROP_PORT is a relay to that nsd which never answers names under silent.secure.sxt
# (dns_drop_relay.py): a forwarder that answers some names and drops others.
# Usage: with_dns_zone.sh TEST_BINARY [ARGS...]
set -uo pipefail
export PORT_OWNER=$$  # tests/shell/free_ports.py: ports claimed for this test
here=$(cd "$(dirname "$0")" && pwd)
binary=${1:?usage: $0 TEST_BINARY [ARGS...]}
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/starttls_exporter_dns.XXXXXX")
relay=
cleanup() {
  [[ -n $relay ]] && kill "$relay" 2>/dev/null
  "$here/dns_zone_instance.sh" stop "$work"
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
port=$(python3 "$here/../shell/free_ports.py" --dns 1)
"$here/dns_zone_instance.sh" start "$work" "$port" || exit 1
drop_port=$(python3 "$here/../shell/free_ports.py" --dns 1)
python3 "$here/dns_drop_relay.py" "$drop_port" "$port" silent.secure.sxt >"$work/relay.log" 2>&1 &
relay=$!
for _ in $(seq 300); do grep -q ready "$work/relay.log" && break; sleep 0.1; done
DNS_TEST_DROP_PORT=$drop_port DNS_TEST_PORT=$port DNS_TEST_TRUST_ANCHOR=$work/trust-anchor.key \
  DNS_TEST_ZONE_DIR=$work DNS_ZONE_INSTANCE="$here/dns_zone_instance.sh" "$binary" "$@"
