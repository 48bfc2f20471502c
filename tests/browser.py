"""A page loaded in real headless Chromium, driven over the DevTools protocol on a pipe
(`--remote-debugging-pipe`: commands in on fd 3, replies out on fd 4, each a JSON message ended
by a NUL byte), so nothing but the standard library and Debian's `chromium` is needed.

`load(path)` opens the file from file://, waits for its load event, and returns what the page
did: console messages and errors, every network request it made, and the values of the
JavaScript expressions asked for (evaluated by DevTools, which the page's CSP does not govern).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser")


def find_chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Visit:
    console: list[dict] = field(default_factory=list)  # Runtime.consoleAPICalled and Log.entryAdded
    exceptions: list[dict] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # URLs other than the page itself
    values: dict = field(default_factory=dict)
    screenshots: dict = field(default_factory=dict)  # name -> PNG bytes of a clipped region

    @property
    def errors(self) -> list[str]:
        out = [json.dumps(e) for e in self.exceptions]
        # warnings are left out: their wording and number change between chromium releases
        out += [json.dumps(m) for m in self.console if m.get("level") == "error"]
        return out


class _Pipe:
    def __init__(self, writer: int, reader: int):
        self.writer, self.reader, self.buffer, self.next_id = writer, reader, b"", 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.writer, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self.receive(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.reader], [], [], left)[0]:
                raise TimeoutError("no reply from chromium")
            chunk = os.read(self.reader, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self.receive(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self.receive(deadline))
        except TimeoutError:
            pass


def load(path: str | Path, expressions: dict[str, str] | None = None, clips: dict[str, str] | None = None,
         chromium: str | None = None, timeout: float = 60) -> Visit:
    """Open `path` in headless chromium. `expressions`: name -> JavaScript whose value (JSON) is
    returned; `clips`: name -> CSS selector of an element to screenshot."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError("chromium is not installed")
    url = Path(path).resolve().as_uri()
    command_r, command_w = os.pipe()
    reply_r, reply_w = os.pipe()

    def remap():  # the child's fd 3 reads commands and fd 4 writes replies
        high_r = fcntl.fcntl(command_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(reply_w, fcntl.F_DUPFD, 10)
        os.dup2(high_r, 3)
        os.dup2(high_w, 4)

    with tempfile.TemporaryDirectory(prefix="shopbench-chromium-") as profile:
        process = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--window-size=1280,1600", "about:blank"],
            preexec_fn=remap, close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # what a vLLM engine in this process preloads for its own children is not chromium's
            env={key: value for key, value in os.environ.items() if key != "LD_PRELOAD"})
        os.close(command_r)
        os.close(reply_w)
        pipe = _Pipe(command_w, reply_r)
        visit = Visit()
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime", "Log", "Network", "Page"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.events.clear()  # about:blank's own events
            pipe.send("Page.navigate", {"url": url}, session=session)
            pipe.wait_for("Page.loadEventFired", timeout)
            pipe.drain(0.5)  # late console messages and requests
            for name, expression in (expressions or {}).items():
                result = pipe.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                                   session=session)
                visit.values[name] = result.get("result", {}).get("value")
            for name, selector in (clips or {}).items():
                box = pipe.send("Runtime.evaluate", {"expression": (
                    f"(() => {{const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                    "return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, "
                    "height: r.height};})()"), "returnByValue": True}, session=session)["result"]["value"]
                shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                            "clip": {**box, "scale": 1}}, session=session)
                visit.screenshots[name] = base64.b64decode(shot["data"])
            pipe.drain(0.2)
            for event in pipe.events:
                method, params = event.get("method"), event.get("params", {})
                if method == "Runtime.consoleAPICalled":
                    visit.console.append({"level": {"warn": "warning"}.get(params.get("type"), params.get("type")),
                                          "text": " ".join(str(a.get("value")) for a in params.get("args", []))})
                elif method == "Log.entryAdded":
                    entry = params.get("entry", {})
                    visit.console.append({"level": entry.get("level"), "text": entry.get("text"),
                                          "source": entry.get("source")})
                elif method == "Runtime.exceptionThrown":
                    visit.exceptions.append(params.get("exceptionDetails", {}))
                elif method == "Network.requestWillBeSent":
                    request_url = params.get("request", {}).get("url", "")
                    if request_url != url:
                        visit.requests.append(request_url)
            try:
                pipe.send("Browser.close", timeout=10)
            except (RuntimeError, TimeoutError):
                pass
        finally:
            os.close(command_w)
            os.close(reply_r)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return visit
