#!/usr/bin/env python3
"""TLS-RPT intake end to end, against the starttls_exporter executable on loopback.

Reports arrive the three ways senders and operators use: POSTed to the TLS-RPT listener
(gzip and JSON, plain HTTP and TLS), mailed through a real Postfix into the watched Maildir,
and imported with `starttls_exporter tlsrpt import` while the exporter runs. Checked: every
answer (200 stored or duplicate, 400, 405, 413, 415, 422), the same report by HTTPS and by
mail counted once, the counters on /metrics, totals kept across a restart, a kill -9 in the
middle of a stream of POSTs losing no acknowledged report and counting none twice, the
listener's gate against slow clients on the poster's own address, and the landing page's
report table. Nothing leaves 127.0.0.0/8.

Usage: tlsrpt_intake_test.py EXECUTABLE FIXTURES_DIR POSTFIX_INSTANCE_SH
"""
import gzip
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

EXE, FIXTURES, POSTFIX = sys.argv[1], sys.argv[2], sys.argv[3]
FAILURES = []


def check(name, ok, detail=""):
    print(f"{'ok' if ok else 'FAIL'} - {name}" + ("" if ok else f": {detail}"), flush=True)
    if not ok:
        FAILURES.append(name)


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def free_port():
    """A port claimed for this test (tests/shell/free_ports.py), so that a test run beside
    this one is never handed it before Postfix binds it."""
    claimer = os.path.join(os.path.dirname(POSTFIX), "..", "shell", "free_ports.py")
    out = subprocess.run([sys.executable, claimer, "1"], check=True, capture_output=True,
                         text=True, env=dict(os.environ, PORT_OWNER=str(os.getpid())))
    return int(out.stdout)


class Exporter:
    def __init__(self, work, web_config=None):
        self.work = work
        args = [EXE, f"--config.file={work}/config.yml", "--web.listen-address=127.0.0.1:0",
                "--tlsrpt.listen-address=127.0.0.1:0"]
        if web_config:
            args.append(f"--tlsrpt.web-config.file={web_config}")
        self.log_path = os.path.join(work, f"log.{time.monotonic_ns()}")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(args, stderr=self.log)
        self.port = self.report_port = None
        for _ in range(600):
            text = open(self.log_path).read()
            web = re.search(r"msg=listening .*port=(\d+)", text)
            reports = re.search(r'msg="TLS-RPT listener" .*port=(\d+)', text)
            if web and reports:
                self.port, self.report_port = int(web.group(1)), int(reports.group(1))
                break
            time.sleep(0.05)
        if self.port is None:
            raise RuntimeError("no listening lines: " + open(self.log_path).read())

    def metrics(self):
        return urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10).read().decode()

    def page(self):
        return urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=10).read().decode()

    def stop(self, kill=False):
        if kill:
            self.process.send_signal(signal.SIGKILL)
        else:
            self.process.terminate()
        rc = self.process.wait(timeout=20)
        self.log.close()
        if rc != 0 and not kill:
            print("exporter log:\n" + open(self.log_path).read()[-20000:], flush=True)
        return rc


