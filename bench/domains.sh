# bench/run's mail-domain scenarios (sourced by bench/run; uses its helpers and variables).
#
# A private nsd on 127.0.0.1:$nsd_port serves bench.sxt., signed at each run (ldns-keygen,
# ldns-signzone) and used as the exporter's trust anchor: d0 … d9999.bench.sxt, each with one MX
# host mx<i>.bench.sxt holding three addresses in 127.10/15 (DNAT to the bench's Postfix, whose
# certificate also names *.bench.sxt). The exporter's resolver is tests/dns/dns_drop_relay.py on
# $proxy_port, which relays to nsd and never answers names under silent.bench.sxt (domains10k
# asks nsd directly). TTLs are 60 s. Loopback only.

dns_started=
start_bench_dns() {
  [[ -n $dns_started ]] && return 0
  local d=$work/dns i k
  mkdir -p "$d"
  {
    printf '$ORIGIN bench.sxt.\n$TTL 60\n'
    echo "@ IN SOA ns hostmaster 1 3600 600 86400 60"
    echo "@ IN NS ns"
    echo "ns IN A 127.0.0.1"
    for ((i = 0; i < 10000; i++)); do
      echo "d$i IN MX 10 mx$i"
      for ((k = 0; k < 3; k++)); do echo "mx$i IN A $(address 10 $((3 * i + k)))"; done
    done
  } >"$d/bench.sxt.zone"
  local key
  key=$(cd "$d" && ldns-keygen -a ECDSAP256SHA256 -k bench.sxt.) || die "ldns-keygen"
  ldns-signzone -u -f "$d/bench.sxt.signed" "$d/bench.sxt.zone" "$d/$key" || die "ldns-signzone"
  grep -v '^;' "$d/$key.key" >"$d/trust-anchor.key"
  cat >"$d/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$nsd_port
  do-ip6: no
  port: $nsd_port
  username: ""
  chroot: ""
  zonesdir: "$d"
  database: ""
  zonelistfile: "$d/zone.list"
  xfrdfile: "$d/xfrd.state"
  pidfile: "$d/nsd.pid"
  logfile: "$d/nsd.log"
  server-count: 1
  verbosity: 0
  rrl-ratelimit: 0   # every query comes from 127.0.0.1: response rate limiting would drop them
remote-control:
  control-enable: no
zone:
  name: "bench.sxt."
  zonefile: "bench.sxt.signed"
CONF
  nsd -c "$d/nsd.conf" || die "nsd did not start: $(cat "$d/nsd.log" 2>/dev/null)"
  python3 "$bench/../tests/dns/dns_drop_relay.py" "$proxy_port" "$nsd_port" silent.bench.sxt >"$d/proxy.log" 2>&1 &
  pids+=("$!")
  for ((i = 0; i < 50; i++)); do grep -q ready "$d/proxy.log" && break; sleep 0.2; done
  dns_started=1
  echo "nsd on 127.0.0.1:$nsd_port (bench.sxt., signed), relay on 127.0.0.1:$proxy_port"
}

# write_domain_config FILE HEALTHY SILENT INTERVAL REFRESH [RESOLVER_PORT [MAX_REFRESH]]
# (MAX_REFRESH, default REFRESH: how long the last good answer is kept while refreshes fail)
write_domain_config() {
  local file=$1 healthy=$2 silent=$3 interval=$4 refresh=$5 resolver_port=${6:-$proxy_port}
  local max_refresh=${7:-$5} i
  {
    cat <<YAML
global:
  interval: $interval
  timeout: 10s
  concurrency: 256
modules:
  smtp:
    ehlo_name: probe.test
    tls:
      ca_file: $work/pki/ca.pem
dns:
  resolver: 127.0.0.1:$resolver_port
  trust_anchor_file: $work/dns/trust-anchor.key
  timeout: 5s
  min_refresh: $refresh
  max_refresh: $max_refresh
  allowed_reserved_cidrs: [127.0.0.0/8]
  address_family: ipv4
domains:
YAML
    for ((i = 0; i < healthy; i++)); do
      echo "  - {domain: d$i.bench.sxt, module: smtp, port: $pf_port}"
    done
    for ((i = 0; i < silent; i++)); do
      echo "  - {domain: s$i.silent.bench.sxt, module: smtp, port: $pf_port}"
    done
  } >"$file"
}

sum_metric() {  # sum_metric FILE NAME: the sum of NAME's samples on a /metrics page
  awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $2 } END { printf "%.0f", s }' "$1"
}

