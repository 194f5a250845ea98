#!/usr/bin/env bash
# Creates a test PKI with certtool (GnuTLS), for the Postfix integration test.
#
# Usage: make_test_pki.sh OUT_DIR DAYS [NAME [MORE_NAME...]]
#   OUT_DIR  directory to write into (created if missing)
#   DAYS     validity of the server certificate, in days from now
#   NAME     the server certificate's common name and first DNS name (default: mx.test)
#   MORE_NAME further DNS names (subjectAltName), e.g. a wildcard
#
# Writes: ca.pem, ca-key.pem (test CA, valid 2 years), server.pem, server-key.pem
# (leaf for NAME, signed by the CA, valid DAYS days), server-chain.pem (leaf + CA).
# Keys are ECDSA P-256. Nothing is ever read from or written to the system trust store.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 OUT_DIR DAYS [NAME [MORE_NAME...]]" >&2
  exit 2
fi
out=$1
days=$2
name=${3:-mx.test}
more_names=("${@:4}")
[[ $days =~ ^[0-9]+$ ]] || { echo "$0: DAYS must be a whole number" >&2; exit 2; }

mkdir -p "$out"
cd "$out"

certtool_quiet() { certtool "$@" >/dev/null 2>&1; }

cat >ca.tmpl <<TMPL
cn = "starttls_exporter test CA"
organization = "starttls_exporter tests"
serial = 1
expiration_days = 730
ca
cert_signing_key
crl_signing_key
TMPL

cat >server.tmpl <<TMPL
cn = "$name"
organization = "starttls_exporter tests"
serial = 2
expiration_days = $days
dns_name = "$name"
$(for more in "${more_names[@]}"; do echo "dns_name = \"$more\""; done)
tls_www_server
signing_key
encryption_key
TMPL

certtool_quiet --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile ca-key.pem
certtool_quiet --generate-self-signed --load-privkey ca-key.pem --template ca.tmpl \
  --outfile ca.pem
certtool_quiet --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile server-key.pem
certtool_quiet --generate-certificate --load-privkey server-key.pem --load-ca-certificate ca.pem \
  --load-ca-privkey ca-key.pem --template server.tmpl --outfile server.pem
cat server.pem ca.pem >server-chain.pem
rm -f ca.tmpl server.tmpl
chmod 0600 ca-key.pem server-key.pem
