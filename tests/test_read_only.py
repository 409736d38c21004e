"""Read-only by construction, on both paths: only GET and HEAD ever arrive, no redirect is followed, no
proxy is used, answers are bounded in size and time, connects go only to the stack's own containers,
and one service's hostile answer spoils no other service's findings."""
from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from types import MappingProxyType

import pytest

from probes import dependency_reachable, http_health
from tests.conftest import ROOT, fixture_project
from verifier import innet
from verifier.checks import Check, HttpTarget, ReachTarget
from verifier.read_only_http import HEADER_LIMIT, request_path
from verifier.stack import ContainerState, PortBinding, Stack

FIXTURE = ROOT / "compose-fixtures" / "read-only"
WRITES = ("DELETE", "POST", "PUT", "PATCH", "OPTIONS", "TRACE", "CONNECT", "delete", "GET\r\nX-Injected: 1")


class RawServer:
    """A loopback TCP server that records what every connection sends and answers with `answer`."""

    def __init__(self, answer: Callable[[socket.socket, bytes], None]) -> None:
        self.received: list[bytes] = []
        self.sent_bytes = 0
        self._answer = answer
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            request = b""
            try:
                while b"\r\n\r\n" not in request:
                    data = connection.recv(4096)
                    if not data:
                        break
                    request += data
            except OSError:
                return
            if request:
                self.received.append(request)
                try:
                    self._answer(connection, request)
                except OSError:
                    pass  # the client hung up, as it may

    def send(self, connection: socket.socket, data: bytes) -> None:
        connection.sendall(data)
        self.sent_bytes += len(data)

    def close(self) -> None:
        self._stopping.set()
        self._listener.close()


