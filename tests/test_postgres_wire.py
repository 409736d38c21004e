"""postgres.ready never sends a password in clear text beyond loopback, against a real PostgreSQL that
asks for one (`password` authentication)."""
from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest

from probes.postgres_ready import _query, wire_guard
from tests.test_read_only import container
from verifier.stack import PortBinding, PublishedEndpoint

PASSWORD = "wire-canary-5e1f0a"


@pytest.fixture(scope="module")
def cleartext_server() -> Iterator[int]:
    name = f"verifier-pgwire-{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "run", "-d", "--name", name, "-e", "POSTGRES_USER=app", "-e", f"POSTGRES_PASSWORD={PASSWORD}",
                    "-e", "POSTGRES_HOST_AUTH_METHOD=password", "-p", "127.0.0.1::5432", "verifier-demo/postgres:1"],
                   check=True, capture_output=True, timeout=60)
    try:
        port = int(subprocess.run(["docker", "port", name, "5432/tcp"], capture_output=True, text=True,
                                  check=True).stdout.split(":")[-1])
        for _ in range(120):
            ready = subprocess.run(["docker", "exec", name, "pg_isready", "-h", "127.0.0.1", "-q"], capture_output=True)
            if ready.returncode == 0:
                break
            time.sleep(0.5)
        yield port
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)


def endpoint(port: int) -> PublishedEndpoint:
    return PublishedEndpoint(container(ports=(PortBinding(5432, "tcp", "127.0.0.1", port),)), "127.0.0.1", port)


def test_beyond_loopback_a_cleartext_request_is_refused_and_said_so(cleartext_server):
    credentials = {"user": "app", "dbname": "app", "password": PASSWORD}
    refused = _query(endpoint(cleartext_server), credentials, 5, None, guard=wire_guard("db.example.internal", {}))
    assert (refused.status.value, refused.observed) == ("skip", "not logged in")
    assert "clear text" in refused.message and "PGREQUIREAUTH" in refused.message
    assert PASSWORD not in refused.message


def test_on_loopback_or_when_the_user_allows_it_the_login_goes_ahead(cleartext_server):
    credentials = {"user": "app", "dbname": "app", "password": PASSWORD}
    assert _query(endpoint(cleartext_server), credentials, 5, None).status.value == "pass"
    allowed = wire_guard("db.example.internal", {"PGREQUIREAUTH": "password"})
    assert _query(endpoint(cleartext_server), credentials, 5, None, guard=allowed).status.value == "pass"


@pytest.mark.parametrize("host, guarded", [("127.0.0.1", False), ("::1", False), ("localhost", False),
                                           ("127.0.0.2", False), ("10.1.2.3", True), ("db.example.com", True)])
def test_the_guard_applies_beyond_loopback_only(host, guarded):
    assert bool(wire_guard(host, {})) is guarded
    assert wire_guard(host, {"PGREQUIREAUTH": "password"}) == {}
