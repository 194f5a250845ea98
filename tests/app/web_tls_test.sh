#!/bin/bash
# TLS on the web port (tls_server_config of --web.config.file), end to end against the
# starttls_exporter executable on loopback: HTTPS with a test CA, plain HTTP refused, the
# internal plaintext port refusing direct connections (403), mutual TLS, basic auth over TLS,
# hostile clients bounded by the handshake timeout, prompt SIGTERM with connections open, and
# the config errors. Usage: web_tls_test.sh PATH_TO_EXECUTABLE
set -u
exe="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work=$(mktemp -d)
pid=""
helpers=()
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  for h in "${helpers[@]}"; do kill -KILL "$h" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
# shellcheck source=../shell/check.sh
source "$here/../shell/check.sh"
for tool in curl certtool python3; do
  command -v "$tool" >/dev/null || { echo "FAIL - $tool not found"; exit 1; }
done

# --- PKI: the server's CA (make_test_pki.sh), a client CA with a client, another CA's client.
"$here/../integration/make_test_pki.sh" "$work/pki" 30 mx.test
client_pki() {  # client_pki NAME: NAME-ca.pem, NAME.pem, NAME-key.pem (TLS client purpose)
  local n=$1
  printf 'cn = "%s CA"\nca\ncert_signing_key\nexpiration_days = 30\n' "$n" >"$work/ca.tmpl"
  printf 'cn = "%s client"\ntls_www_client\nsigning_key\nexpiration_days = 30\n' "$n" \
    >"$work/client.tmpl"
  certtool --generate-privkey --key-type=ecdsa --outfile "$work/$n-ca-key.pem" 2>/dev/null
  certtool --generate-self-signed --load-privkey "$work/$n-ca-key.pem" \
    --template "$work/ca.tmpl" --outfile "$work/$n-ca.pem" 2>/dev/null
  certtool --generate-privkey --key-type=ecdsa --outfile "$work/$n-key.pem" 2>/dev/null
  certtool --generate-certificate --load-privkey "$work/$n-key.pem" \
    --load-ca-certificate "$work/$n-ca.pem" --load-ca-privkey "$work/$n-ca-key.pem" \
    --template "$work/client.tmpl" --outfile "$work/$n.pem" 2>/dev/null
}
client_pki clients
client_pki stranger

cat >"$work/config.yml" <<'YAML'
global: {interval: 1s, timeout: 500ms}
modules: {smtp: {}}
targets:
  - {address: 127.0.0.1, port: 1, module: smtp}
YAML
# bcrypt (cost 4) of "s3cret".
cat >"$work/web-tls.yml" <<'YAML'
tls_server_config:
  cert_file: pki/server.pem
  key_file: pki/server-key.pem
basic_auth_users:
  prometheus: $2b$04$RlRIl8y0NaDBlnkM0CYOsOBSblAdcD8athx/095eCHVOGg77L3gv2
YAML
cat >"$work/web-mtls.yml" <<'YAML'
tls_server_config:
  cert_file: pki/server.pem
  key_file: pki/server-key.pem
  client_ca_file: clients-ca.pem
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS13
YAML

# start WEB_CONFIG: the exporter on a free loopback port; sets pid, port, internal.
start() {
  : >"$work/log"
  "$exe" --config.file="$work/config.yml" --web.listen-address=127.0.0.1:0 \
    --web.config.file="$1" --log.level=debug 2>"$work/log" &
  pid=$!
  port="" internal=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*msg=listening .*port=\([0-9]*\) tls=true.*/\1/p' "$work/log")
    internal=$(sed -n 's/.*internal_port=\([0-9]*\).*/\1/p' "$work/log")
    [ -n "$port" ] && [ -n "$internal" ] && return 0
    sleep 0.1
  done
  echo "FAIL - no listening line: $(cat "$work/log")"
  exit 1
}
url() { echo "https://mx.test:$port$1"; }
tls_curl() { curl -sS --max-time 10 --resolve "mx.test:$port:127.0.0.1" --cacert "$work/pki/ca.pem" "$@"; }
status_is() {  # status_is CODE CURL_ARGS...: the HTTP status over TLS is CODE
  local got
  got=$(tls_curl -o /dev/null -w '%{http_code}' "${@:2}")
  [ "$got" = "$1" ] || { echo "got $got, want $1"; return 1; }
}
fails() { ! "$@"; }
alive() { kill -0 "$pid"; }
# raw_client MODE PORT [MARKER_FILE]: raw TCP clients. `garbage` sends bytes that are not TLS; `silent` connects
# and prints how many seconds pass until the server closes the connection.
raw_client() {
  python3 - "$@" <<'PY'
import socket, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=30)
if len(sys.argv) > 3:
    open(sys.argv[3], "w").close()  # connected
if mode == "garbage":
    s.sendall(b"\x16\x03\x01\xff\xff" + b"\x00" * 4096 + b"GET / HTTP/1.0\r\n\r\n")
    try:
        s.recv(100)
    except OSError:
        pass
else:
    t0 = time.monotonic()
    s.recv(100)
    print(f"{time.monotonic() - t0:.1f}")
