"""http.health and nfr.latency against a real HTTP server on loopback."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType

import pytest

from probes import http_health, nfr_latency
from verifier.checks import Check, ContainerTarget, HttpTarget, LatencyCheckTarget
from verifier.stack import ContainerState, PortBinding, Stack


RELEASE = threading.Event()  # set at teardown: lets the handlers that never answer go


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        hostile = _HOSTILE.get(self.path)
        if hostile is not None:
            hostile(self)
            return
        if self.path == "/slow":
            time.sleep(0.05)
        body = b'{"status": "degraded"}' if self.path == "/degraded" else b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _never_answers(handler: BaseHTTPRequestHandler) -> None:
    RELEASE.wait(60)


def _drips(handler: BaseHTTPRequestHandler) -> None:
    """Headers at once, then one byte a second: a body that never ends in time."""
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    while not RELEASE.wait(1):
        handler.wfile.write(b"1\r\nx\r\n")
        handler.wfile.flush()


def _huge_body(handler: BaseHTTPRequestHandler) -> None:
    """A 1 GB body: only its first 64 KiB may be read."""
    handler.send_response(200)
    handler.send_header("Content-Length", str(1 << 30))
    handler.end_headers()
    chunk = b"z" * (1 << 16)
    try:
        for _ in range((1 << 30) // len(chunk)):
            if RELEASE.is_set():
                return
            handler.wfile.write(chunk)
    except OSError:  # the probe hung up after its 64 KiB, as it should
        return


def _redirects_to_itself(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(302)
    handler.send_header("Location", "/loop")
    handler.send_header("Content-Length", "0")
    handler.end_headers()


_HOSTILE = {"/never": _never_answers, "/drip": _drips, "/huge": _huge_body, "/loop": _redirects_to_itself}


@pytest.fixture
def server_port() -> Iterator[int]:
    RELEASE.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    RELEASE.set()
    server.shutdown()


def stack_publishing(host_port: int) -> Stack:
    """A one-container snapshot whose port 8080 is published on the test server's port."""
    container = ContainerState(
        id="c1", name="app-1", service="app", image="x", status="running", exit_code=0, oom_killed=False,
        restart_count=0, health=None, ports=(PortBinding(8080, "tcp", "127.0.0.1", host_port),),
        config_hash=None, compose_version=None, restart_policy="no", cpus=None, memory_bytes=None, mounts=(),
        healthcheck=None, started_at="", depends_on=MappingProxyType({}), environment=MappingProxyType({}))
    return Stack("p", "unix:///var/run/docker.sock", "127.0.0.1", MappingProxyType({"app": (container,)}))


def check(kind: str, target: object) -> Check:
    return Check(f"app/{kind}", kind, "app", "", 1, target or ContainerTarget())


def test_body_expectation_is_checked_on_the_real_response(server_port):
    stack = stack_publishing(server_port)
    ok = http_health.probe(check("http.health", HttpTarget("GET", "/health", 200, 8080, '"status": "ok"')), stack, 2)
    assert (ok.status.value, ok.observed) == ("pass", '200 with ""status": "ok"" in the body')
    bad = http_health.probe(check("http.health", HttpTarget("GET", "/degraded", 200, 8080, '"ok"')), stack, 2)
    assert (bad.status.value, bad.observed) == ("fail", '200, body without ""ok""')


def test_latency_target_met_and_missed(server_port):
    stack = stack_publishing(server_port)
    met = nfr_latency.probe(check("nfr.latency", LatencyCheckTarget("/health", 8080, 95, 1000, samples=5)), stack, 5)
    assert met.status.value == "pass" and met.observed.startswith("p50 ")
    missed = nfr_latency.probe(check("nfr.latency", LatencyCheckTarget("/slow", 8080, 95, 10, samples=5)), stack, 5)
    assert missed.status.value == "fail" and "over the documented 10 ms" in missed.message


@pytest.mark.parametrize("path, body, status, observed", [
    ("/never", None, "fail", "no answer"),
    ("/drip", "needle", "fail", "no answer"),
    ("/huge", "needle", "fail", '200, body without "needle"'),
    ("/loop", None, "fail", "302"),
])
def test_hostile_endpoints_end_in_a_finding_within_the_probe_timeout(server_port, path, body, status, observed):
    stack = stack_publishing(server_port)
    result = http_health.probe(check("http.health", HttpTarget("GET", path, 200, 8080, body)), stack, 1.5)
    assert (result.status.value, result.observed) == (status, observed)


def test_a_tls_only_endpoint_is_a_protocol_error_not_a_crash(tmp_path):
    import socket
    import ssl
    import subprocess

    key, certificate = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(certificate), "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        try:
            context.wrap_socket(connection, server_side=True).close()
        except (ssl.SSLError, OSError):
            connection.close()  # the probe spoke plain HTTP to a TLS port, as expected

    threading.Thread(target=serve, daemon=True).start()
    stack = stack_publishing(listener.getsockname()[1])
    result = http_health.probe(check("http.health", HttpTarget("GET", "/health", 200, 8080, None)), stack, 2)
    listener.close()
    assert result.status.value == "fail"
    assert result.observed in ("protocol error", "no answer", "connection refused")
