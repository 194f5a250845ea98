#!/usr/bin/env python3
"""bench/run web: the web port under hostile clients, starttls_exporter beside
blackbox_exporter (the exporter toolkit's Go net/http), same clients, same machine, one run.

Row 1: N connections from one attacker address (127.0.2.1) that send an unfinished request head
(`GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n`, then nothing), then one normal scrape from 127.0.0.1:
the scrape's time, or "timeout" after 10 s.
Row 2: basic auth with a bcrypt cost-10 hash; 40 clients (127.0.3.1-40) loop on a wrong
password; after 2 s one scrape with the right password (first time, so not cached): its time,
beside the same scrape alone; and each process' CPU (cores) over the attack.
Prints RESULT lines. Usage: web_hostile.py EXPORTER [BLACKBOX_EXPORTER]
"""
import base64
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time

HASH = "$2b$10$e/.jaLteu..vZ5cFuHOjrOxOkbsCFjuu/pdJmhucHGIytUUBFn116"  # "s3cret"
COUNTS = (31, 33, 64, 200, 1000)


def result(*words):
    print("RESULT web " + " ".join(str(w) for w in words), flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, name, args, port, work):
        self.name, self.port = name, port
        self.log = open(os.path.join(work, name + ".log"), "w")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(name + " did not start")

    def cpu(self):
        fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def start(kind, work, exporter, blackbox, web_config=None):
    port = free_port()
    extra = [f"--web.config.file={web_config}"] if web_config else []
    if kind == "starttls_exporter":
        config = os.path.join(work, "config.yml")
        with open(config, "w") as f:
            f.write("global: {interval: 1h, timeout: 500ms}\nmodules: {smtp: {}}\n"
                    "targets:\n  - {address: 127.0.0.1, port: 1, module: smtp}\n")
        args = [exporter, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn"]
    else:
        config = os.path.join(work, "blackbox.yml")
        with open(config, "w") as f:
            f.write("modules:\n  tcp: {prober: tcp, timeout: 1s}\n")
        args = [blackbox, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn"]
    return Server(kind, args + extra, port, work)


def scrape(port, auth=None, source="127.0.0.1", timeout=10.0):
    """Seconds to a complete 200 answer, or None."""
    head = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    if auth:
        head += "Authorization: Basic " + base64.b64encode(auth.encode()).decode() + "\r\n"
    started = time.monotonic()
    try:
        s = socket.socket()
        s.bind((source, 0))
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
        s.sendall((head + "\r\n").encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
    except OSError:
        return None
    ok = re.match(rb"HTTP/1\.[01] 200", data) is not None
    return time.monotonic() - started if ok else None


def shown(seconds):
    return "timeout" if seconds is None else f"{seconds * 1000:.0f}ms"


def slow_heads(kind, work, exporter, blackbox):
    server = start(kind, work, exporter, blackbox)
    try:
        for n in COUNTS:
            held = []
            for _ in range(n):
                s = socket.socket()
                s.bind(("127.0.2.1", 0))
                try:
                    s.connect(("127.0.0.1", server.port))
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
                except OSError:
                    pass  # refused or closed at once: a defence, not a failure
                held.append(s)
            time.sleep(0.5)
            result(kind, f"slow_heads_{n}_scrape", shown(scrape(server.port)))
            for s in held:
                s.close()
            time.sleep(1.0)
    finally:
        server.stop()


def password_attack(kind, work, exporter, blackbox):
    web = os.path.join(work, "web.yml")
    with open(web, "w") as f:
        f.write(f"basic_auth_users:\n  prometheus: {HASH}\n")
    server = start(kind, work, exporter, blackbox, web)
    try:
        result(kind, "auth_scrape_alone", shown(scrape(server.port, "prometheus:s3cret",
                                                        "127.0.4.1")))
        stop = threading.Event()

        def attacker(n):
            while not stop.is_set():
                scrape(server.port, "prometheus:wrong", f"127.0.3.{n}")

        threads = [threading.Thread(target=attacker, args=(n,)) for n in range(1, 41)]
        cpu0, t0 = server.cpu(), time.monotonic()
        for t in threads:
            t.start()
        time.sleep(2.0)
        result(kind, "auth_scrape_under_attack", shown(scrape(server.port, "prometheus:s3cret")))
        time.sleep(3.0)
        cpu1, t1 = server.cpu(), time.monotonic()
        stop.set()
        for t in threads:
            t.join()
        result(kind, "auth_attack_cores", f"{(cpu1 - cpu0) / (t1 - t0):.2f}")
    finally:
        server.stop()


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    exporter = sys.argv[1]
    blackbox = sys.argv[2] if len(sys.argv) > 2 else None
    work = tempfile.mkdtemp()
    kinds = ["starttls_exporter"] + (["blackbox_exporter"] if blackbox else [])
    for kind in kinds:
        slow_heads(kind, work, exporter, blackbox)
        password_attack(kind, work, exporter, blackbox)
    return 0


if __name__ == "__main__":
    sys.exit(main())
