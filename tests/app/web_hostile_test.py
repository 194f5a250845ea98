#!/usr/bin/env python3
"""The web port under hostile clients, against the starttls_exporter executable on loopback.

While 1,000 connections that never finish their request head and 1,000 idle ones are open, a
scrape of /metrics completes, over plain HTTP and over TLS with mutual TLS; 200 stalled TLS
handshakes do not block a new TLS scrape; 50 clients looping on wrong passwords do not delay
a right one; oversized and malformed requests get their status and the next scrape is fine;
the self metrics count all of it. The deadlines asserted are generous (a scrape within 2 s):
these are functional checks, not benchmarks. The CPU the process used under the password
attack is printed (README reports it), not asserted.

Attackers connect from their own 127.0.x.y addresses, as separate hosts would; the scraper
from 127.0.0.1. Usage: web_hostile_test.py PATH_TO_EXECUTABLE
"""
import os
import re
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

EXE = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
FAILURES = []
SCRAPE_DEADLINE = 2.0
# bcrypt, cost 10 (the toolkit's usual cost), of "s3cret".
HASH = "$2b$10$e/.jaLteu..vZ5cFuHOjrOxOkbsCFjuu/pdJmhucHGIytUUBFn116"


def check(name, ok, detail=""):
    print(("ok   - " if ok else "FAIL - ") + name + ("" if ok else f": {detail}"), flush=True)
    if not ok:
        FAILURES.append(name)


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def make_pki(work):
    subprocess.run([os.path.join(HERE, "..", "integration", "make_test_pki.sh"),
                    os.path.join(work, "pki"), "30", "mx.test"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tmpl = os.path.join(work, "t")

    def certtool(*args):
        subprocess.run(["certtool", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    with open(tmpl + "-ca", "w") as f:
        f.write('cn = "clients CA"\nca\ncert_signing_key\nexpiration_days = 30\n')
    with open(tmpl + "-client", "w") as f:
        f.write('cn = "client"\ntls_www_client\nsigning_key\nexpiration_days = 30\n')
    p = os.path.join(work, "pki")
    certtool("--generate-privkey", "--key-type=ecdsa", "--outfile", f"{p}/clients-ca-key.pem")
    certtool("--generate-self-signed", "--load-privkey", f"{p}/clients-ca-key.pem",
             "--template", tmpl + "-ca", "--outfile", f"{p}/clients-ca.pem")
    certtool("--generate-privkey", "--key-type=ecdsa", "--outfile", f"{p}/client-key.pem")
    certtool("--generate-certificate", "--load-privkey", f"{p}/client-key.pem",
             "--load-ca-certificate", f"{p}/clients-ca.pem", "--load-ca-privkey",
             f"{p}/clients-ca-key.pem", "--template", tmpl + "-client", "--outfile",
             f"{p}/client.pem")


class Exporter:
    """The executable on 127.0.0.1:0 with a web config; stopped with SIGTERM."""

    def __init__(self, work, web_config):
        config = os.path.join(work, "config.yml")
        with open(config, "w") as f:
            f.write("global: {interval: 1h, timeout: 500ms}\nmodules: {smtp: {}}\n"
                    "targets:\n  - {address: 127.0.0.1, port: 1, module: smtp}\n")
        args = [EXE, f"--config.file={config}", "--web.listen-address=127.0.0.1:0"]
        if web_config:
            path = os.path.join(work, "web.yml")
            with open(path, "w") as f:
                f.write(web_config)
            args.append(f"--web.config.file={path}")
        self.log_path = os.path.join(work, "log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(args, stderr=self.log)
        self.port = None
        for _ in range(100):
            text = open(self.log_path).read()
            match = re.search(r"msg=listening .*port=(\d+)", text)
            if match:
                self.port = int(match.group(1))
                break
            time.sleep(0.1)
        if self.port is None:
            raise RuntimeError("no listening line: " + open(self.log_path).read())

    def cpu_seconds(self):
        fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        self.process.terminate()
        rc = self.process.wait(timeout=20)
        self.log.close()
        if rc != 0:  # a sanitizer report, or a crash: show it
            print("exporter log:\n" + open(self.log_path).read()[-20000:], flush=True)
        return rc


def connect(port, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s


def open_many(port, count, subnet, head=None, tls_context=None):
    """`count` connections from 100 addresses per 127.0.<subnet>.N (the per-client limit is
    256); each sends `head` when given (over TLS when tls_context is set)."""
    out = []
    for i in range(count):
        s = connect(port, f"127.0.{subnet + i // 25600}.{1 + (i // 100) % 256}")
        if tls_context:
            s = tls_context.wrap_socket(s, server_hostname="mx.test")
        if head:
            s.sendall(head)
        out.append(s)
    return out


def raw_request(port, data, source="127.0.0.1", tls_context=None, read_timeout=SCRAPE_DEADLINE):
    """Sends `data`, reads until the peer closes; (answer bytes, seconds taken)."""
    started = time.monotonic()
    s = connect(port, source)
    try:
        if tls_context:
            s = tls_context.wrap_socket(s, server_hostname="mx.test")
        s.settimeout(read_timeout)
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks), time.monotonic() - started
    except (socket.timeout, TimeoutError, ssl.SSLError, ConnectionError):
        # No answer: a refused TLS handshake surfaces here or at the first read, by timing.
        return b"", time.monotonic() - started
    finally:
        s.close()


def scrape(port, tls_context=None, auth=None, source="127.0.0.1"):
    headers = "GET /metrics HTTP/1.1\r\nHost: exporter\r\nConnection: close\r\n"
    if auth:
        import base64
        headers += "Authorization: Basic " + base64.b64encode(auth.encode()).decode() + "\r\n"
    return raw_request(port, (headers + "\r\n").encode(), source, tls_context)


def sample(page, prefix):
    for line in page.decode(errors="replace").splitlines():
        if line.startswith(prefix + " "):
            return float(line.split()[-1])
    return None


def scrape_ok(name, answer, took):
    check(f"{name}: scrape answered 200 within {SCRAPE_DEADLINE} s",
          answer.startswith(b"HTTP/1.1 200") and took < SCRAPE_DEADLINE,
          f"took {took:.2f} s, answer {answer[:60]!r}")


def close_all(sockets):
    for s in sockets:
        try:
            s.close()
        except OSError:
            pass


def slow_and_idle(name, port, tls_context=None):
    slow = open_many(port, 1000, 10, b"GET /metrics HTTP/1.1\r\nHost: x\r\n", tls_context)
    idle = open_many(port, 1000, 20)  # over TLS: handshakes that never start
    answer, took = scrape(port, tls_context)
    scrape_ok(f"{name}: 1,000 slow heads and 1,000 idle connections open", answer, took)
    # The idle ones were opened last, within the head deadline; some of the slow heads may be
    # past it already where handshakes are slow (sanitizer builds): those were closed by it.
    opened = sample(answer, "starttls_exporter_web_connections")
    print(f"# {name}: starttls_exporter_web_connections {opened} during the scrape", flush=True)
    check(f"{name}: the page counts the open connections", opened is not None and opened >= 1000,
          f"starttls_exporter_web_connections {opened}")
    close_all(slow + idle)


def slow_on_own_address(name, port, tls_context=None):
    """300 slow heads from the scraper's own address (a proxy or NAT in front of both), more
    than the per-client limit (256): the scrape evicts the oldest of them and is served."""
    own = []
    for _ in range(300):
        s = connect(port, "127.0.0.1")
        if tls_context:
            s = tls_context.wrap_socket(s, server_hostname="mx.test")
        try:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        except OSError:
            pass  # already evicted by a later one: that is the point
        own.append(s)
    answer, took = scrape(port, tls_context)
    scrape_ok(f"{name}: 300 slow heads from the scraper's own address", answer, took)
    evicted = sample(answer, 'starttls_exporter_web_rejected_connections_total{reason="evicted"}')
    check(f"{name}: the scraper's address's oldest slow heads were evicted, not the scrape",
          evicted is not None and evicted >= 44, str(evicted))
    close_all(own)


def malformed(port):
    cases = [
        (b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n", b"HTTP/1.1 431 ",
         "headers_too_large", "oversized header"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", b"HTTP/1.1 414 ", "uri_too_long",
         "oversized URL"),
        (b"GET /metrics HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(10000)) +
         b"\r\n", b"HTTP/1.1 431 ", "too_many_headers", "10,000 headers"),
        (bytes(range(256)) * 4, b"HTTP/1.1 400 ", "malformed", "binary garbage"),
    ]
    for data, status, _, what in cases:
        answer, _ = raw_request(port, data)
        check(f"{what}: {status.decode().strip()} and a closed connection",
              answer.startswith(status), repr(answer[:60]))
    answer, took = scrape(port)
    scrape_ok("after the malformed requests", answer, took)
    for _, _, reason, what in cases:
        value = sample(answer, f'starttls_exporter_web_rejected_requests_total{{reason="{reason}"}}')
        check(f"{what} counted as reason={reason}", value is not None and value >= 1, str(value))


def plain_http(work):
    exporter = Exporter(work, None)
    try:
        slow_and_idle("plain HTTP", exporter.port)
        slow_on_own_address("plain HTTP", exporter.port)
        malformed(exporter.port)
        time.sleep(6)  # past the 5 s head deadline: the slow heads were closed by it
        answer, took = scrape(exporter.port)
        scrape_ok("plain HTTP after the head deadline", answer, took)
        value = sample(answer,
                       'starttls_exporter_web_rejected_connections_total{reason="head_timeout"}')
        check("closed slow heads are counted as head_timeout", value is not None, str(value))
        check("the process survived", exporter.alive())
        lines = open(exporter.log_path).read().splitlines()
        per_client = [line for line in lines if "client=" in line and "level=info" in line]
        check("nothing was logged per connection or request at info level",
              not per_client and len(lines) < 50, f"{len(lines)} lines: {lines[-3:]}")
    finally:
        check("plain HTTP: exit status 0 after SIGTERM", exporter.stop() == 0)


def mutual_tls(work):
    p = os.path.join(work, "pki")
    exporter = Exporter(work, f"tls_server_config:\n  cert_file: {p}/server.pem\n"
                              f"  key_file: {p}/server-key.pem\n"
                              f"  client_ca_file: {p}/clients-ca.pem\n"
                              "  client_auth_type: RequireAndVerifyClientCert\n")
    context = ssl.create_default_context(cafile=f"{p}/ca.pem")
    context.load_cert_chain(f"{p}/client.pem", f"{p}/client-key.pem")
    try:
        slow_and_idle("mutual TLS", exporter.port, context)
        stalled = open_many(exporter.port, 200, 30)
        answer, took = scrape(exporter.port, context)
        scrape_ok("mutual TLS: 200 stalled handshakes open", answer, took)
        close_all(stalled)
        bare = ssl.create_default_context(cafile=f"{p}/ca.pem")
        answer, _ = scrape(exporter.port, bare)
        check("mutual TLS: a client without a certificate is not served",
              not answer.startswith(b"HTTP/1.1 200"), repr(answer[:60]))
        check("the process survived", exporter.alive())
    finally:
        check("mutual TLS: exit status 0 after SIGTERM", exporter.stop() == 0)


def password_attack(work):
    exporter = Exporter(work, f"basic_auth_users:\n  prometheus: {HASH}\n  second: {HASH}\n")
    stop = threading.Event()
    answers = {}
    lock = threading.Lock()

    def attacker(n):
        while not stop.is_set():
            answer, _ = scrape(exporter.port, auth="prometheus:wrong", source=f"127.0.40.{n}")
            code = answer[9:12].decode(errors="replace")
            with lock:
                answers[code] = answers.get(code, 0) + 1

    def attacker_on_own_address():
        while not stop.is_set():
            scrape(exporter.port, auth="prometheus:wrong", source="127.0.0.1")

    threads = [threading.Thread(target=attacker, args=(n,)) for n in range(1, 51)]
    threads.append(threading.Thread(target=attacker_on_own_address))
    try:
        # One typo, then the right password, from one address: served, not 429 (a user of
        # its own, so that prometheus's success is not cached before the attack below).
        answer, _ = scrape(exporter.port, auth="second:typo", source="127.0.0.2")
        check("a typo is answered 401", answer.startswith(b"HTTP/1.1 401"), repr(answer[:40]))
        answer, took = scrape(exporter.port, auth="second:s3cret", source="127.0.0.2")
        scrape_ok("the right password right after a typo from the same address", answer, took)
        cpu_start, wall_start = exporter.cpu_seconds(), time.monotonic()
        for t in threads:
            t.start()
        time.sleep(1.0)
        answer, took = scrape(exporter.port, auth="prometheus:s3cret")
        scrape_ok("50 clients and the scraper's own address looping on wrong passwords: the "
                  "right one (not cached yet)", answer, took)
        time.sleep(3.0)
        # From here on every attacker address has failed a few times: the steady state.
        cpu_steady, wall_steady = exporter.cpu_seconds(), time.monotonic()
        time.sleep(2.0)
        answer, took = scrape(exporter.port, auth="prometheus:s3cret")
        scrape_ok("50 clients looping on wrong passwords: the right one again", answer, took)
        time.sleep(6.0)
        cpu_end, wall_end = exporter.cpu_seconds(), time.monotonic()
        stop.set()
        for t in threads:
            t.join()
        print(f"# password attack: {sum(answers.values())} wrong attempts ({answers}); "
              f"exporter CPU {(cpu_end - cpu_start) / (wall_end - wall_start):.2f} of a core "
              f"over the first {wall_end - wall_start:.0f} s, "
              f"{(cpu_end - cpu_steady) / (wall_end - wall_steady):.2f} of a core over the last "
              f"{wall_end - wall_steady:.0f} s", flush=True)
        check("most wrong attempts were throttled (429) without a bcrypt run",
              answers.get("429", 0) > answers.get("401", 0), str(answers))
        throttled = sample(answer,
                           'starttls_exporter_web_rejected_requests_total{reason="auth_throttled"}')
        check("throttled attempts are counted", throttled is not None and throttled > 0,
              str(throttled))
        check("the process survived", exporter.alive())
    finally:
        stop.set()
        check("basic auth: exit status 0 after SIGTERM", exporter.stop() == 0)


def main():
    raise_fd_limit()
    for tool in ("certtool",):
        if shutil.which(tool) is None:
            print(f"FAIL - {tool} not found")
            return 1
    work = tempfile.mkdtemp()
    try:
        make_pki(work)
        plain_http(work)
        mutual_tls(work)
        password_attack(work)
    except Exception:
        log = os.path.join(work, "log")
        if os.path.exists(log):
            print("exporter log, last lines:\n" + "".join(open(log).readlines()[-200:]))
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
