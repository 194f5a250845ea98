#!/usr/bin/env bash
# Runs TEST_BINARY against a private nsd serving the signed zone tree of dns_zone_instance.sh
# on a free loopback port, which it finds in DNS_TEST_PORT; DNS_TEST_TRUST_ANCHOR names the
# tree's trust anchor and DNS_TEST_ZONE_DIR the instance (for dns_zone_instance.sh reload).
# Usage: with_dns_zone.sh TEST_BINARY [ARGS...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=${1:?usage: $0 TEST_BINARY [ARGS...]}
shift
work=$(mktemp -d "${TMPDIR:-/tmp}/starttls_exporter_dns.XXXXXX")
cleanup() { "$here/dns_zone_instance.sh" stop "$work"; rm -rf -- "$work"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
port=$(python3 "$here/dns_port.py")
"$here/dns_zone_instance.sh" start "$work" "$port" || exit 1
DNS_TEST_PORT=$port DNS_TEST_TRUST_ANCHOR=$work/trust-anchor.key DNS_TEST_ZONE_DIR=$work \
  DNS_ZONE_INSTANCE="$here/dns_zone_instance.sh" "$binary" "$@"
