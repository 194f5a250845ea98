#!/usr/bin/env bash
# A private authoritative DNS server (Debian's nsd) on 127.0.0.1:PORT serving a zone tree that
# is generated and DNSSEC-signed (ldns-keygen, ldns-signzone) at each start. Loopback only;
# every address in the zones is in 127.0.0.0/8 or ::1, except the reserved-range examples,
# which are never connected to.
#
#   dns_zone_instance.sh start DIR PORT   # writes DIR/trust-anchor.key (the sxt. DNSKEY)
#   dns_zone_instance.sh stop DIR
#   dns_zone_instance.sh reload DIR       # re-reads DIR/zones/*.zone after an edit (re-signs)
#
# TTLs are 1 s (negative answers too), so a test that edits the tree sees the change at the
# next refresh rather than after a cache lifetime.
#
# The tree (sxt. is the signed parent and the trust anchor):
#   secure.sxt.    signed, DS in sxt.: MX hosts, null MX, no MX, CNAME MX, reserved, many
#                  MX hosts, an A RRset too large for UDP; loopback.secure.sxt's MX is on
#                  127.0.0.1 (where the harnesses' Postfix listens); valid MTA-STS and
#                  TLS-RPT records for secure.sxt, an MTA-STS record in two strings for
#                  shared-b.secure.sxt and one without an id for reserved.secure.sxt
#   insecure.sxt.  unsigned, no DS: a valid but unauthenticated delegation; two MTA-STS
#                  records and an invalid TLS-RPT record (an http: rua)
#   bogus.sxt.     signed with a key whose DS is not the one in sxt.
#   expired.sxt.   signed with signatures that expired in 2020
#   mail.test.     unsigned, under the special-use test. (must not be shadowed by the resolver)
# Names under no zone here (example.com.) are REFUSED: the resolver sees SERVFAIL.
set -euo pipefail

die() { echo "dns_zone_instance: $*" >&2; exit 1; }
command -v nsd >/dev/null || die "nsd not installed"
command -v ldns-signzone >/dev/null || die "ldns-signzone not installed (ldnsutils)"

action=${1:?usage: $0 start DIR PORT | stop DIR | reload DIR}
dir=${2:?directory}

soa() {  # soa ZONE
  printf '$ORIGIN %s\n$TTL 1\n@ IN SOA ns.sxt. hostmaster.sxt. 1 3600 600 86400 1\n@ IN NS ns.sxt.\n' "$1"
}

write_zones() {
  local z=$dir/zones
  mkdir -p "$z"
  { soa secure.sxt.
    cat <<'ZONE'
@        IN MX 10 mx1
@        IN MX 20 mx2
mx1      IN A 127.0.0.11
mx2      IN A 127.0.0.12
mx2      IN AAAA ::1
nullmx   IN MX 0 .
nomx     IN A 127.0.0.13
cname    IN MX 10 alias
alias    IN CNAME mx1
shared-a IN MX 10 mx1
shared-b IN MX 10 mx1.secure.sxt.
loopback IN MX 10 lo
lo       IN A 127.0.0.1
reserved IN MX 10 mxr
mxr      IN A 10.0.0.5
mxr      IN A 127.0.0.14
_mta-sts IN TXT "v=STSv1; id=2026120201"
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@secure.sxt"
_mta-sts.shared-b IN TXT "v=STSv1; " "id=split1"
_mta-sts.reserved IN TXT "v=STSv1;"
ZONE
    for i in $(seq 1 12); do echo "many IN MX $i m$i"; echo "m$i IN A 127.0.1.$i"; done
    echo "big IN MX 10 bighost"
    for i in $(seq 1 120); do echo "bighost IN A 127.0.2.$i"; done
  } >"$z/secure.sxt.zone"
  { soa insecure.sxt.; echo "@ IN MX 10 mx"; echo "mx IN A 127.0.0.21"
    echo '_mta-sts IN TXT "v=STSv1; id=a1"'; echo '_mta-sts IN TXT "v=STSv1; id=b2"'
    echo '_smtp._tls IN TXT "v=TLSRPTv1; rua=http://reports.insecure.sxt/"'
  } >"$z/insecure.sxt.zone"
  { soa bogus.sxt.; echo "@ IN MX 10 mx"; echo "mx IN A 127.0.0.31"; } >"$z/bogus.sxt.zone"
  { soa expired.sxt.; echo "@ IN MX 10 mx"; echo "mx IN A 127.0.0.41"; } >"$z/expired.sxt.zone"
  { soa mail.test.; echo "@ IN MX 10 mx"; echo "mx IN A 127.0.0.51"; } >"$z/mail.test.zone"
}

