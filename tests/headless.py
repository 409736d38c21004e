"""Load a local HTML file in headless Chromium: screenshot, title and console errors.

    from tests import headless
    needs_chromium = pytest.mark.skipif(headless.chromium_path() is None, reason=headless.MISSING)
    result = headless.load_page(page, tmp_path / "page.png")
    assert result.console_errors == ()

Chromium is driven over the Chrome DevTools Protocol on --remote-debugging-pipe: it reads
NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4, so the standard
library is enough (no websocket client, no webdriver). Debian package: `chromium`.
"""
from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MISSING", "ChromiumError", "PageResult", "chromium_path", "load_page"]

MISSING = "chromium is not installed (apt-get install --no-install-recommends chromium)"
SETTLE_SECONDS = 0.2  # after the load event, for errors from timers and late resource loads


class ChromiumError(RuntimeError):
    """Chromium did not start, died, timed out, or failed a DevTools command."""


@dataclass(frozen=True)
class PageResult:
    title: str
    # "console.error: ...", "console.assert: ...", "uncaught: ...", "network: Failed to load resource ...",
    # in arrival order, which can vary between resources that load in parallel.
    console_errors: tuple[str, ...]
    screenshot: Path  # the PNG written


def chromium_path() -> str | None:
    """The Chromium executable on PATH, or None (tests should then skip with MISSING)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def load_page(html: Path, screenshot: Path, width: int = 1280, height: int = 900,
              timeout: float = 30) -> PageResult:
    """Open `html` in a fresh headless Chromium, write a width x height PNG to `screenshot`.

    Raises FileNotFoundError if `html` is missing and ChromiumError if Chromium is absent, dies,
    fails to load the page, or `timeout` seconds pass; Chromium is always killed and its profile
    removed.
    """
    html = Path(html).resolve(strict=True)
    binary = chromium_path()
    if binary is None:
        raise ChromiumError(MISSING)
    workdir = tempfile.mkdtemp(prefix="headless-chromium-")
    browser = None
    try:
        browser = _Browser(binary, workdir, width, height, time.monotonic() + timeout)
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

        def page(method: str, **params: object) -> dict:
            return browser.send(method, params, session)

        # Enabled before navigating, so nothing the page logs while loading is missed.
        page("Runtime.enable")
        page("Log.enable")
        page("Page.enable")
        page("Page.setLifecycleEventsEnabled", enabled=True)
        page("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        navigation = page("Page.navigate", url=html.as_uri())
        if navigation.get("errorText"):
            raise ChromiumError(f"cannot load {html}: {navigation['errorText']}")
        # The lifecycle "load" event carries the loaderId, so a late load event of the initial
        # about:blank can never be mistaken for this page's (Page.loadEventFired has no id).
        browser.wait_for(f"the load event of {html.name}", lambda event: (
            event["method"] == "Page.lifecycleEvent" and event["params"]["name"] == "load"
            and event["params"]["loaderId"] == navigation["loaderId"]))
        browser.pump(SETTLE_SECONDS)
        title = page("Runtime.evaluate", expression="document.title", returnByValue=True)["result"].get("value", "")
        png = base64.b64decode(page("Page.captureScreenshot", format="png")["data"])
        Path(screenshot).write_bytes(png)
        errors = tuple(message for event in browser.events if (message := _error_message(event)))
        return PageResult(title=title, console_errors=errors, screenshot=Path(screenshot))
    finally:
        if browser is not None:
            browser.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _error_message(event: dict) -> str | None:
    method, params = event["method"], event.get("params", {})
    if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
        return f"console.{params['type']}: " + " ".join(_describe(arg) for arg in params.get("args", ()))
    if method == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        exception = details.get("exception")
        # The description of an Error is "Error: message\n    at <stack>"; its first line is enough.
        thrown = _describe(exception).split("\n", 1)[0] if exception else ""
        where = f"{details.get('url', '')}:{details.get('lineNumber', 0) + 1}:{details.get('columnNumber', 0) + 1}"
        return "uncaught: " + " ".join(filter(None, [details.get("text"), thrown, f"({where})"]))
    if method == "Log.entryAdded" and params["entry"]["level"] == "error":
        entry = params["entry"]
        return f"{entry.get('source', 'other')}: {entry['text']}" + (f" ({entry['url']})" if entry.get("url") else "")
    return None


def _describe(remote_object: dict) -> str:
    """A console argument or thrown value (a CDP RemoteObject) as text."""
    if "value" in remote_object:
        value = remote_object["value"]
        return value if isinstance(value, str) else json.dumps(value)
    # Plain objects and arrays are described only as "Object" and "Array(2)"; their preview says more.
    is_array = remote_object.get("subtype") == "array"
    preview = remote_object.get("preview")
    if preview and (is_array or remote_object.get("className") == "Object"):
        fields = [p.get("value", p["type"]) if is_array else f"{p['name']}: {p.get('value', p['type'])}"
                  for p in preview.get("properties", ())]
        if preview.get("overflow"):
            fields.append("...")
        return ("[%s]" if is_array else "{%s}") % ", ".join(fields)
    return str(remote_object.get("description") or remote_object.get("unserializableValue")
               or remote_object.get("type", "?"))


def _fd_above_4(fd: int) -> int:
    # posix_spawn applies its dup2 actions in order; a source fd at 1..4 could be overwritten
    # by an earlier action before it is copied.
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5)
    os.close(fd)
    return moved


class _Browser:
    """One Chromium process and its DevTools pipe; every wait is bounded by `deadline`."""

    def __init__(self, binary: str, workdir: str, width: int, height: int, deadline: float) -> None:
        self.deadline = deadline
        self.events: list[dict] = []
        self._buffer = bytearray()
        self._last_id = 0
        self._log = os.path.join(workdir, "chromium.log")
        self.pid: int | None = None
        self._group = 0
        self._status: int | None = None
        self._to_chromium = self._from_chromium = -1
        child_fds: list[int] = []
        try:
            cmd_read, self._to_chromium = os.pipe()
            child_fds.append(_fd_above_4(cmd_read))
            self._from_chromium, reply_write = os.pipe()
            child_fds.append(_fd_above_4(reply_write))
            child_fds.append(_fd_above_4(os.open(self._log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)))
            argv = [
                binary,
                "--headless=new",
                "--no-sandbox",  # the sandbox refuses to run as root
                "--disable-gpu",
                "--disable-dev-shm-usage",  # Docker's 64 MB /dev/shm crashes renderers
                "--remote-debugging-pipe",
                f"--user-data-dir={os.path.join(workdir, 'profile')}",
                f"--window-size={width},{height}",
                "--hide-scrollbars",  # keeps screenshots identical whatever the content height
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",  # no update/safe-browsing traffic from tests
                "--disable-component-update",
                "--disable-extensions",
                "--disable-sync",
                "--mute-audio",
                "about:blank",
            ]
            # posix_spawn rather than subprocess: subprocess cannot place pipes at fds 3 and 4
            # without preexec_fn, which is unsafe when the test process has threads.
            # setpgroup=0 gives Chromium its own process group so close() can kill its helpers too.
            # Crashpad's database and dconf ignore --user-data-dir and would land in $HOME.
            env = {**os.environ, "XDG_CONFIG_HOME": os.path.join(workdir, "config"),
                   "XDG_CACHE_HOME": os.path.join(workdir, "cache")}
            self.pid = os.posix_spawn(binary, argv, env, setpgroup=0, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, child_fds[2], 1),
                (os.POSIX_SPAWN_DUP2, child_fds[2], 2),
                (os.POSIX_SPAWN_DUP2, child_fds[0], 3),
                (os.POSIX_SPAWN_DUP2, child_fds[1], 4),
            ])
            self._group = self.pid
            # poll, not select: select cannot watch fds above 1023, which a busy test process may reach.
            self._poller = select.poll()
            self._poller.register(self._from_chromium, select.POLLIN)
        except BaseException:
            self.close()
            raise
        finally:
            # Only Chromium may hold the write end of its reply pipe, or its death would not be EOF.
            for fd in child_fds:
                os.close(fd)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._last_id += 1
        message: dict = {"id": self._last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._write(message)
        while True:
            reply = self._next_message(f"the reply to {method}")
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise ChromiumError(f"{method} failed: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})
            if "method" in reply:
                self._event(reply)

    def wait_for(self, what: str, matches: Callable[[dict], bool]) -> dict:
        seen = 0
        while True:
            for event in self.events[seen:]:
                if matches(event):
                    return event
            seen = len(self.events)
            message = self._next_message(what)
            if "method" in message:
                self._event(message)

    def pump(self, seconds: float) -> None:
        """Collect events for `seconds` (or until the deadline)."""
        until = min(time.monotonic() + seconds, self.deadline)
        while (message := self._next_message("events", until)) is not None:
            if "method" in message:
                self._event(message)

    def close(self) -> None:
        try:
            if self.pid is not None:
                with contextlib.suppress(ChromiumError):  # already gone: reaped below
                    self._write({"id": self._last_id + 1, "method": "Browser.close", "params": {}})
                self._wait_exit(2)
        finally:
            # The whole group: even after a clean exit a helper (zygote, renderer) may linger.
            if self._group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._group, signal.SIGKILL)
            self._reap(0)
            for fd in (self._to_chromium, self._from_chromium):
                if fd >= 0:
                    os.close(fd)
            self._to_chromium = self._from_chromium = -1

    # -- internals ---------------------------------------------------------------------------

    def _wait_exit(self, seconds: float) -> None:
        give_up = min(time.monotonic() + seconds, self.deadline)  # cleanup never stretches a timeout
        while not self._reap(os.WNOHANG) and time.monotonic() < give_up:
            time.sleep(0.02)

    def _event(self, event: dict) -> None:
        self.events.append(event)
        if event["method"] == "Page.javascriptDialogOpening":
            # alert()/confirm() would block the page (and so the load event) until the timeout.
            self._last_id += 1
            self._write({"id": self._last_id, "method": "Page.handleJavaScriptDialog",
                         "params": {"accept": True}, "sessionId": event.get("sessionId")})

    def _write(self, message: dict) -> None:
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._to_chromium, data):]
        except BrokenPipeError:
            raise self._died("closed the DevTools pipe") from None

    def _next_message(self, what: str, until: float | None = None) -> dict | None:
        """The next message from Chromium; None once `until` passes (only if given)."""
        while (end := self._buffer.find(b"\0")) < 0:
            now = time.monotonic()
            if until is not None and now >= until:
                return None
            if now >= self.deadline:
                raise ChromiumError(f"timed out waiting for {what}{self._log_tail()}")
            # Short slices: a helper process could keep the pipe open after Chromium died, so the
            # process is checked as well as the pipe's EOF.
            wake = min(self.deadline, until or self.deadline, now + 0.5)
            if not self._poller.poll(max(1, round((wake - now) * 1000))):
                if self._reap(os.WNOHANG):
                    raise self._died("exited")
                continue
            chunk = os.read(self._from_chromium, 1 << 20)
            if not chunk:
                raise self._died("closed the DevTools pipe")
            self._buffer += chunk
        raw = bytes(self._buffer[:end])
        del self._buffer[:end + 1]
        return json.loads(raw)

    def _reap(self, flags: int) -> bool:
        """True once Chromium has exited (and been reaped)."""
        if self.pid is None:
            return True
        pid, status = os.waitpid(self.pid, flags)
        if pid == 0:
            return False
        self.pid, self._status = None, status
        return True

    def _died(self, how: str) -> ChromiumError:
        self._wait_exit(1)  # EOF comes just before the exit status
        code = f" (exit status {os.waitstatus_to_exitcode(self._status)})" if self._status is not None else ""
        return ChromiumError(f"chromium {how}{code}{self._log_tail()}")

    def _log_tail(self, lines: int = 15) -> str:
        try:
            with open(self._log, errors="replace") as log:
                tail = log.read().splitlines()[-lines:]
        except OSError:
            return ""
        return "\nchromium's last output:\n  " + "\n  ".join(tail) if tail else ""
