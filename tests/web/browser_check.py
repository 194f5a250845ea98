#!/usr/bin/env python3
"""Drives the status page in a real headless browser (Debian's chromium) and prints what a
person would see, as one JSON object; the calling test judges it.

    browser_check.py BASE_URL SCREENSHOT_DIR

Steps: open BASE_URL/ (the status page); read the domain table (one object per row, keyed by
column heading, plus the link of the domain cell) and the targets heading; click, with a real
mouse event, the link of the first domain whose verdict is not "deliverable" (else the first);
read the report page it opens; click the first address's <summary> and read whether its
<details> opened. A PNG screenshot of each page goes to SCREENSHOT_DIR. Every request the
pages made and every console or security message (a Content-Security-Policy violation shows
there) are reported too.

The browser talks the DevTools protocol over a pipe (--remote-debugging-pipe: requests on its
fd 3, replies on its fd 4, each JSON message ended by NUL), so no port is opened and nothing
outside the standard library is needed. Loopback only: the browser's background networking,
component updates, sync and QUIC are off. Exits 2 when the browser cannot be driven; the whole
run has a 60 s deadline.
"""
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

DEADLINE = time.monotonic() + 60


class Browser:
    def __init__(self, profile):
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # Out of the way of fds 3 and 4, which the child gets.
        high = [os.dup(fd) for fd in (to_browser_r, from_browser_w)]
        for fd in (to_browser_r, from_browser_w):
            os.close(fd)

        def place_fds():
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen(
            [shutil.which("chromium") or "/usr/bin/chromium", "--headless", "--no-sandbox",
             "--disable-gpu", "--disable-dev-shm-usage", "--remote-debugging-pipe",
             "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-quic",
             "--disable-extensions", "--mute-audio", "--window-size=1280,1000",
             f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=place_fds)
        for fd in high:
            os.close(fd)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def _read_message(self):
        while b"\0" not in self.buffer:
            left = DEADLINE - time.monotonic()
            if left <= 0:
                raise TimeoutError("the browser did not answer in time")
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise EOFError("the browser closed its pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None):
        self.next_id += 1
        request = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self.to_browser, json.dumps(request).encode() + b"\0")
        while True:
            message = self._read_message()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_event(self, method, since):
        """The first event `method` at index >= since of the events seen, waiting for it."""
        while True:
            for event in self.events[since:]:
                if event.get("method") == method:
                    return event
            self.events.append(self._read_message())

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Page:
    def __init__(self, browser):
        self.browser = browser
        targets = browser.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = browser.call("Target.attachToTarget",
                                    {"targetId": page["targetId"], "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def call(self, method, params=None):
        return self.browser.call(method, params, self.session)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def navigate(self, url):
        since = len(self.browser.events)
        self.call("Page.navigate", {"url": url})
        self.browser.wait_event("Page.loadEventFired", since)

    def click(self, selector):
        """A real mouse click in the middle of the first element matching `selector`."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).scrollIntoView()")
        box = self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent",
                      {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1})

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as out:
            out.write(base64.b64decode(data["data"]))
        return path


READ_DOMAINS = """(() => {
  const table = document.querySelector('table#domains');
  if (!table) return null;
  const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
  return [...table.querySelectorAll('tbody tr')].map(tr => {
    const row = {};
    [...tr.children].forEach((td, i) => { row[heads[i]] = td.innerText.trim(); });
    const link = tr.querySelector('a');
    row.link = link ? link.getAttribute('href') : null;
    row.visible = tr.getBoundingClientRect().height > 0;
    return row;
  });
})()"""

READ_REPORT = """(() => ({
  title: document.title,
  heading: (document.querySelector('h1') || {}).textContent || null,
  text: document.body.innerText,
  details: document.querySelectorAll('details').length,
  first_open: !!(document.querySelector('details') || {}).open,
}))()"""


def run(base, shots):
    out = {"screenshots": []}
    profile = tempfile.mkdtemp(prefix="browser-profile-")
    browser = Browser(profile)
    try:
        page = Page(browser)
        page.navigate(base + "/")
        out["landing"] = {
            "title": page.evaluate("document.title"),
            "domains": page.evaluate(READ_DOMAINS),
            "headings": page.evaluate("[...document.querySelectorAll('h2')].map(h => h.textContent)"),
        }
        out["screenshots"].append(page.screenshot(os.path.join(shots, "status-page.png")))
        rows = out["landing"]["domains"] or []
        chosen = next((r for r in rows if r.get("Verdict") != "deliverable"), rows[0] if rows else None)
        if chosen and chosen["link"]:
            since = len(browser.events)
            page.click(f"a[href={json.dumps(chosen['link'])}]")
            browser.wait_event("Page.loadEventFired", since)
            out["clicked"] = chosen["link"]
            out["report"] = page.evaluate(READ_REPORT)
            out["report"]["url"] = page.evaluate("location.pathname + location.search")
            if out["report"]["details"]:
                page.click("details > summary")
                out["report"]["first_open_after_click"] = page.evaluate(
                    "document.querySelector('details').open")
            out["screenshots"].append(page.screenshot(os.path.join(shots, "domain-report.png")))
        out["requests"] = sorted({e["params"]["request"]["url"] for e in browser.events
                                  if e.get("method") == "Network.requestWillBeSent"})
        out["console"] = [e["params"]["entry"]["text"] for e in browser.events
                          if e.get("method") == "Log.entryAdded"]
        out["console"] += [" ".join(str(a.get("value", a.get("description", "")))
                                    for a in e["params"].get("args", []))
                           for e in browser.events if e.get("method") == "Runtime.consoleAPICalled"]
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    base, shots = sys.argv[1].rstrip("/"), sys.argv[2]
    os.makedirs(shots, exist_ok=True)
    try:
        print(json.dumps(run(base, shots)))
    except Exception as error:  # the caller sees why, and fails
        print(f"browser_check: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