def ok(server: RawServer) -> Callable[[socket.socket, bytes], None]:
    def answer(connection: socket.socket, request: bytes) -> None:
        if b" /redirect " in request:
            server.send(connection, b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/stolen\r\n"
                                    b"Content-Length: 0\r\n\r\n" % elsewhere_port[0])
        else:
            server.send(connection, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    return answer


elsewhere_port = [0]


@pytest.fixture
def recorder() -> Iterator[RawServer]:
    server = RawServer(lambda c, r: None)
    server._answer = ok(server)
    yield server
    server.close()


@pytest.fixture
def elsewhere(monkeypatch) -> Iterator[RawServer]:
    """Where redirects send and every proxy variable points: it must see nothing."""
    server = RawServer(lambda connection, request: server.send(connection, b"HTTP/1.1 200 OK\r\n\r\n"))
    elsewhere_port[0] = server.port
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{server.port}")
    monkeypatch.setenv("no_proxy", "")
    yield server
    server.close()


def container(name: str = "app-1", service: str = "app", ports: tuple[PortBinding, ...] = (),
              addresses: dict[str, str] | None = None) -> ContainerState:
    return ContainerState(
        id=name, name=name, service=service, image="x", status="running", exit_code=0, oom_killed=False,
        restart_count=0, health=None, ports=ports, config_hash=None, compose_version=None, restart_policy="no",
        cpus=None, memory_bytes=None, mounts=(), healthcheck=None, started_at="", depends_on=MappingProxyType({}),
        environment=MappingProxyType({}), addresses=MappingProxyType(addresses or {}))


def publishing(port: int) -> Stack:
    app = container(ports=(PortBinding(8080, "tcp", "127.0.0.1", port),))
    return Stack("p", "unix:///var/run/docker.sock", "127.0.0.1", MappingProxyType({"app": (app,)}))


def health(method: str, path: str = "/health", status: int = 200) -> Check:
    return Check("app/http.health", "http.health", "app", "", 1, HttpTarget(method, path, status, 8080))


# --- from this machine ---------------------------------------------------------------------------------

@pytest.mark.parametrize("method", WRITES)
def test_a_documented_write_is_never_sent_from_this_machine(recorder, method):
    result = http_health.probe(health(method), publishing(recorder.port), 2)
    assert (result.status.value, result.observed) == ("skip", "not sent")
    assert recorder.received == []


def test_redirects_are_not_followed_and_no_proxy_is_used(recorder, elsewhere):
    stack = publishing(recorder.port)
    assert http_health.probe(health("GET", "/redirect", 302), stack, 2).status.value == "pass"
    assert http_health.probe(health("HEAD", "/health"), stack, 2).status.value == "pass"
    assert [r.split(b"\r\n")[0] for r in recorder.received] == [b"GET /redirect HTTP/1.1", b"HEAD /health HTTP/1.1"]
    assert elsewhere.received == []


def test_a_path_cannot_add_a_line_or_a_header_to_the_request(recorder):
    http_health.probe(health("GET", "/a b\r\nX-Injected: 1\r\n\r\nGET /other"), publishing(recorder.port), 2)
    (request,) = recorder.received
    assert request.split(b"\r\n")[0] == b"GET /a%20b%0D%0AX-Injected:%201%0D%0A%0D%0AGET%20/other HTTP/1.1"
    assert b"X-Injected: 1" not in request
    assert request_path("/santé?x=1&y=%20") == "/sant%C3%A9?x=1&y=%20"


def test_dripped_headers_end_at_the_probe_limit():
    """A byte of headers every 0.2 s: without one deadline over the whole answer, each read would wait
    anew and the probe would go on for minutes."""
    def drip(connection: socket.socket, request: bytes) -> None:
        server.send(connection, b"HTTP/1.1 200 OK\r\n")
        for _ in range(1000):
            server.send(connection, b"X")
            time.sleep(0.2)

    server = RawServer(drip)
    try:
        result = http_health.probe(health("GET"), publishing(server.port), 1.0)
        assert (result.status.value, result.observed) == ("fail", "no answer")
        assert "no complete answer within 1.0s" in result.message
        time.sleep(0.5)  # the server finds the connection gone at its next byte
        assert server.sent_bytes < 17 + 50  # ended after a handful of bytes, not the thousand on offer
    finally:
        server.close()


@pytest.mark.parametrize("answer, needle, observed", [
    (b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * (HEADER_LIMIT + 10) + b"\r\n\r\n", None, "protocol error"),
    (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", None, "protocol error"),
    (b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(101)) + b"\r\nok", None, "200"),
    (b"HTTP/1.1 200 \xc3\xa9t\xe9\r\nLocation: /\xff\xfe\r\n\r\n", None, "200"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "ok", "protocol error"),
])
def test_a_malformed_answer_is_a_finding_not_a_crash(answer, needle, observed):
    server = RawServer(lambda connection, request: server.send(connection, answer))
    try:
        check = Check("app/http.health", "http.health", "app", "", 1, HttpTarget("GET", "/health", 200, 8080, needle))
        assert http_health.probe(check, publishing(server.port), 2).observed == observed
    finally:
        server.close()


# --- from inside the stack's network: the script itself, run here as a look runs it -------------------

def run_look(requests: list[dict], budget: float = 10.0) -> list[dict]:
    for request in requests:
        request.setdefault("path", "/health")
        request.setdefault("method", "GET")
        request.setdefault("body_contains", "")
        request.setdefault("timeout", 2.0)
    done = subprocess.run([sys.executable, "-I", "-S", "-c", innet.script(), json.dumps(requests), "4", str(budget)],
                          capture_output=True, timeout=60, env={"http_proxy": "http://127.0.0.1:9"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("method", WRITES)
def test_the_look_itself_never_sends_a_write(recorder, method):
    (result,) = run_look([{"kind": "http", "host": "127.0.0.1", "port": recorder.port, "method": method}])
    assert result["ok"] is False and result["detail"].startswith("not sent")
    assert recorder.received == []


def test_hostile_answers_leave_the_other_requests_of_the_look_intact(recorder):
    hostile = [RawServer(lambda c, r, a=a: c.sendall(a)) for a in (
        b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(101)) + b"\r\n",
        b"HTTP/1.1 301 Moved\r\nLocation: /\xc3\xa9\xff\r\n\r\n",
        b"\x00\xff garbage",
    )]
    try:
        asked = [{"kind": "http", "host": "127.0.0.1", "port": s.port} for s in hostile]
        asked.append({"kind": "http", "host": "127.0.0.1", "port": recorder.port, "body_contains": "ok"})
        results = run_look(asked)
        assert [r.get("status") for r in results[:3]] == [200, 301, None]
        assert results[3]["status"] == 200 and results[3]["body_found"] is True
        assert all(innet.read_results(json.dumps([r]).encode(), 1)[0].unusable is False for r in results)
    finally:
        for server in hostile:
            server.close()


def test_a_look_ends_itself_at_its_deadline_with_what_it_has(recorder):
    silent = RawServer(lambda connection, request: time.sleep(30))
    try:
        results = run_look([{"kind": "http", "host": "127.0.0.1", "port": silent.port, "timeout": 20.0},
                            {"kind": "http", "host": "127.0.0.1", "port": recorder.port}], budget=1.0)
        assert results[0] == {"ok": False, "detail": "no answer before the look's deadline"}
        assert results[1]["status"] == 200
    finally:
        silent.close()


@pytest.mark.parametrize("output, problem", [(b"not json", "not JSON"), (b"[1, 2, 3]", "expected 1 results"),
                                             (b'{"ok": true}', "expected 1 results")])
def test_an_unreadable_look_is_said_so(output, problem):
    with pytest.raises(innet._Unreadable, match=problem):
        innet.read_results(output, 1)


def test_a_malformed_result_is_that_requests_own_error():
    results = innet.read_results(json.dumps([
        None, {"ok": "yes"}, {"ok": True, "status": True}, {"ok": True, "status": 99999},
        {"ok": True, "status": 200, "ms": 3.5, "body_found": True},
    ]).encode(), 5)
    assert [r.unusable for r in results] == [True, True, True, True, False]
    assert results[4].status == 200 and results[4].body_found


def test_a_look_longer_than_its_limit_is_cut():
    with pytest.raises(innet._Unreadable, match="longer than"):
        innet.bounded(iter([b"x" * 1024] * 5000))
    assert innet.bounded(iter([b"ab", b"c"])) == b"abc"


def test_connects_go_only_to_the_stacks_own_containers():
    stack = Stack("shop", "unix:///var/run/docker.sock", "127.0.0.1", MappingProxyType({
        "api": (container("shop-api-1", "api", addresses={"default": "172.30.0.2"}),),
        "db": (container("shop-db-1", "db", addresses={"default": "172.30.0.3"}),)}))
    for host in ("db", "shop-db-1", "172.30.0.3", "ghost"):  # ghost: documented, not running, must still fail
        check = Check("api/dependency.reachable/db", "dependency.reachable", "api", "", 1, ReachTarget("db", host, 5432))
        assert innet.request_for(check, stack) is not None
    for host in ("169.254.169.254", "intranet.example.com", "10.0.0.1", "fd00::1", "2130706433"):
        check = Check("api/dependency.reachable/x", "dependency.reachable", "api", "", 1, ReachTarget("x", host, 80))
        assert innet.request_for(check, stack) is None
        result = dependency_reachable.probe(check, stack, 2)
        assert (result.status.value, result.observed) == ("skip", "not sent")
        assert "not a container of project 'shop'" in result.message


# --- both paths, through the command line, on a real stack --------------------------------------------

@pytest.fixture(scope="module")
def recorded() -> Iterator[tuple[dict[str, dict], dict[str, list[str]], bytes]]:
    """The JSON findings of a check, what each recording server logged, and a check's terminal output."""
    with fixture_project(FIXTURE, "ro") as (project, compose):
        document = str(FIXTURE / "deployment-architecture.md")
        result = subprocess.run([sys.executable, "-m", "verifier", "check", document, "-p", project, "--format", "json"],
                                capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert result.returncode in (0, 1), result.stderr
        findings = {f["id"]: f for f in json.loads(result.stdout)["findings"]}
        terminal = on_a_terminal([sys.executable, "-m", "verifier", "check", document, "-p", project])
        services = subprocess.run([*compose, "config", "--services"], capture_output=True, text=True,
                                  check=True).stdout.split()
        logs = {s: [line.split("REQUEST ", 1)[1] for line in
                    subprocess.run([*compose, "logs", "--no-log-prefix", "--no-color", s], capture_output=True,
                                   text=True, check=True).stdout.splitlines() if "REQUEST " in line]
                for s in services}
        yield findings, logs, terminal


def on_a_terminal(command: list[str]) -> bytes:
    """What `command` writes to standard output when that is a terminal (a wide one, so rich does not fold)."""
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 250, 0, 0))
    process = subprocess.Popen(command, stdout=terminal, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                               cwd=ROOT, env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "250"})
    os.close(terminal)
    written = b""
    while True:
        try:
            data = os.read(controller, 65536)
        except OSError:  # EIO: the program has closed the terminal
            break
        if not data:
            break
        written += data
    process.wait(timeout=120)
    os.close(controller)
    return written


