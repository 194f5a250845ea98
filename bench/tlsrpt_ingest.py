#!/usr/bin/env python3
"""TLS-RPT intake speed and memory (bench/run tlsrpt): reports ingested per second over the
TLS-RPT listener, the exporter's CPU per report, and the peak memory of one 10 MiB report
(50,000 failure details, gzipped below the 1 MiB body limit) through the listener and through
`tlsrpt import`. Loopback only. Prints RESULT lines.

Usage: tlsrpt_ingest.py EXPORTER FIXTURES_DIR [SECONDS]
"""
import gzip
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

EXE, FIXTURES = sys.argv[1], sys.argv[2]
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 20
CLK_TCK = os.sysconf("SC_CLK_TCK")


def result(text):
    print("RESULT " + text, flush=True)


def post(port, body):
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(b"POST /tlsrpt HTTP/1.1\r\nHost: b\r\nConnection: close\r\n"
                  b"Content-Type: application/tlsrpt+gzip\r\nContent-Length: %d\r\n\r\n"
                  % len(body) + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1])


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def big_report():
    report = json.load(open(os.path.join(FIXTURES, "quirks.json")))
    detail = {"result-type": "certificate-expired", "sending-mta-ip": "192.0.2.1",
              "receiving-mx-hostname": "mx1.example.test", "receiving-ip": "192.0.2.25",
              "failed-session-count": 1, "additional-information": "x" * 100}
    details = []
    for i in range(50_000):
        d = dict(detail)
        d["sending-mta-ip"] = f"10.{i // 65536}.{i // 256 % 256}.{i % 256}"
        details.append(d)
    report["report-id"] = "bench-10mib"
    report["policies"][0]["failure-details"] = details
    text = json.dumps(report).encode()
    return text, gzip.compress(text)


def main():
    work = tempfile.mkdtemp()
    config = f"{work}/config.yml"
    with open(config, "w") as f:
        f.write(f"targets: []\ntlsrpt:\n  database: {work}/reports.db\n  domains: [example.test]\n")
    log = open(f"{work}/log", "w")
    proc = subprocess.Popen([EXE, f"--config.file={config}", "--web.listen-address=127.0.0.1:0",
                             "--tlsrpt.listen-address=127.0.0.1:0", "--log.level=warn"],
                            stderr=log)
    port = None
    for _ in range(200):
        time.sleep(0.05)
        # The listener's line is at info; read the port from /proc instead.
        out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout
        ports = [int(m) for m in re.findall(rf'127\.0\.0\.1:(\d+) .*pid={proc.pid},', out)]
        if len(ports) >= 2:
            break
    # Of the exporter's listeners, the TLS-RPT one answers POST /tlsrpt.
    for p in ports:
        try:
            if post(p, gzip.compress(b"{}")) in (400, 413, 415, 422):
                port = p
                break
        except (OSError, IndexError, ValueError):
            continue
    if port is None:
        raise SystemExit("no TLS-RPT listener found")
    base = json.load(open(os.path.join(FIXTURES, "google.json")))
    counter = [0]
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS

    def poster(n):
        while time.monotonic() < stop:
            with lock:
                counter[0] += 1
                i = counter[0]
            base_i = dict(base, **{"report-id": f"bench-{n}-{i}"})
            assert post(port, gzip.compress(json.dumps(base_i).encode())) == 200

    c0, t0 = cpu_seconds(proc.pid), time.monotonic()
    threads = [threading.Thread(target=poster, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c1, t1 = cpu_seconds(proc.pid), time.monotonic()
    done = counter[0]
    result(f"tlsrpt reports_per_s {done / (t1 - t0):.1f}")
    result(f"tlsrpt cpu_us_per_report {(c1 - c0) / done * 1e6:.0f}")
    text, body = big_report()
    hwm0 = status_kb(proc.pid, "VmHWM")
    started = time.monotonic()
    status = post(port, body)
    took = time.monotonic() - started
    hwm1 = status_kb(proc.pid, "VmHWM")
    result(f"tlsrpt big_report_json_mib {len(text) / 2**20:.1f}")
    result(f"tlsrpt big_report_gzip_kib {len(body) / 1024:.0f}")
    result(f"tlsrpt big_report_status {status}")
    result(f"tlsrpt big_report_seconds {took:.2f}")
    result(f"tlsrpt vmhwm_before_mb {hwm0 / 1024:.1f}")
    result(f"tlsrpt vmhwm_after_big_mb {hwm1 / 1024:.1f}")
    proc.terminate()
    proc.wait(timeout=20)
    with open(f"{work}/big.json.gz", "wb") as f:
        f.write(body)
    os.remove(f"{work}/reports.db")
    run = subprocess.run(["/usr/bin/time", "-f", "%M", EXE, "tlsrpt", "import",
                          f"--config.file={config}", f"{work}/big.json.gz"],
                         capture_output=True, text=True)
    result(f"tlsrpt import_big_maxrss_mb {int(run.stderr.strip().splitlines()[-1]) / 1024:.1f}")
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
