#!/usr/bin/env bash
# promtool on the alert rules: `check rules` on deploy/prometheus/alerts.yml, `test rules` on
# tests/deploy/alerts_test.yml, and coverage: every alert in the rules has a test case in which
# it fires (a non-empty exp_alerts).
#
# Usage: alert_rules_test.sh REPOSITORY_ROOT PYTHON3
# Exit status: 0 pass, 1 fail.
set -uo pipefail

repo=${1:?usage: $0 REPOSITORY_ROOT PYTHON3}
python=${2:?}
command -v promtool >/dev/null || { echo "FAIL: promtool not found; run script/bootstrap"; exit 1; }
failures=0

step() {  # step DESCRIPTION COMMAND...: output shown either way
  echo "# $1"
  if "${@:2}"; then
    echo "ok   - $1"
  else
    echo "FAIL - $1"
    failures=$((failures + 1))
  fi
}

step "promtool check rules deploy/prometheus/alerts.yml" \
  promtool check rules "$repo/deploy/prometheus/alerts.yml"
step "promtool test rules tests/deploy/alerts_test.yml" \
  promtool test rules "$repo/tests/deploy/alerts_test.yml"

coverage() {
  "$python" - "$repo/deploy/prometheus/alerts.yml" "$repo/tests/deploy/alerts_test.yml" <<'PY'
import sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))
tests = yaml.safe_load(open(sys.argv[2]))
alerts = [r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r]
firing = {c["alertname"] for t in tests["tests"] for c in t.get("alert_rule_test", [])
          if c.get("exp_alerts")}
quiet = {c["alertname"] for t in tests["tests"] for c in t.get("alert_rule_test", [])
         if not c.get("exp_alerts")}
missing = [a for a in alerts if a not in firing]
unchecked = [a for a in alerts if a not in quiet]
print("%d alerts; without a firing test: %s; without a not-firing check: %s"
      % (len(alerts), missing or "none", unchecked or "none"))
for rule in (r for g in rules["groups"] for r in g["rules"] if "alert" in r):
    annotations = rule.get("annotations", {})
    if not annotations.get("summary") or not annotations.get("description"):
        print("no summary or description: " + rule["alert"])
        missing.append(rule["alert"])
    if "severity" not in rule.get("labels", {}):
        print("no severity: " + rule["alert"])
        missing.append(rule["alert"])
sys.exit(1 if missing or unchecked else 0)
PY
}
step "every alert has a firing test, a not-firing check, summary, description, severity" coverage

echo "$failures failed step(s)"
[[ $failures == 0 ]]