def test_only_get_and_head_arrive_on_either_path(recorded):
    _, logs, _ = recorded  # two runs: one for JSON, one on a terminal
    assert {service: sorted(set(lines)) for service, lines in logs.items()} == {
        "elsewhere": [], "h-delete": [], "h-post": [], "h-redirect": ["GET /redirect HTTP/1.1"],
                    "h-get": ["GET /health HTTP/1.1"], "p-delete": [], "p-patch": [],
                    "p-redirect": ["GET /redirect HTTP/1.1"], "p-get": ["GET /health HTTP/1.1"],
                    "p-hostile": ["GET /hostile HTTP/1.1"]}


def test_the_findings_say_what_was_not_sent(recorded):
    findings, _, _ = recorded
    for service, method in (("h-delete", "DELETE"), ("h-post", "POST"), ("p-delete", "DELETE"), ("p-patch", "PATCH")):
        (finding,) = [f for i, f in findings.items() if i.startswith(f"{service}/http.health")]
        assert (finding["status"], finding["observed"]) == ("skip", "not sent")
        assert f"method {method} could change the service" in finding["message"]
    for service in ("h-redirect", "h-get", "p-redirect", "p-get"):
        (finding,) = [f for i, f in findings.items() if i.startswith(f"{service}/http.health")]
        assert finding["status"] == "pass", finding
    assert "docker exec in" in next(f for i, f in findings.items() if i.startswith("h-get/http.health"))["message"]


def test_a_hostile_answer_cannot_take_over_the_terminal(recorded):
    findings, _, terminal = recorded
    hostile = next(f for i, f in findings.items() if i.startswith("p-hostile/http.health"))
    assert hostile["status"] == "fail" and "\x1b]8;;" in hostile["message"]  # the data keeps what was said
    assert b"p-hostile" in terminal and b"503" in terminal
    assert b"\x1b" not in re.sub(rb"\x1b\[[0-9;]*m", b"", terminal)  # only the report's own colours
    assert b"\\x1b]8;;http://evil.example/" in terminal  # shown, not obeyed
    assert not any(line.lstrip().startswith(b"::") for line in re.split(rb"[\r\n]", terminal))
