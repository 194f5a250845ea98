#!/bin/bash
# Smoke test of the starttls_exporter executable: flags, --config.check, and a short run with
# SIGHUP and SIGTERM. Loopback only. Usage: app_smoke_test.sh PATH_TO_EXECUTABLE
set -u
exe="$1"
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect CODE DESCRIPTION -- COMMAND...: runs the command, output in $dir/out and $dir/err.
expect() {
  local want=$1 what=$2
  shift 3
  "$@" >"$dir/out" 2>"$dir/err"
  local got=$?
  [ "$got" -eq "$want" ] || fail "$what: exit $got, want $want; stderr: $(cat "$dir/err")"
}

cat >"$dir/good.yml" <<'YAML'
global:
  interval: 1s
  timeout: 500ms
modules:
  smtp:
    protocol: smtp
targets:
  - address: 127.0.0.1
    port: 1
    module: smtp
YAML
cat >"$dir/bad.yml" <<'YAML'
modules:
  smtp:
targets:
  - address: 127.0.0.256
    module: smtp
YAML
printf 'not a certificate\n' >"$dir/garbage.pem"
cat >"$dir/badca.yml" <<YAML
modules:
  custom:
    tls:
      ca_file: $dir/garbage.pem
targets: []
YAML

expect 0 "--version" -- "$exe" --version
grep -Eq '^starttls_exporter [0-9]+\.[0-9]+\.[0-9]+ \(gnutls [0-9.]+\)$' "$dir/out" ||
  fail "--version printed: $(cat "$dir/out")"

expect 0 "--help" -- "$exe" --help
grep -q -- '--config.file' "$dir/out" || fail "--help lacks --config.file"

expect 2 "unknown flag" -- "$exe" --no-such-flag
grep -q 'unknown flag: --no-such-flag' "$dir/err" || fail "unknown flag message: $(cat "$dir/err")"
grep -q 'usage:' "$dir/err" || fail "unknown flag: no usage"

expect 0 "check of a valid config" -- "$exe" --config.check --config.file="$dir/good.yml"
grep -qx 'config OK: 1 targets, 1 modules' "$dir/out" || fail "check output: $(cat "$dir/out")"

expect 0 "two-token --config.file" -- "$exe" --config.file "$dir/good.yml" --config.check

expect 1 "check of an invalid config" -- "$exe" --config.check --config.file="$dir/bad.yml"
grep -q "^$dir/bad.yml:4:[0-9]*: targets\[0\].address: " "$dir/err" ||
  fail "invalid config message: $(cat "$dir/err")"

expect 1 "check of a config with a non-PEM CA file" -- \
  "$exe" --config.check --config.file="$dir/badca.yml"
grep -q "^$dir/badca.yml:4:[0-9]*: modules.custom.tls.ca_file: " "$dir/err" ||
  fail "bad CA file message: $(cat "$dir/err")"

expect 1 "missing config file" -- "$exe" --config.check --config.file="$dir/none.yml"

# A short run: scrape over loopback, reload a broken config, stop with SIGTERM.
"$exe" --config.file="$dir/good.yml" --web.listen-address=127.0.0.1:0 2>"$dir/log" &
pid=$!
port=""
for _ in $(seq 300); do
  port=$(sed -n 's/.*msg=listening .*port=\([0-9]*\).*/\1/p' "$dir/log")
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then
  fail "no listening line: $(cat "$dir/log")"
else
  http_get() {
    exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&3 && cat <&3
    exec 3<&-
  }
  http_get /-/healthy | tail -n 1 | grep -qx 'OK' || fail "/-/healthy"
  http_get / | grep -q 'href="metrics"' || fail "/ lacks a link to metrics"
  http_get /metrics | grep -q '^starttls_exporter_build_info' || fail "/metrics"
  cp "$dir/bad.yml" "$dir/good.yml"
  kill -HUP "$pid"
  for _ in $(seq 300); do
    grep -q 'reload failed' "$dir/log" && break
    sleep 0.1
  done
  grep -q "msg=\"configuration reload failed; keeping the running configuration\".*good.yml:4:" \
    "$dir/log" || fail "reload error not logged with file:line: $(cat "$dir/log")"
  kill -0 "$pid" 2>/dev/null || fail "exporter died after a bad reload"
  kill -TERM "$pid"
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    fail "still running 30 s after SIGTERM"
  else
    wait "$pid"
    rc=$?
    [ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM"
    pid=""
  fi
  grep -q 'msg=stopped' "$dir/log" || fail "no stopped line"
fi

[ "$failures" -eq 0 ] && echo "all app smoke checks passed"
[ "$failures" -eq 0 ]
