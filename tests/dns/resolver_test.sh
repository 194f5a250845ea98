#!/usr/bin/env bash
# Runs RESOLVER_TEST (tests/dns/resolver_test.cpp) against a private nsd serving the signed zone
# tree of dns_zone_instance.sh on a free loopback port. Usage: resolver_test.sh RESOLVER_TEST
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=${1:?usage: $0 RESOLVER_TEST}
work=$(mktemp -d "${TMPDIR:-/tmp}/starttls_exporter_dns.XXXXXX")
cleanup() { "$here/dns_zone_instance.sh" stop "$work"; rm -rf -- "$work"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$here/dns_zone_instance.sh" start "$work" "$port" || exit 1
DNS_TEST_PORT=$port DNS_TEST_TRUST_ANCHOR=$work/trust-anchor.key "$binary"
