#!/usr/bin/env bash
# The one-shot `starttls_exporter probe` command against a private Postfix on loopback:
#   success     127.0.0.1:PF_PORT --server-name mx.test --ca-file CA   -> exit 0, facts
#   wrong name  127.0.0.1:PF_PORT --server-name other.test              -> exit 1, facts printed
#   refused     127.0.0.1:DEAD_PORT                                     -> exit 1, the reason
#   bad flag    --no-such-flag                                          -> exit 2
# and the --output json object parsed and checked key by key.
# Usage: probe_command_test.sh EXPORTER_BINARY. Exit 0 pass, 1 fail, 77 skip (not root).
set -uo pipefail
export PORT_OWNER=$$  # tests/shell/free_ports.py: ports claimed for this test

here=$(cd "$(dirname "$0")" && pwd)
exporter=${1:?usage: $0 EXPORTER_BINARY}
work_prefix=${TMPDIR:-/tmp}/starttls_exporter_probe_cmd.

# shellcheck source=../shell/preconditions.sh
source "$here/../shell/preconditions.sh"
require_root "a private Postfix instance"
require_tools postfix certtool python3
require_executable "$exporter"
# shellcheck source=../shell/process.sh
source "$here/../shell/process.sh"
stop_postfix() { "$here/postfix_instance.sh" stop "$1/postfix"; }
reap_stale "$work_prefix" stop_postfix

work=$(mktemp -d "${work_prefix}XXXXXX")
chmod 0755 "$work"
echo $$ >"$work/owner.pid"
failures=0
cleanup() {
  "$here/postfix_instance.sh" stop "$work/postfix"
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# shellcheck source=../shell/check.sh
source "$here/../shell/check.sh"

read -r pf_port dead_port < <(python3 "$here/../shell/free_ports.py" 2)

"$here/make_test_pki.sh" "$work/pki" 45 mx.test || exit 1
"$here/postfix_instance.sh" start "$work/postfix" "$pf_port" \
  "$work/pki/server-chain.pem" "$work/pki/server-key.pem" || exit 1

# probe NAME ARGS...: runs the command, keeps stdout in $work/NAME.out, the exit code in
# $work/NAME.code.
probe() {
  local name=$1
  shift
  "$exporter" probe "$@" >"$work/$name.out" 2>"$work/$name.err"
  echo $? >"$work/$name.code"
}
exit_code_is() { [[ $(cat "$work/$1.code") == "$2" ]] || { cat "$work/$1.out" "$work/$1.err"; false; }; }
says() { grep -qF -- "$2" "$work/$1.out" || { cat "$work/$1.out"; false; }; }

target=127.0.0.1:$pf_port
probe ok "$target" --server-name mx.test --ca-file "$work/pki/ca.pem" --timeout 5s
check "success: exit 0" exit_code_is ok 0
check "success: the result line" says ok "Result: SUCCESS"
check "success: the dialogue, escaped" says ok 'S: 220 '
check "success: the chain with subject, SANs and days left" says ok "SANs: mx.test"
check "success: days left" says ok "days left)"
check "success: the verdict" says ok "Verification: verified"
check "success: phases" says ok "tls_handshake"

probe wrong "$target" --server-name other.test --ca-file "$work/pki/ca.pem"
check "wrong name: exit 1" exit_code_is wrong 1
check "wrong name: the reason" says wrong "cert_hostname_mismatch"
check "wrong name: facts still printed" says wrong "SANs: mx.test"

probe refused "127.0.0.1:$dead_port"
check "refused: exit 1" exit_code_is refused 1
check "refused: the reason" says refused "connection_refused"

probe badflag "$target" --no-such-flag
check "bad flag: exit 2" exit_code_is badflag 2
probe name no_such..name
check "neither an address nor a domain: exit 2" exit_code_is name 2

probe json "$target" --server-name other.test --ca-file "$work/pki/ca.pem" --output json
check "json: exit 1" exit_code_is json 1
check "json: every key checked" python3 - "$work/json.out" "$pf_port" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
port = int(sys.argv[2])
expect = {
    "target": f"127.0.0.1:{port}", "address": "127.0.0.1", "port": port, "module": "(flags)",
    "protocol": "smtp", "tls_mode": "starttls", "server_name": "other.test",
    "timeout_seconds": 10, "success": False, "starttls_advertised": True,
    "plaintext_auth_offered": None, "legacy": None, "certificate_file": None,
}
for key, value in expect.items():
    assert report[key] == value, (key, report[key], value)
assert set(report) == set(expect) | {"started", "duration_seconds", "failure", "phases",
                                     "transcript", "tls", "verification"}, sorted(report)
assert report["failure"] == {"phase": "verify", "reason": "cert_hostname_mismatch",
                             "smtp_code": None, "detail": report["failure"]["detail"]}
assert [p["phase"] for p in report["phases"]][:5] == [
    "connect", "banner", "ehlo", "starttls", "tls_handshake"], report["phases"]
assert any(line.startswith("S: 220 ") for line in report["transcript"])
tls = report["tls"]
assert tls["version"] == "TLS 1.3" and tls["cipher"].startswith("TLS_"), tls
assert tls["chain_complete"] is True and tls["ocsp"] is None
leaf = tls["chain"][0]
assert leaf["dns_names"] == ["mx.test"] and "mx.test" in leaf["subject"], leaf
assert 44 < leaf["days_left"] <= 45 and leaf["not_after"].endswith("Z"), leaf
assert len(leaf["sha256"]) == 64 and leaf["public_key_bits"] > 0, leaf
assert report["verification"] == {"verified": False, "reasons": ["cert_hostname_mismatch"]}
PY

[[ $failures == 0 ]]
