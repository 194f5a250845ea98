#!/usr/bin/env python3
"""Figures from one or two /metrics pages of starttls_exporter, for bench/run.

Usage: metrics_stats.py BEFORE AFTER SINCE_UNIX ADDRESS_PREFIX

Prints key=value lines:
  probes         completed scheduled probes between the pages (starttls_exporter_probes_total)
  failed         how many of them failed
  lag_count      probes started between the pages (starttls_exporter_probe_start_lag_seconds)
  lag_p50_le / lag_p99_le   the histogram bucket holding the 50th / 99th percentile of the
                 probes started between the pages ("le" of the first bucket whose cumulative
                 count reaches it); lag_mean_ms the mean lag between the pages
  healthy_n      targets whose address starts with ADDRESS_PREFIX, probed successfully at or
                 after SINCE_UNIX (probe_last_run_timestamp_seconds), in AFTER
  healthy_p50_ms / healthy_p90_ms / healthy_max_ms  their probe_duration_seconds
"""
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def samples(path):
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('#'):
                continue
            m = SAMPLE.match(line.rstrip('\n'))
            if m:
                yield m.group(1), dict(LABEL.findall(m.group(3) or '')), float(m.group(4))


def self_metrics(path):
    probes, lag = {}, {}
    for name, labels, value in samples(path):
        if name == 'starttls_exporter_probes_total':
            probes[labels.get('result')] = value
        elif name.startswith('starttls_exporter_probe_start_lag_seconds'):
            key = labels.get('le', name.rsplit('_', 1)[-1])
            lag[key] = value
    return probes, lag


def percentile_le(before, after, q):
    count = after.get('count', 0) - before.get('count', 0)
    if count <= 0:
        return 'n/a'
    bounds = sorted((k for k in after if k not in ('sum', 'count')),
                    key=lambda k: float('inf') if k == '+Inf' else float(k))
    for le in bounds:
        if after[le] - before.get(le, 0) >= q * count:
            return le
    return '+Inf'


def quantile(values, q):
    if not values:
        return float('nan')
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main():
    before, after, since, prefix = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    p0, lag0 = self_metrics(before)
    p1, lag1 = self_metrics(after)
    print(f'probes={sum(p1.values()) - sum(p0.values()):.0f}')
    print(f'failed={p1.get("failure", 0) - p0.get("failure", 0):.0f}')
    lag_count = lag1.get('count', 0) - lag0.get('count', 0)
    print(f'lag_count={lag_count:.0f}')
    print(f'lag_p50_le={percentile_le(lag0, lag1, 0.5)}')
    print(f'lag_p99_le={percentile_le(lag0, lag1, 0.99)}')
    if lag_count > 0:
        mean = (lag1.get('sum', 0) - lag0.get('sum', 0)) / lag_count
        print(f'lag_mean_ms={mean * 1e3:.2f}')

    runs, durations, success = {}, {}, {}
    for name, labels, value in samples(after):
        target = labels.get('target', '')
        if not target.startswith(prefix):
            continue
        if name == 'probe_last_run_timestamp_seconds':
            runs[target] = value
        elif name == 'probe_duration_seconds':
            durations[target] = value
        elif name == 'probe_success':
            success[target] = value
    healthy = [durations[t] * 1e3 for t, at in runs.items()
               if at >= since and success.get(t) == 1 and t in durations]
    print(f'healthy_n={len(healthy)}')
    print(f'healthy_p50_ms={quantile(healthy, 0.5):.2f}')
    print(f'healthy_p90_ms={quantile(healthy, 0.9):.2f}')
    print(f'healthy_max_ms={max(healthy, default=float("nan")):.2f}')


if __name__ == '__main__':
    main()
