"""The PromQL in deploy/: the Grafana dashboard's queries and the alert rules' expressions.

Shared by grafana_dashboard_test.py (offline checks) and prometheus_e2e_test.sh (against a real
exporter and Prometheus). Dashboard variables are replaced by what "All" means, so the queries
run as Prometheus would receive them.
"""

import json
import re

import yaml

# What Grafana substitutes for the dashboard's variables, as plain PromQL.
SUBSTITUTIONS = {"$target": ".+", "$domain": ".+", "$__rate_interval": "1m", "${datasource}": ""}

# Names a query may use that the exporter does not serve: Prometheus' own series.
PROMETHEUS_SERIES = {"up"}


def dashboard_queries(path):
    """[(panel title, PromQL)] of every panel target and query variable of the dashboard."""
    with open(path) as f:
        dashboard = json.load(f)
    queries = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            queries.append((panel["title"], substitute(target["expr"])))
    for variable in dashboard["templating"]["list"]:
        if variable.get("type") == "query":
            query = variable["query"]
            text = query["query"] if isinstance(query, dict) else query
            match = re.fullmatch(r"label_values\((.+),\s*\w+\)", text)
            if match:  # Grafana's helper; the selector inside is PromQL
                queries.append(("variable " + variable["name"], substitute(match.group(1))))
    return queries


def alert_queries(path):
    """[(alert name, PromQL)] of every alerting rule."""
    with open(path) as f:
        rules = yaml.safe_load(f)
    return [(rule["alert"], rule["expr"]) for group in rules["groups"]
            for rule in group["rules"] if "alert" in rule]


def substitute(expr):
    for variable, value in SUBSTITUTIONS.items():
        expr = expr.replace(variable, value)
    return expr


def metric_names(expr):
    """Metric names an expression selects: probe_* and starttls_exporter_* identifiers, and any
    other identifier directly followed by a label selector ("up{...}")."""
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    names = set(re.findall(r"\b(?:probe|starttls_exporter)_[a-zA-Z0-9_:]*", without_strings))
    names |= set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{", without_strings))
    return names


def exposed_names(metrics_text):
    """Sample names on a /metrics page (histograms: the _bucket/_sum/_count series)."""
    names = set()
    for line in metrics_text.splitlines():
        if line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names