def post(port, body, content_type, method="POST", context=None, source="127.0.0.1"):
    """(status, body) of one request to /tlsrpt, over a socket bound to `source`."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20, source_address=(source, 0))
    if context:
        sock = context.wrap_socket(sock, server_hostname="reports.test")
    head = (f"{method} /tlsrpt HTTP/1.1\r\nHost: reports.test\r\nConnection: close\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    try:
        sock.sendall(head + body)
    except OSError:
        pass  # refused early (413): read the answer anyway
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            break
        if not chunk:
            break
        data += chunk
    sock.close()
    if not data:
        return 0, ""
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()


def sample(page, name, **labels):
    total = None
    for line in page.splitlines():
        if not line.startswith(name + "{"):
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(have.get(k) == v for k, v in labels.items()):
            total = (total or 0) + float(line.rsplit(" ", 1)[1])
    return total


def report_with_id(report_id):
    report = json.loads(fixture("google.json"))
    report["report-id"] = report_id
    return gzip.compress(json.dumps(report).encode())


def wait_for(predicate, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def answers(exporter):
    port = exporter.report_port
    gz, js = "application/tlsrpt+gzip", "application/tlsrpt+json"
    cases = [
        ("RFC 8460's example, gzip", fixture("rfc8460.json.gz"), gz, "POST", 200, "stored"),
        ("the same again, as JSON", fixture("rfc8460.json"), js, "POST", 200, "duplicate"),
        ("Microsoft's quirks, JSON", fixture("quirks.json"), js, "POST", 200, "stored"),
        ("a gzip bomb", fixture("bomb.json.gz"), gz, "POST", 413, "too_large"),
        ("deeply nested JSON", fixture("deep.json"), js, "POST", 400, "malformed"),
        ("another media type", fixture("quirks.json"), "application/json", "POST", 415, "415"),
        ("a policy domain not ours", fixture("rfc8460.json").replace(b"company-y.example",
         b"elsewhere.example").replace(b"5065427c", b"ffffffff"), js, "POST", 422,
         "unknown_domain"),
        ("a body over 1 MiB", b"{" + b" " * (1 << 20) + b"}", js, "POST", 413, "413"),
        ("GET", b"", js, "GET", 405, "405"),
    ]
    for name, body, ctype, method, status, text in cases:
        got, said = post(port, body, ctype, method)
        check(f"POST /tlsrpt, {name}: {status} {text}", got == status and said.startswith(text),
              f"{got} {said!r}")


def mail_path(exporter, smtp_port, maildir):
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as smtp:
        smtp.sendmail("noreply@google.example", ["tlsrpt@example.test"], fixture("google.eml"))
        # The report POSTed above, now by mail too: counted once.
        smtp.sendmail("tlsrpt@microsoft.example", ["tlsrpt@example.test"],
                      fixture("unlabelled.eml"))
    check("Postfix delivered both mails and the exporter moved them to cur/",
          wait_for(lambda: len(os.listdir(f"{maildir}/cur")) == 2 and
                   not os.listdir(f"{maildir}/new"), 20), str(os.listdir(maildir + "/new")))
    page = exporter.metrics()
    check("maildir: one stored, one duplicate",
          sample(page, "starttls_exporter_tlsrpt_submissions_total", source="maildir",
                 result="stored") == 1 and
          sample(page, "starttls_exporter_tlsrpt_submissions_total", source="maildir",
                 result="duplicate") == 1, page[-3000:])


def import_while_running(exporter, work):
    run = subprocess.run([EXE, "tlsrpt", "import", f"--config.file={work}/config.yml",
                          os.path.join(FIXTURES, "rfc8460.json")], capture_output=True, text=True)
    check("tlsrpt import of a report already received: exit 0, duplicate",
          run.returncode == 0 and "duplicate" in run.stdout, run.stdout + run.stderr)
    page = exporter.metrics()
    check("the running exporter counts the import",
          sample(page, "starttls_exporter_tlsrpt_submissions_total", source="cli",
                 result="duplicate") == 1)


def totals(exporter):
    page = exporter.metrics()
    expected = {
        ("company-y.example", "company-x"): 1,
        ("example.test", "google inc"): 1,
        ("example.test", "microsoft corporation"): 1,
    }
    for (domain, organization), count in expected.items():
        got = sample(page, "tlsrpt_reports_total", domain=domain, organization=organization)
        check(f"tlsrpt_reports_total{{{domain}, {organization}}} == {count}", got == count, str(got))
    got = sample(page, "tlsrpt_failed_sessions_total", domain="company-y.example",
                 result_type="certificate-expired", mx="other")
    check("failure details counted with bounded labels", got == 100, str(got))
    got = sample(page, "tlsrpt_sessions_total", domain="company-y.example", result="successful")
    check("summary sessions counted", got == 5326, str(got))
    return page


def slow_clients(exporter):
    idle = [socket.create_connection(("127.0.0.1", exporter.report_port)) for _ in range(100)]
    slow = []
    for i in range(100):
        s = socket.create_connection(("127.0.0.1", exporter.report_port),
                                     source_address=(f"127.0.9.{1 + i % 50}", 0))
        s.sendall(b"POST /tlsrpt HTTP/1.1\r\nContent-Length: 1000\r\n")
        slow.append(s)
    started = time.monotonic()
    got, said = post(exporter.report_port, fixture("rfc8460.json"), "application/tlsrpt+json")
    check("100 idle connections from the poster's own address and 100 slow heads: the POST is "
          "answered", got == 200 and said == "duplicate" and time.monotonic() - started < 5,
          f"{got} {said!r}")
    for s in idle + slow:
        s.close()


def kill_during_posts(work):
    exporter = Exporter(work)
    acknowledged = []
    stop = threading.Event()

    def poster():
        for i in range(400):
            if stop.is_set():
                return
            try:
                got, said = post(exporter.report_port, report_with_id(f"kill-{i}"),
                                 "application/tlsrpt+gzip")
            except OSError:
                return
            if got == 200:
                acknowledged.append(f"kill-{i}")

    thread = threading.Thread(target=poster)
    thread.start()
    wait_for(lambda: len(acknowledged) >= 30, 30)
    exporter.stop(kill=True)
    stop.set()
    thread.join()
    db = sqlite3.connect(f"{work}/reports.db")
    kept = {row[0] for row in db.execute("SELECT report_id FROM reports WHERE report_id LIKE 'kill-%'")}
    counted = db.execute("SELECT reports FROM report_totals WHERE organization = 'google inc'").fetchone()[0]
    db.close()
    check(f"kill -9 after {len(acknowledged)} acknowledged POSTs: every one is kept",
          set(acknowledged) <= kept, str(set(acknowledged) - kept))
    check("and the totals count each kept report once", counted == len(kept) + 1,
          f"{counted} counted, {len(kept)} + 1 kept")
    exporter = Exporter(work)
    for i in range(400):
        post(exporter.report_port, report_with_id(f"kill-{i}"), "application/tlsrpt+gzip")
    got = sample(exporter.metrics(), "tlsrpt_reports_total", domain="example.test",
                 organization="google inc")
    check("after a restart and every POST again: 401 distinct reports, none twice", got == 401,
          str(got))
    exporter.stop()


def self_signed(work, name, key, cert):
    """A self-signed server certificate for `name` (certtool, as the other tests make theirs)."""
    with open(f"{work}/{name}.tmpl", "w") as f:
        f.write(f'cn = "{name}"\ndns_name = "{name}"\nca\ntls_www_server\nsigning_key\n'
                "encryption_key\nexpiration_days = 2\n")
    subprocess.run(["certtool", "--generate-privkey", "--key-type=ecdsa", "--outfile",
                    f"{work}/{key}"], check=True, capture_output=True)
    subprocess.run(["certtool", "--generate-self-signed", "--load-privkey", f"{work}/{key}",
                    "--template", f"{work}/{name}.tmpl", "--outfile", f"{work}/{cert}"],
                   check=True, capture_output=True)


def tls_listener(work):
    self_signed(work, "reports.test", "key.pem", "cert.pem")
    with open(f"{work}/web.yml", "w") as f:
        f.write(f"tls_server_config:\n  cert_file: {work}/cert.pem\n  key_file: {work}/key.pem\n")
    exporter = Exporter(work, f"{work}/web.yml")
    context = ssl.create_default_context(cafile=f"{work}/cert.pem")
    got, said = post(exporter.report_port, fixture("rfc8460.json.gz"), "application/tlsrpt+gzip",
                     context=context)
    check("over TLS, after a restart: the report is still a duplicate", (got, said) == (200, "duplicate"),
          f"{got} {said!r}")
    page = totals(exporter)
    check("after a restart the totals are the same",
          sample(page, "tlsrpt_reports_total", domain="company-y.example") == 1)
    exporter.stop()


def main():
    work = tempfile.mkdtemp()
    os.chmod(work, 0o755)  # Postfix's users reach the Maildir below it
    maildir = f"{work}/maildir"
    smtp_port = free_port()
    self_signed(work, "mx.test", "mx-key.pem", "mx.pem")
    subprocess.run(["bash", POSTFIX, "start", f"{work}/postfix", str(smtp_port), f"{work}/mx.pem",
                    f"{work}/mx-key.pem", f"maildir=tlsrpt@example.test:{maildir}"], check=True)
    with open(f"{work}/config.yml", "w") as f:
        f.write("targets: []\n"
                "tlsrpt:\n"
                f"  database: {work}/reports.db\n"
                f"  maildir: {maildir}\n"
                "  domains: [example.test, company-y.example]\n")
    try:
        exporter = Exporter(work)
        try:
            answers(exporter)
            mail_path(exporter, smtp_port, maildir)
            import_while_running(exporter, work)
            slow_clients(exporter)
            totals(exporter)
            page = exporter.page()
            check("the landing page lists the domains' reports",
                  "TLS-RPT reports" in page and "company-y.example" in page, page[-2000:])
        finally:
            check("exit status 0 after SIGTERM", exporter.stop() == 0)
        tls_listener(work)
        kill_during_posts(work)
    finally:
        subprocess.run(["bash", POSTFIX, "stop", f"{work}/postfix"])
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(FAILURES)} failed" if FAILURES else "all passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