run_domains() {
  echo "== domains: 1,000 domains x 3 addresses, re-resolved every 30s, probed hourly"
  start_bench_dns
  write_domain_config "$work/domains.yaml" 1000 0 1h 30s
  launch_exporter domains
  # The first round probes the 3,000 addresses (100 new targets/s), then only DNS runs.
  sleep 50
  scrape "$work/domains.0.prom" || die "scrape"
  local c0 c1 t0 t1 lookups probes domains_ok
  c0=$(cpu_ticks "$exporter_pid") t0=$(now)
  sleep "$seconds"
  c1=$(cpu_ticks "$exporter_pid") t1=$(now)
  scrape "$work/domains.1.prom" || die "scrape"
  lookups=$(($(sum_metric "$work/domains.1.prom" starttls_exporter_dns_lookups_total) -
    $(sum_metric "$work/domains.0.prom" starttls_exporter_dns_lookups_total)))
  probes=$(($(sum_metric "$work/domains.1.prom" starttls_exporter_probes_total) -
    $(sum_metric "$work/domains.0.prom" starttls_exporter_probes_total)))
  domains_ok=$(sum_metric "$work/domains.1.prom" probe_domain_success)
  # One refresh of a domain here is three validated lookups: its MX, its MX host's A, and the
  # host's TLSA at _25._tcp (a signed NXDOMAIN).
  result "domains refreshes_per_s $(calc "$lookups / 3 / ($t1 - $t0)")"
  result "domains cpu_us_per_refresh $(calc "($c1 - $c0) / $clk_tck * 1e6 / ($lookups / 3)")"
  result "domains cores_avg $(calc "($c1 - $c0) / $clk_tck / ($t1 - $t0)" 4)"
  result "domains probes_in_window $probes"
  result "domains domains_succeeding $domains_ok (of 1000)"
  result "domains vmrss_mb $(calc "$(status_kb "$exporter_pid" VmRSS) / 1024")"
  stop_exporter
}

# Issue 29's domains at scale: 10,000 domains (30,000 addresses) refreshed at their TTL (60 s),
# straight from nsd. BENCH_DOMAINS_INTERVAL (default 1h) is the addresses' probe interval: with
# 1h no probe runs in the window (the first round ends at 300 s, 100 new targets/s, and each
# address' next probe comes half an hour later or more), so its CPU is the refreshes'; with 5m,
# 100 probes/s run beside the refreshes and the scheduling lag says whether a refresh delays
# them.
run_domains10k() {
  local interval=${BENCH_DOMAINS_INTERVAL:-1h}
  echo "== domains10k: 10,000 domains x 3 addresses, refreshed at their TTL (60 s), probed every $interval"
  start_bench_dns
  # min_refresh 60 s: each domain at its TTL; max_refresh keeps its default, 1h, so a refresh
  # that fails under load keeps the last good answer instead of dropping the domain's targets.
  write_domain_config "$work/domains10k.yaml" 10000 0 "$interval" 60s "$nsd_port" 1h
  launch_exporter domains10k
  measure domains10k 400 120
  report_common domains10k
  local lookups probes window
  window=$(calc "$m_window_s" 3)
  lookups=$(($(sum_metric "$work/domains10k.1.prom" starttls_exporter_dns_lookups_total) -
    $(sum_metric "$work/domains10k.0.prom" starttls_exporter_dns_lookups_total)))
  probes=$(($(sum_metric "$work/domains10k.1.prom" starttls_exporter_probes_total) -
    $(sum_metric "$work/domains10k.0.prom" starttls_exporter_probes_total)))
  result "domains10k lookups_per_s $(calc "$lookups / $window")"
  result "domains10k probes_per_s_all $(calc "$probes / $window")"
  # Refreshes: every domain once per TTL, 10,000 / 60 s (its MX, its host's A, the host's TLSA).
  result "domains10k cpu_us_per_refresh $(calc "$m_cpu_rate * 1e6 / (10000 / 60)") ($probes probes in the window, included)"
  result "domains10k cpu_us_per_lookup $(calc "$m_cpu_rate * $window * 1e6 / $lookups")"
  result "domains10k domains_succeeding $(sum_metric "$work/domains10k.1.prom" probe_domain_success) (of 10000)"
  result "domains10k vmrss_mb $(calc "$(status_kb "$exporter_pid" VmRSS) / 1024")"
  result "domains10k rss_per_domain_kb $(calc "$(status_kb "$exporter_pid" VmRSS) / 10000" 2) (its 3 addresses' targets and results included)"
  stop_exporter
}

run_domain_hang() {  # run_domain_hang NAME SILENT
  start_bench_dns
  write_domain_config "$work/$1.yaml" 1000 "$2" 60s 60s
  launch_exporter "$1"
  measure "$1" 70 60
  report_common "$1"
  result "$1 domains_succeeding $(sum_metric "$work/$1.1.prom" probe_domain_success) (of 1000)"
  result "$1 dns_timeouts $(awk '$1 == "starttls_exporter_dns_lookups_total{result=\"timeout\"}" \
    { print $2 }' "$work/$1.1.prom")"
  stop_exporter
}

run_domains_hang_base() {
  echo "== domains_hang_base: 1,000 domains x 3 addresses probed every 60s"
  run_domain_hang domains_hang_base 0
}

run_domains_hang() {
  echo "== domains_hang: the same plus 100 domains whose DNS never answers"
  run_domain_hang domains_hang 100
}
