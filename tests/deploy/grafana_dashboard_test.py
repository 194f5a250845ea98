"""Checks deploy/grafana/starttls_exporter.json offline.

Usage: grafana_dashboard_test.py REPOSITORY_ROOT

The dashboard parses; it has a multi-value target variable that every per-target query uses;
the panels the README promises exist (a table of targets sorted by days to expiry, failures by
reason, phase latency over time, TLS versions in use); panel ids are unique and panels do not
overlap; every query is valid PromQL (promtool check rules on a file with each query as a
recording rule). Whether the metric names exist in real output: prometheus_e2e_test.sh.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import queries  # noqa: E402

repo = sys.argv[1]
path = os.path.join(repo, "deploy", "grafana", "starttls_exporter.json")
failures = 0


def check(description, ok, detail=""):
    global failures
    print(("ok   - " if ok else "FAIL - ") + description)
    if not ok:
        failures += 1
        if detail:
            print("       " + str(detail).replace("\n", "\n       "))


with open(path) as f:
    dashboard = json.load(f)
panels = dashboard["panels"]
check("has uid, title and panels", bool(dashboard.get("uid") and dashboard.get("title") and panels))

variables = {v["name"]: v for v in dashboard["templating"]["list"]}
target = variables.get("target", {})
check("variable 'target': multi-value query over probe_success's target label, with All",
      target.get("type") == "query" and target.get("multi") is True and
      target.get("includeAll") is True and "probe_success, target" in json.dumps(target["query"]),
      target)
domain = variables.get("domain", {})
check("variable 'domain': multi-value query over probe_domain_success's domain label, with All",
      domain.get("type") == "query" and domain.get("multi") is True and
      domain.get("includeAll") is True and "probe_domain_success, domain" in json.dumps(domain["query"]),
      domain)
check("variable 'datasource' selects a Prometheus data source",
      variables.get("datasource", {}).get("query") == "prometheus")


def exprs(panel):
    return [t["expr"] for t in panel.get("targets", [])]


for panel in panels:
    for expr in exprs(panel):
        if re.search(r"\bprobe_name_", expr):  # per server name, over targets: no target label
            pass
        elif re.search(r"\bprobe_(domain|dnssec|mta_sts|tlsrpt)_", expr):  # a per-domain series
            check("'%s' filters by $domain" % panel["title"], 'domain=~"$domain"' in expr, expr)
        elif re.search(r"\bprobe_", expr):  # a per-target series
            check("'%s' filters by $target" % panel["title"], 'target=~"$target"' in expr, expr)
        check("'%s' uses the datasource variable" % panel["title"],
              panel.get("datasource", {}).get("uid") == "${datasource}")

ids = [p["id"] for p in panels]
check("panel ids are unique", len(ids) == len(set(ids)), ids)
cells = {}
for p in panels:
    g = p["gridPos"]
    check("'%s' fits the 24-column grid" % p["title"], g["x"] >= 0 and g["x"] + g["w"] <= 24)
    for x in range(g["x"], g["x"] + g["w"]):
        for y in range(g["y"], g["y"] + g["h"]):
            if (x, y) in cells:
                check("'%s' does not overlap '%s'" % (p["title"], cells[(x, y)]), False)
            cells[(x, y)] = p["title"]


def find(kind, metric, by):
    for p in panels:
        for expr in exprs(p):
            if p["type"] == kind and metric in expr and all(label in expr for label in by):
                return p
    return None


table = find("table", "probe_ssl_cert_expiry_days", [])
check("a table of targets by days to expiry", table is not None)
if table:
    sort = table.get("options", {}).get("sortBy", [])
    renames = [t["options"].get("renameByName", {}) for t in table.get("transformations", [])
               if t["id"] == "organize"]
    column = renames[0].get("Value") if renames else None
    check("the table is sorted ascending by its days-to-expiry column (%s)" % column,
          column is not None and sort == [{"displayName": column, "desc": False}], sort)
    check("the table names the certificate (subject, serial)",
          all(label in exprs(table)[0] for label in ("subject", "serialnumber")))
check("failures by reason over time", find("timeseries", "probe_failure_info", ["reason"]))
check("phase latency over time",
      find("timeseries", "starttls_exporter_probe_phase_duration_seconds_bucket",
           ["by (phase, le)"]))
check("TLS versions in use", find("piechart", "probe_tls_version_info", ["by (version)"]))

# Every query, variables substituted, through Prometheus' own parser.
all_queries = queries.dashboard_queries(path)
rules = {"groups": [{"name": "dashboard", "rules": [
    {"record": "dashboard:query_%d" % i, "expr": expr} for i, (_, expr) in enumerate(all_queries)]}]}
with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
    yaml.safe_dump(rules, f)
result = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
os.unlink(f.name)
check("all %d queries are valid PromQL (promtool)" % len(all_queries), result.returncode == 0,
      result.stdout + result.stderr)
names = set().union(*(queries.metric_names(e) for _, e in all_queries))
print("# metric names used: " + ", ".join(sorted(names)))
check("queries use only probe_*, tlsrpt_* and starttls_exporter_* names",
      all(n.startswith(("probe_", "tlsrpt_", "starttls_exporter_")) for n in names), names)
check("a TLS-RPT row beside the domain view",
      any(p.get("title", "").startswith("TLS-RPT") for p in dashboard["panels"]))

print("%d failed check(s)" % failures)
sys.exit(1 if failures else 0)
