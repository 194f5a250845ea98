#!/usr/bin/env python3
"""Drives blackbox_exporter's /probe as a closed loop, for bench/run's alternation scenario.

Usage: probe_closed_loop.py BASE_URL MODULE PORT COUNT CONCURRENCY SECONDS
CONCURRENCY workers each keep one HTTP/1.1 connection open and send the next /probe request as
soon as the last one answered, cycling through the targets 127.10.A.B:PORT (A = i // 250,
B = i % 250 + 1, i < COUNT), for SECONDS seconds. Prints
  load sent=N ok=S failed=F p50_ms=X
where ok counts responses with "probe_success 1". This script's own CPU is not measured.
"""
import http.client
import sys
import threading
import time


def main():
    base, module, port, count, concurrency, seconds = sys.argv[1:7]
    count, concurrency, seconds = int(count), int(concurrency), float(seconds)
    host, web_port = base.split('//', 1)[1].rstrip('/').split(':')
    end = time.monotonic() + seconds
    lock = threading.Lock()
    results = []
    next_target = [0]

    def worker():
        conn = http.client.HTTPConnection(host, int(web_port), timeout=15)
        while time.monotonic() < end:
            with lock:
                j = next_target[0] % count
                next_target[0] += 1
            target = f'127.10.{j // 250}.{j % 250 + 1}:{port}'
            t0 = time.monotonic()
            try:
                conn.request('GET', f'/probe?module={module}&target={target}')
                body = conn.getresponse().read()
                ok = b'\nprobe_success 1' in body
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, int(web_port), timeout=15)
            with lock:
                results.append((ok, time.monotonic() - t0))
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = sum(1 for r in results if r[0])
    durations = sorted(r[1] for r in results)
    p50 = durations[len(durations) // 2] * 1000 if durations else 0
    print(f'load sent={len(results)} ok={ok} failed={len(results) - ok} p50_ms={p50:.1f}')


if __name__ == '__main__':
    main()
