#!/usr/bin/env python3
"""Drives blackbox_exporter's /probe at a fixed rate, for bench/run.

Usage: probe_load.py BASE_URL MODULE PORT COUNT RATE SECONDS
Starts RATE requests per second for SECONDS seconds, cycling through the targets
127.10.A.B:PORT (A = i // 250, B = i % 250 + 1, i < COUNT), each request on its own connection
(as Prometheus scrapes), with no concurrency cap. Prints
  load sent=N ok=S failed=F p50_ms=X
where ok counts responses with "probe_success 1". This script's own CPU is not measured.
"""
import asyncio
import sys
import time


async def probe(host, port, path, results):
    t0 = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f'GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n'.encode())
        await writer.drain()
        body = await reader.read()
        writer.close()
        ok = b'\nprobe_success 1' in body
    except OSError:
        ok = False
    results.append((ok, time.monotonic() - t0))


async def main():
    base, module, port, count, rate, seconds = sys.argv[1:7]
    count, rate, seconds = int(count), float(rate), float(seconds)
    host, web_port = base.split('//', 1)[1].rstrip('/').split(':')
    results, tasks = [], []
    start = time.monotonic()
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        j = i % count
        path = f'/probe?module={module}&target=127.10.{j // 250}.{j % 250 + 1}:{port}'
        tasks.append(asyncio.create_task(probe(host, int(web_port), path, results)))
    await asyncio.gather(*tasks)
    ok = sum(1 for r in results if r[0])
    times = sorted(r[1] for r in results)
    p50 = times[len(times) // 2] * 1e3 if times else float('nan')
    print(f'load sent={len(results)} ok={ok} failed={len(results) - ok} p50_ms={p50:.1f}')


asyncio.run(main())
