# Shared by the shell tests that run a real Prometheus on deploy/prometheus/alerts.yml: source
# it after setting `work` (a scratch directory) and `python` (Debian's python3 with yaml).

# rules_without_for SOURCE DEST: a copy of the rules in which every `for:` is 0s, so that a test
# sees an alert fire at its first evaluation instead of after minutes.
rules_without_for() {
  "$python" - "$1" "$2" <<'PY'
import sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))
for group in rules["groups"]:
    for rule in group["rules"]:
        if "for" in rule:
            rule["for"] = "0s"
yaml.safe_dump(rules, open(sys.argv[2], "w"))
PY
}

# alert_state NAME LABEL=VALUE...: from $work/alerts.json (Prometheus' /api/v1/alerts), the
# state of the first matching alert ("firing", "pending") and its description on a second
# line; nothing when none matches.
alert_state() {
  "$python" - "$work/alerts.json" "$@" <<'PY'
import json, sys
alerts = json.load(open(sys.argv[1]))["data"]["alerts"]
name, want = sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
for alert in alerts:
    labels = alert["labels"]
    if labels.get("alertname") == name and all(labels.get(k) == v for k, v in want.items()):
        print(alert["state"])
        print(alert["annotations"].get("description", ""))
        break
PY
}

# start_prometheus PORT EXPORTER_PORT: Prometheus on 127.0.0.1:PORT (own storage under $work)
# with the rules $work/alerts.yml, scraping the exporter's /metrics at 127.0.0.1:EXPORTER_PORT
# and evaluating every second. Sets prometheus_pid and api (its /api/v1 URL).
start_prometheus() {
  cat >"$work/prometheus.yml" <<YAML
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: [$work/alerts.yml]
scrape_configs:
  - job_name: starttls_exporter
    static_configs: [{targets: ["127.0.0.1:$2"]}]
YAML
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$1" --log.level=warn >"$work/prometheus.log" 2>&1 &
  prometheus_pid=$!
  api=http://127.0.0.1:$1/api/v1
}