keygen() {  # keygen ZONE: prints the key's base name
  (cd "$dir/keys" && ldns-keygen -a ECDSAP256SHA256 -k "$1")
}

# Keys are made once per DIR (a reload re-signs with the same keys: the trust anchor stays).
make_keys() {
  local k=$dir/keys
  [[ -f $k/names ]] && return 0
  mkdir -p "$k"
  # bogus.sxt. is signed with its first key while the parent holds the DS of the second.
  echo "$(keygen secure.sxt.) $(keygen bogus.sxt.) $(keygen bogus.sxt.) $(keygen expired.sxt.)" \
    "$(keygen sxt.)" >"$k/names"
}

sign_all() {
  local z=$dir/zones k=$dir/keys
  make_keys
  local secure bogus wrong expired parent
  read -r secure bogus wrong expired parent <"$k/names"
  ldns-signzone -u -f "$z/secure.sxt.signed" "$z/secure.sxt.zone" "$k/$secure"
  ldns-signzone -u -f "$z/bogus.sxt.signed" "$z/bogus.sxt.zone" "$k/$bogus"
  ldns-signzone -u -e 20200201000000 -i 20200101000000 -f "$z/expired.sxt.signed" \
    "$z/expired.sxt.zone" "$k/$expired"
  { soa sxt.
    echo "ns IN A 127.0.0.1"
    for child in secure insecure bogus expired; do echo "$child IN NS ns.sxt."; done
    cat "$k/$secure.ds" "$k/$wrong.ds" "$k/$expired.ds"
  } >"$z/sxt.zone"
  ldns-signzone -u -f "$z/sxt.signed" "$z/sxt.zone" "$k/$parent"
  grep -v '^;' "$k/$parent.key" >"$dir/trust-anchor.key"
}

write_conf() {
  local port=$1
  cat >"$dir/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$port
  do-ip6: no
  port: $port
  username: ""
  chroot: ""
  zonesdir: "$dir/zones"
  database: ""
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  pidfile: "$dir/nsd.pid"
  logfile: "$dir/nsd.log"
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
CONF
  for zone in sxt secure.sxt bogus.sxt expired.sxt; do
    printf 'zone:\n  name: "%s."\n  zonefile: "%s.signed"\n' "$zone" "$zone" >>"$dir/nsd.conf"
  done
  for zone in insecure.sxt mail.test; do
    printf 'zone:\n  name: "%s."\n  zonefile: "%s.zone"\n' "$zone" "$zone" >>"$dir/nsd.conf"
  done
}

stop() {
  [[ -f $dir/nsd.pid ]] || return 0
  local pid
  pid=$(cat "$dir/nsd.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/nsd.pid"
}

case $action in
  start)
    port=${3:?port}
    mkdir -p "$dir"
    write_zones
    sign_all >/dev/null
    write_conf "$port"
    nsd-checkconf "$dir/nsd.conf" || die "bad nsd.conf"
    nsd -c "$dir/nsd.conf" || die "nsd did not start: $(cat "$dir/nsd.log" 2>/dev/null)"
    for _ in $(seq 100); do
      [[ -f $dir/nsd.pid ]] && grep -q "zone .* serial\|nsd started" "$dir/nsd.log" 2>/dev/null && break
      sleep 0.1
    done
    ;;
  reload)
    sign_all >/dev/null
    kill -HUP "$(cat "$dir/nsd.pid")"
    ;;
  stop) stop ;;
  *) die "unknown action $action" ;;
esac