PY
}
# A client that completes the TLS handshake and then sends nothing, held for 60 s.
idle_tls_client() {  # idle_tls_client MARKER_FILE
  python3 - "$port" "$work/pki/ca.pem" "$1" <<'PY' &
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                    server_hostname="mx.test")
open(sys.argv[3], "w").close()  # handshake done
time.sleep(60)
PY
  helpers+=($!)
  disown $!  # killed at exit without a job-control notice
}
stop_within() {  # stop_within SECONDS: SIGTERM ends the process with status 0 in time
  kill -TERM "$pid"
  for _ in $(seq $(($1 * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then echo "still running $1 s after SIGTERM"; return 1; fi
  wait "$pid"
  local rc=$?
  pid=""
  [ "$rc" -eq 0 ] || { echo "exit status $rc"; return 1; }
}

# --- TLS with basic auth.
start "$work/web-tls.yml"
check "https /metrics with the right password: 200" \
  status_is 200 -u prometheus:s3cret "$(url /metrics)"
check "https /metrics serves the metrics" \
  grep -q '^starttls_exporter_build_info{' <(tls_curl -u prometheus:s3cret "$(url /metrics)")
check "https /metrics without credentials: 401" status_is 401 "$(url /metrics)"
check "https /metrics with a wrong password: 401" status_is 401 -u prometheus:wrong "$(url /metrics)"
check "https /-/healthy needs no credentials" status_is 200 "$(url /-/healthy)"
check "plain http to the TLS port fails" \
  fails curl -sS --max-time 10 -u prometheus:s3cret -o /dev/null "http://127.0.0.1:$port/metrics"
check "https without trusting the test CA fails" \
  fails curl -sS --max-time 10 --resolve "mx.test:$port:127.0.0.1" -o /dev/null "$(url /-/healthy)"
for path in /metrics /-/healthy; do
  check "internal port, direct $path: 403" bash -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -u prometheus:s3cret \
      http://127.0.0.1:$internal$path)\" = 403 ]"
done
check "garbage instead of a handshake: connection closed" raw_client garbage "$port"
check "still serving after garbage" status_is 200 "$(url /-/healthy)"
raw_client silent "$port" >"$work/silent" &
silent_pid=$!
helpers+=("$silent_pid")
sleep 0.5
check "serving while a handshake hangs" status_is 200 "$(url /-/healthy)"
wait "$silent_pid"
check "a client that never completes the handshake is closed within 10 s + 2 s" \
  python3 -c "import sys; t = float(open('$work/silent').read() or 99); sys.exit(not 9 <= t <= 12)"
check "the timed-out handshake is logged at debug" grep -q 'msg="web TLS: handshake timed out"' "$work/log"
check "the process survived the hostile clients" alive
check "passwords never reach the log" fails grep -q 's3cret\|wrong' "$work/log"
idle_tls_client "$work/idle.ready"
raw_client silent "$port" "$work/silent.ready" >/dev/null &
helpers+=($!)
disown $!
connected() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }
check "a client holds a completed TLS connection" connected "$work/idle.ready"
check "a client holds an unfinished handshake" connected "$work/silent.ready"
check "SIGTERM with TLS connections open: exits 0 within 5 s" stop_within 5

# --- Mutual TLS, TLS 1.3 only.

start "$work/web-mtls.yml"
check "mTLS: a client certificate from the client CA: 200" \
  status_is 200 --cert "$work/clients.pem" --key "$work/clients-key.pem" "$(url /metrics)"
check "mTLS: no client certificate: refused" fails tls_curl -o /dev/null "$(url /metrics)"
check "mTLS: a certificate from another CA: refused" fails tls_curl -o /dev/null \
  --cert "$work/stranger.pem" --key "$work/stranger-key.pem" "$(url /metrics)"
check "mTLS: the rejected certificate is logged" grep -q 'client certificate rejected' "$work/log"
check "min_version TLS13: a TLS 1.2 client is refused" fails tls_curl -o /dev/null \
  --tls-max 1.2 --cert "$work/clients.pem" --key "$work/clients-key.pem" "$(url /metrics)"
check "mTLS: the internal port still answers 403" bash -c \
  "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$internal/metrics)\" = 403 ]"
check "mTLS: SIGTERM exits 0" stop_within 5

# --- Configuration errors: refused at start-up, located in the web config file.
refused() {  # refused FILE_CONTENT EXPECTED_MESSAGE
  printf '%s\n' "$1" >"$work/bad-web.yml"
  "$exe" --config.check --config.file="$work/config.yml" --web.config.file="$work/bad-web.yml" \
    >/dev/null 2>"$work/err" && { echo "accepted"; return 1; }
  grep -qF -- "$2" "$work/err" || { cat "$work/err"; return 1; }
}
tls_head=$'tls_server_config:\n  cert_file: pki/server.pem\n  key_file: pki/server-key.pem'
check "min_version TLS11 is refused with file:line" refused "$tls_head"$'\n  min_version: TLS11' \
  "bad-web.yml:4:16: tls_server_config.min_version: TLS11 is not supported"
check "cipher_suites is refused by name" refused "$tls_head"$'\n  cipher_suites: [TLS_AES_128_GCM_SHA256]' \
  "bad-web.yml:4:3: tls_server_config.cipher_suites: not supported by starttls_exporter"
check "min_version above max_version is refused" \
  refused "$tls_head"$'\n  min_version: TLS13\n  max_version: TLS12' "bad-web.yml:4:16: tls_server_config.min_version: is above max_version"
check "a key that does not match the certificate is refused at tls_server_config" refused \
  $'tls_server_config:\n  cert_file: pki/server.pem\n  key_file: pki/ca-key.pem' \
  "bad-web.yml:1:1: tls_server_config: cannot load cert_file"
check "the accepted TLS config passes --config.check" \
  "$exe" --config.check --config.file="$work/config.yml" --web.config.file="$work/web-mtls.yml"

[[ $failures == 0 ]]
