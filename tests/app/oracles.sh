#!/usr/bin/env bash
# The independent oracles of the dane and mta-sts tests, asked through a validating resolver of
# their own, Debian's unbound daemon, which knows only the test zone tree (stub zones to the
# harness's nsd, its trust anchor). Loopback only: unbound listens on a free 127.0.53.N:53 and
# forwards nothing beyond the nsd of tests/dns/with_dns_zone.sh (the root is stubbed to it
# too, so no root priming).
#   - DANE: Postfix's own DANE client, posttls-finger (OpenSSL's DANE matching);
#   - MTA-STS: mta-sts-query of Debian's postfix-mta-sts-resolver (aiodns, aiohttp).
# Both read /etc/resolv.conf only, so each runs in a private mount namespace whose
# /etc/resolv.conf names that unbound; the machine's own resolv.conf is never touched.
#
#   oracles.sh run TEST_BINARY [ARGS...]
#       Under with_dns_zone.sh (DNS_TEST_PORT, DNS_TEST_TRUST_ANCHOR): starts unbound, runs the
#       test with DANE_ORACLE="oracles.sh check DIR" and MTA_STS_ORACLE="oracles.sh
#       mta-sts DIR", stops unbound.
#   oracles.sh check DIR DOMAIN PORT
#       posttls-finger -l dane DOMAIN:PORT. Exits 0 when the connection was verified (DANE
#       matched), 1 when it was not, 2 when the oracle is broken.
#   oracles.sh mta-sts DIR DOMAIN CA_FILE
#       mta-sts-query DOMAIN, trusting CA_FILE for the policy host. Exits 0 when it found a
#       valid policy (and prints its mode), 1 when it did not, 2 when the oracle is broken.
set -uo pipefail
export PORT_OWNER=${PORT_OWNER:-$$}  # tests/shell/free_ports.py: claims for this test
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "oracles: $*" >&2; exit 2; }

free_address() {  # the first 127.0.53.N with port 53 free, claimed for this run
  python3 "$here/../shell/free_ports.py" --port-53-address
}

write_unbound_conf() {  # DIR ADDRESS
  local dir=$1 address=$2 zone
  {
    cat <<CONF
server:
  interface: $address
  port: 53
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: "$dir/unbound.pid"
  logfile: "$dir/unbound.log"
  use-syslog: no
  num-threads: 1
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  trust-anchor-file: "$DNS_TEST_TRUST_ANCHOR"
  module-config: "validator iterator"
  val-permissive-mode: no
  cache-max-ttl: 1
  cache-max-negative-ttl: 1
remote-control:
  control-enable: no
CONF
    for zone in sxt. test. .; do
      printf 'stub-zone:\n  name: "%s"\n  stub-addr: 127.0.0.1@%s\n  stub-prime: no\n' \
        "$zone" "$DNS_TEST_PORT"
    done
  } >"$dir/unbound.conf"
}

run() {
  command -v unbound >/dev/null || die "unbound not installed (script/bootstrap installs it)"
  command -v posttls-finger >/dev/null || die "posttls-finger not installed (postfix)"
  command -v mta-sts-query >/dev/null || die "mta-sts-query not installed (script/bootstrap)"
  : "${DNS_TEST_PORT:?run under tests/dns/with_dns_zone.sh}" "${DNS_TEST_TRUST_ANCHOR:?}"
  local dir address
  dir=$(mktemp -d "${TMPDIR:-/tmp}/starttls_exporter_oracles.XXXXXX")
  address=$(free_address) || die "no free 127.0.53.N:53"
  write_unbound_conf "$dir" "$address"
  printf 'nameserver %s\noptions trust-ad\n' "$address" >"$dir/resolv.conf"
  mkdir -p "$dir/postfix"
  printf 'compatibility_level = 3.6\nsmtp_dns_support_level = dnssec\n' >"$dir/postfix/main.cf"
  unbound -c "$dir/unbound.conf" || die "unbound did not start: $(cat "$dir/unbound.log")"
  # shellcheck disable=SC2064  # expand now: the directory is fixed
  trap "kill \$(cat '$dir/unbound.pid' 2>/dev/null) 2>/dev/null; rm -rf -- '$dir'" EXIT
  DANE_ORACLE="$here/oracles.sh check $dir" MTA_STS_ORACLE="$here/oracles.sh mta-sts $dir" "$@"
}

check() {
  local dir=${1:?dir} domain=${2:?domain} port=${3:?port} out
  # posttls-finger resolves through /etc/resolv.conf only: give it a private one. unshare -m
  # makes the namespace's mounts private, so the bind mount is never seen outside it.
  # shellcheck disable=SC2016  # $1 and $@ are the inner shell's
  out=$(MAIL_CONFIG=$dir/postfix unshare -m sh -c \
    'mount --bind "$1/resolv.conf" /etc/resolv.conf && shift && exec posttls-finger "$@"' \
    oracle "$dir" -c -t 5 -T 5 -l dane "$domain:$port" 2>&1)
  printf '%s\n' "$out"
  if grep -q "Verified TLS connection established" <<<"$out"; then
    exit 0
  fi
  # Anything else it reached a verdict on is "not verified"; no verdict at all is a broken oracle.
  grep -qE "TLS connection established|TLSA lookup error|certificate verification failed|\
Server certificate not (verified|trusted)|no MX host|Host or domain name not found" <<<"$out" \
    && exit 1
  exit 2
}

mta_sts() {
  local dir=${1:?dir} domain=${2:?domain} ca=${3:?ca file} out
  command -v mta-sts-query >/dev/null || die "mta-sts-query not installed (postfix-mta-sts-resolver)"
  # shellcheck disable=SC2016  # $1 and $@ are the inner shell's
  out=$(SSL_CERT_FILE=$ca unshare -m sh -c \
    'mount --bind "$1/resolv.conf" /etc/resolv.conf && shift && exec mta-sts-query "$@"' \
    oracle "$dir" -v error "$domain" 2>&1)
  printf '%s\n' "$out"
  if grep -q "STSFetchResult.VALID" <<<"$out"; then
    sed -n "s/.*'mode': '\([a-z]*\)'.*/mode=\1/p" <<<"$out"
    exit 0
  fi
  grep -qE "STSFetchResult\.(FETCH_ERROR|NONE)" <<<"$out" && exit 1
  exit 2
}

case ${1:-} in
  run) shift; run "$@" ;;
  check) shift; check "$@" ;;
  mta-sts) shift; mta_sts "$@" ;;
  *) die "usage: $0 run TEST_BINARY [ARGS...] | check DIR DOMAIN PORT | mta-sts DIR DOMAIN CA" ;;
esac
