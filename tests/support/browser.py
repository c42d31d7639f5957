"""A small headless-Chromium driver for tests: the Chrome DevTools Protocol over
``--remote-debugging-pipe``, standard library only.

Chromium reads JSON commands, each ended by a NUL byte, from its fd 3 and writes responses and
events, NUL-ended too, to its fd 4. One browser per :func:`open_page` call, with a fresh profile
that is removed afterwards; the browser is killed even when the page or the driver fails.

    report = open_page(tmp_path / "report.html", screenshot=tmp_path / "shot.png",
                       evaluate="document.querySelectorAll('svg').length")
    assert report.console_errors == []

Tests call :func:`need_chromium` (``open_page`` does too) or carry :data:`requires_chromium`:
without Debian's chromium they skip, unless ``SOVEREIGN_REQUIRE_BROWSER=1`` (set by .ci/run),
which turns the skip into a failure.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REQUIRE_ENV = "SOVEREIGN_REQUIRE_BROWSER"
MISSING_REASON = "Debian chromium not installed: apt-get install chromium, as .ci/run does"

# Without the networking switches Chromium keeps trying to reach Google (this machine has no
# network); the profile directory is added per launch, the start page is about:blank.
# --host-resolver-rules fails every host but the loopback at once: pages under test must not
# reach out, and a real lookup of e.g. example.invalid took 0.5 s, sometimes 5 s (resolver
# retries). --hide-scrollbars keeps screenshots at the asked width.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]",
    "--remote-debugging-pipe",
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class BrowserError(RuntimeError):
    """Chromium failed to start, died, timed out or rejected a command."""


class _NoReply(BrowserError):
    """Chromium exited or went quiet: worth showing its stderr."""


def chromium_path() -> str | None:
    """The Chromium to drive: $SOVEREIGN_CHROMIUM, else /usr/bin/chromium or chromium on PATH."""
    override = os.environ.get("SOVEREIGN_CHROMIUM")
    if override:
        return override
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def browser_required() -> bool:
    return os.environ.get(REQUIRE_ENV) == "1"


def need_chromium() -> str:
    """Chromium's path; skips the calling test without it, or fails it under
    SOVEREIGN_REQUIRE_BROWSER=1 so CI cannot pass by skipping."""
    path = chromium_path()
    if path is None:
        if browser_required():
            pytest.fail(f"{REQUIRE_ENV}=1 but {MISSING_REASON}", pytrace=False)
        pytest.skip(MISSING_REASON)
    return path


# Skips only when a missing browser is allowed; under SOVEREIGN_REQUIRE_BROWSER=1 the test runs
# and fails in need_chromium()/open_page().
requires_chromium = pytest.mark.skipif(
    chromium_path() is None and not browser_required(), reason=MISSING_REASON
)


@dataclass
class PageReport:
    url: str
    title: str = ""
    # console.error/console.assert, uncaught exceptions, and Log entries of level "error"
    # (failed resource loads, CSP violations, ...), in arrival order.
    console_errors: list[str] = field(default_factory=list)
    # Every URL the page requested (the page itself first), in order.
    requests: list[str] = field(default_factory=list)
    # "URL: reason" for network failures and HTTP statuses >= 400.
    failed_requests: list[str] = field(default_factory=list)
    # The JSON value of the `evaluate` expression (None when not asked or undefined).
    value: Any = None
    screenshot: Path | None = None


def _to_url(path_or_url: str | Path) -> str:
    if isinstance(path_or_url, str) and re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", path_or_url):
        return path_or_url
    path = Path(path_or_url).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no page to open at {path}")
    return path.as_uri()


def _remote_object_text(obj: dict) -> str:
    if "value" in obj:
        value = obj["value"]
        return value if isinstance(value, str) else json.dumps(value)
    if "unserializableValue" in obj:
        return obj["unserializableValue"]
    return obj.get("description", obj.get("type", "?"))


class _Collector:
    """Turns the page session's events into a PageReport."""

    def __init__(self, report: PageReport) -> None:
        self.report = report
        self.urls: dict[str, str] = {}

    def __call__(self, method: str, params: dict) -> None:
        report = self.report
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(_remote_object_text(arg) for arg in params.get("args", []))
            if params["type"] == "assert":
                text = f"Assertion failed: {text}" if text else "Assertion failed"
            report.console_errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = (details.get("exception") or {}).get("description")  # message and stack
            if not text:
                line = details.get("lineNumber", 0) + 1
                text = f"{details.get('text', 'exception')} ({details.get('url', '?')}:{line})"
            report.console_errors.append(f"uncaught: {text}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error":
                where = f" ({entry['url']})" if entry.get("url") else ""
                report.console_errors.append(
                    f"{entry.get('source', 'log')}: {entry['text']}{where}"
                )
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            self.urls[params["requestId"]] = url  # a redirect reuses the id: latest URL wins
            report.requests.append(url)
        elif method == "Network.responseReceived":
            status = params.get("response", {}).get("status", 0)
            if status >= 400:
                report.failed_requests.append(f"{params['response']['url']}: HTTP {status}")
        elif method == "Network.loadingFailed":
            url = self.urls.get(params.get("requestId", ""), "?")
            reason = params.get("blockedReason") or params.get("errorText", "failed")
            report.failed_requests.append(f"{url}: {reason}")


class _Pipe:
    """NUL-framed JSON over the two pipes; a select() loop, no threads."""

    def __init__(self, proc: subprocess.Popen, send_fd: int, recv_fd: int, label: str) -> None:
        self.proc, self.send_fd, self.recv_fd, self.label = proc, send_fd, recv_fd, label
        self.buffer = bytearray()
        self.scanned = 0  # bytes of buffer known to hold no NUL
        self.next_id = 0
        self.handlers: dict[str, Any] = {}  # sessionId -> callable(method, params)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self.send_fd, data) :]
        except BrokenPipeError:
            raise _NoReply(f"{self.label}: Chromium exited before {method}") from None
        return self.next_id

    def read(self, deadline: float, waiting_for: str) -> dict:
        while True:
            end = self.buffer.find(b"\0", self.scanned)
            if end >= 0:
                raw = bytes(self.buffer[:end])
                del self.buffer[: end + 1]
                self.scanned = 0
                return json.loads(raw)
            self.scanned = len(self.buffer)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _NoReply(f"{self.label}: timed out waiting for {waiting_for}")
            ready, _, _ = select.select([self.recv_fd], [], [], remaining)
            if ready:
                chunk = os.read(self.recv_fd, 1 << 20)
                if not chunk:
                    raise _NoReply(
                        f"{self.label}: Chromium closed the pipe (exit status "
                        f"{self.proc.poll()}) while waiting for {waiting_for}"
                    )
                self.buffer += chunk

    def dispatch(self, message: dict) -> None:
        handler = self.handlers.get(message.get("sessionId", ""))
        if handler and "method" in message:
            handler(message["method"], message.get("params", {}))

    def call(
        self, method: str, params: dict | None = None, *, session: str | None, deadline: float
    ) -> dict:
        wanted = self.send(method, params, session)
        while True:
            message = self.read(deadline, f"the reply to {method}")
            if message.get("id") == wanted:
                if "error" in message:
                    raise BrowserError(f"{self.label}: {method} failed: {message['error']}")
                return message.get("result", {})
            self.dispatch(message)

    def wait_event(self, match, *, deadline: float, waiting_for: str) -> dict:
        while True:
            message = self.read(deadline, waiting_for)
            self.dispatch(message)
            if "method" in message and match(message):
                return message.get("params", {})


def _stop(proc: subprocess.Popen, pipe: _Pipe | None) -> None:
    """Ask Chromium to close, then kill its process group (it runs in its own session)."""
    if proc.poll() is None and pipe is not None:
        try:
            pipe.send("Browser.close")
            proc.wait(timeout=3)
        except (BrowserError, OSError, subprocess.TimeoutExpired):
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers: zygote, renderer, utility processes
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def open_page(
    path_or_url: str | Path,
    *,
    screenshot: Path | None = None,
    evaluate: str | None = None,
    width: int = 1280,
    height: int = 900,
    timeout: float = 30,
) -> PageReport:
    """Load a file (or URL) in a fresh headless Chromium and report what happened.

    Waits for the load event, then runs `evaluate` (a JS expression; promises are awaited, the
    result is returned by value) and writes a full-page PNG to `screenshot` if given. Raises
    BrowserError (a RuntimeError) naming the page on a navigation error, a throwing `evaluate`,
    a browser crash or when `timeout` seconds (for the whole visit) run out.
    """
    executable = need_chromium()
    url = _to_url(path_or_url)
    deadline = time.monotonic() + timeout
    report = PageReport(url=url)
    with tempfile.TemporaryDirectory(prefix="sovereign-chromium-") as tmp:
        profile = Path(tmp) / "profile"
        stderr_path = Path(tmp) / "stderr.log"
        command_read, command_write = os.pipe()
        reply_read, reply_write = os.pipe()
        proc = pipe = None
        try:
            with open(stderr_path, "wb") as stderr:
                # sh moves the pipes to fds 3 and 4 (stdin/stdout stay single-digit fds, which
                # any sh can redirect): no preexec_fn, which is unsafe with threads.
                proc = subprocess.Popen(
                    [
                        "/bin/sh",
                        "-c",
                        'exec "$@" 3<&0 4>&1 </dev/null >&2',
                        "sh",
                        executable,
                        *FLAGS,
                        f"--user-data-dir={profile}",
                        f"--window-size={width},{height}",
                        "about:blank",
                    ],
                    stdin=command_read,
                    stdout=reply_write,
                    stderr=stderr,
                    start_new_session=True,
                )
            os.close(command_read)
            os.close(reply_write)
            command_read = reply_write = -1
            pipe = _Pipe(proc, command_write, reply_read, url)
            _visit(pipe, report, url, screenshot, evaluate, width, height, deadline)
        except _NoReply as error:
            tail = stderr_path.read_text(errors="replace")[-2000:] if stderr_path.exists() else ""
            raise BrowserError(f"{error}\n--- chromium stderr (tail) ---\n{tail}") from None
        finally:
            if proc is not None:
                _stop(proc, pipe)
            for fd in (command_read, command_write, reply_read, reply_write):
                if fd >= 0:
                    os.close(fd)
            shutil.rmtree(profile, ignore_errors=True)
    return report


def _visit(
    pipe: _Pipe,
    report: PageReport,
    url: str,
    screenshot: Path | None,
    evaluate: str | None,
    width: int,
    height: int,
    deadline: float,
) -> None:
    def call(method: str, params: dict | None = None, session: str | None = None) -> dict:
        return pipe.call(method, params, session=session, deadline=deadline)

    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    pipe.handlers[session] = _Collector(report)
    for domain in ("Page", "Runtime", "Log", "Network"):
        call(f"{domain}.enable", session=session)
    call("Page.setLifecycleEventsEnabled", {"enabled": True}, session)
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    call("Emulation.setDeviceMetricsOverride", metrics, session)

    navigation = call("Page.navigate", {"url": url}, session)
    if navigation.get("errorText"):
        raise BrowserError(f"{url}: navigation failed: {navigation['errorText']}")
    frame, loader = navigation["frameId"], navigation.get("loaderId")

    # The load event of *this* document: lifecycle "load" for the navigation's loader (a bare
    # Page.loadEventFired could be about:blank's); fall back to loadEventFired without a loader.
    def loaded(message: dict) -> bool:
        if message.get("sessionId") != session:
            return False
        params = message.get("params", {})
        if loader is None:
            return message["method"] == "Page.loadEventFired"
        return (
            message["method"] == "Page.lifecycleEvent"
            and params.get("name") == "load"
            and params.get("frameId") == frame
            and params.get("loaderId") == loader
        )

    pipe.wait_event(loaded, deadline=deadline, waiting_for="the load event")

    if evaluate is not None:
        report.value = _evaluate(call, session, url, evaluate)
    # Also a round trip through the renderer: its console events queued before this reply.
    report.title = _evaluate(call, session, url, "document.title") or ""

    if screenshot is not None:
        layout = call("Page.getLayoutMetrics", session=session)
        size = layout.get("cssContentSize") or layout["contentSize"]
        clip = {
            "x": 0,
            "y": 0,
            "width": max(1, size["width"]),
            "height": max(1, size["height"]),
            "scale": 1,
        }
        shot = call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": clip},
            session,
        )
        screenshot = Path(screenshot)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        report.screenshot = screenshot


def _evaluate(call, session: str, url: str, expression: str) -> Any:
    params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
    result = call("Runtime.evaluate", params, session)
    if "exceptionDetails" in result:
        details = result["exceptionDetails"]
        text = (details.get("exception") or {}).get("description") or details.get("text")
        raise BrowserError(f"{url}: evaluating {expression!r} threw: {text}")
    return result["result"].get("value")
