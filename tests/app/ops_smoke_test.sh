#!/bin/bash
# The ops flags of the starttls_exporter executable: --log.format, --web.config.file (basic
# auth; unloadable tls_server_config refused), POST /-/reload, /-/ready, /config. Loopback only.
# Usage: ops_smoke_test.sh PATH_TO_EXECUTABLE
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
command -v curl >/dev/null || { echo "FAIL: curl not found"; exit 1; }

cat >"$dir/good.yml" <<'YAML'
global: {interval: 1s, timeout: 500ms}
modules: {smtp: {}}
targets:
  - {address: 127.0.0.1, port: 1, module: smtp}
YAML
# bcrypt (cost 4) of "s3cret".
cat >"$dir/web.yml" <<'YAML'
basic_auth_users:
  prometheus: $2b$04$RlRIl8y0NaDBlnkM0CYOsOBSblAdcD8athx/095eCHVOGg77L3gv2
YAML
printf 'cert\n' >"$dir/server.crt"
printf 'key\n' >"$dir/server.key"
cat >"$dir/web-tls.yml" <<'YAML'
tls_server_config:
  cert_file: server.crt
  key_file: server.key
YAML

# start ARGS...: runs the exporter on a free loopback port; sets $pid and $port.
start() {
  : >"$dir/log"
  "$exe" --config.file="$dir/good.yml" --web.listen-address=127.0.0.1:0 "$@" 2>"$dir/log" &
  pid=$!
  port=""
  for _ in $(seq 300); do
    port=$(sed -n 's/.*"msg":"listening".*"port":"\([0-9]*\)".*/\1/p; s/.*msg=listening .*port=\([0-9]*\).*/\1/p' "$dir/log")
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  fail "no listening line: $(cat "$dir/log")"
  return 1
}
stop() {
  kill -TERM "$pid"
  wait "$pid"
  local rc=$?
  pid=""
  [ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM"
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

"$exe" --log.format=yaml >/dev/null 2>"$dir/err"
[ $? -eq 2 ] || fail "--log.format=yaml accepted"
grep -q -- '--log.format: want logfmt or json' "$dir/err" || fail "bad --log.format message"

# JSON logs: every line one JSON object with ts, level, msg.
if start --log.format=json --web.config.file="$dir/web.yml"; then
  u="http://127.0.0.1:$port"
  [ "$(code "$u/-/healthy")" = 200 ] || fail "/-/healthy needs no credentials"
  [ "$(code "$u/metrics")" = 401 ] || fail "/metrics without credentials"
  # Wrong credentials from another loopback address: a failure puts those credentials from
  # that address in a penalty (429 for a while); the right ones from it are still served.
  [ "$(code --interface 127.0.0.2 -u prometheus:wrong "$u/metrics")" = 401 ] || fail "wrong password"
  [ "$(code --interface 127.0.0.2 -u prometheus:wrong "$u/metrics")" = 429 ] ||
    fail "the wrong password again, during its penalty"
  [ "$(code --interface 127.0.0.2 -u prometheus:s3cret "$u/metrics")" = 200 ] ||
    fail "right password during the penalty of a wrong one from the same address"
  [ "$(code --interface 127.0.0.3 -u nobody:s3cret "$u/metrics")" = 401 ] || fail "unknown user"
  [ "$(code -u prometheus:s3cret "$u/metrics")" = 200 ] || fail "right password"
  for path in / /config /-/ready "/probe?target=127.0.0.1:1&module=smtp"; do
    [ "$(code "$u$path")" = 401 ] || fail "$path without credentials"
    [ "$(code -u prometheus:s3cret "$u$path")" = 200 ] || fail "$path with credentials"
  done
  curl -s -D "$dir/headers" -o /dev/null "$u/metrics"
  grep -qi '^WWW-Authenticate: Basic realm="starttls_exporter"' "$dir/headers" ||
    fail "401 without WWW-Authenticate: $(cat "$dir/headers")"
  [ "$(code -u prometheus:s3cret -X POST "$u/-/reload")" = 200 ] || fail "POST /-/reload"
  [ "$(code -u prometheus:s3cret "$u/-/reload")" = 405 ] || fail "GET /-/reload"
  curl -s -u prometheus:s3cret "$u/config" | grep -q 'port: 1, module: smtp' || fail "/config"
  kill -HUP "$pid"
  for _ in $(seq 300); do
    [ "$(grep -c '"msg":"configuration reloaded"' "$dir/log")" -ge 2 ] && break
    sleep 0.1
  done
  stop
  grep -q '"trigger":"SIGHUP"' "$dir/log" || fail "SIGHUP reload not logged"
  grep -q 's3cret\|wrong' "$dir/log" && fail "a password reached the log"
  python3 - "$dir/log" <<'PY' || fail "log is not JSON lines: $(cat "$dir/log")"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) >= 4, lines
for line in lines:
    event = json.loads(line)
    assert list(event)[:3] == ["ts", "level", "msg"], event
PY
fi

# tls_server_config with files that are not PEM: refused at start-up, located in the web
# config file (TLS itself is tested in web_tls_test.sh).
"$exe" --config.file="$dir/good.yml" --web.listen-address=127.0.0.1:0 \
  --web.config.file="$dir/web-tls.yml" 2>"$dir/err"
[ $? -eq 1 ] || fail "tls_server_config with bad files was not refused"
grep -q "web-tls.yml:1:1: tls_server_config: cannot load cert_file" "$dir/err" ||
  fail "tls_server_config refusal message: $(cat "$dir/err")"

# --config.check validates the web config too.
printf 'basic_auth_users:\n  admin: plain\n' >"$dir/bad-web.yml"
"$exe" --config.check --config.file="$dir/good.yml" --web.config.file="$dir/bad-web.yml" \
  >/dev/null 2>"$dir/err"
[ $? -eq 1 ] || fail "--config.check accepted a bad web config"
grep -q "bad-web.yml:2:10: basic_auth_users.admin: not a bcrypt hash" "$dir/err" ||
  fail "bad web config message: $(cat "$dir/err")"

[ "$failures" -eq 0 ] && echo "all ops smoke checks passed"
[ "$failures" -eq 0 ]
