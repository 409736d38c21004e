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


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(0.05)
        body = b'{"status": "degraded"}' if self.path == "/degraded" else b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
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
