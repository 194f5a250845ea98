#!/bin/bash
# `starttls_exporter tlsrpt show`: RFC 8460's example as JSON and gzipped, report mails, text
# and JSON output, and hostile files refused with exit 1 and the reason on stderr.
# Usage: tlsrpt_show_test.sh PATH_TO_EXECUTABLE FIXTURE_DIR
set -u
exe="$1"
data="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
source "$(dirname "$0")/../shell/check.sh"

run() {  # run FILE ARGS...: exit status in $work/code, output in $work/out and $work/err
  "$exe" tlsrpt show "$@" >"$work/out" 2>"$work/err"
  echo $? >"$work/code"
}
code_is() { [[ $(cat "$work/code") == "$1" ]] || { cat "$work/err"; false; }; }
out_has() { grep -qF -- "$1" "$work/out" || { cat "$work/out"; false; }; }
err_has() { grep -qF -- "$1" "$work/err" || { cat "$work/err"; false; }; }

run "$data/rfc8460.json"
check "the RFC's example: exit 0" code_is 0
check "the sender and the period" out_has "From: Company-X (label \"company-x\"), contact sts-reporting@company-x.example"
check "the period" out_has "Period: 2016-04-01T00:00:00Z to 2016-04-01T23:59:59Z"
check "the policy's counts" out_has "Policy sts for company-y.example: 5326 successful, 303 failed sessions"
check "a failure detail" out_has "    200 x starttls-not-supported, mx mx2.mail.company-y.example 203.0.113.56"
cp "$work/out" "$work/plain.txt"

run "$data/rfc8460.json.gz"
check "gzipped: the same text" cmp -s "$work/out" "$work/plain.txt"

run "$data/quirks.json" --output=json
check "JSON output: exit 0" code_is 0
check "JSON output parses and carries the facts" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["organization"] == "microsoft corporation", r["organization"]
assert r["start"] == "2026-11-30T00:00:00Z"
p = r["policies"][0]
assert p["policy_strings"] == ["3 1 1 AABBCC", "2 1 1 DDEEFF"], p
assert [f["result_type"] for f in p["failures"]] == ["dane-required", "unknown"]
' "$work/out"

run "$data/google.eml"
check "a report mail: exit 0" code_is 0
check "a report mail: the report in its application/tlsrpt+gzip part" out_has "From: Google Inc."
run "$data/unlabelled.eml"
check "a report mail without the label: the part found by its bytes" out_has "TLS-RPT report 133780000000000000+example.test"

run "$data/bomb.json.gz"
check "a gzip bomb: exit 1" code_is 1
check "a gzip bomb: too_large" err_has "refused (too_large): gzip inflates beyond the limit"
run "$data/deep.json"
check "deep nesting: exit 1, malformed" err_has "refused (malformed): JSON nested deeper than the limit"
run "$work/missing.json"
check "a missing file: exit 2" code_is 2
"$exe" tlsrpt list >"$work/out" 2>"$work/err"
echo $? >"$work/code"
check "an unknown subcommand: exit 2" code_is 2

[[ $failures == 0 ]]
