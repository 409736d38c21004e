"""postgres.ready: the server accepts connections (pg_isready's meaning) and answers SELECT 1.

Credentials come from the container's own environment (POSTGRES_USER, POSTGRES_PASSWORD,
POSTGRES_DB), as the official image reads them. The session is read-only and runs only
SELECT 1 and the version query. Beyond loopback (a remote Engine's published port) the password is
never sent in clear text: libpq is told to refuse a server that asks for it so, unless the user
says otherwise with libpq's own PGREQUIREAUTH.
"""
from __future__ import annotations

import ipaddress
import os

import psycopg

from probes._host_reach import not_published
from verifier.checks import Check, PostgresTarget
from verifier.findings import Observation, Status
from verifier.stack import ContainerState, PublishedEndpoint, Stack

# pg_isready's three answers, told apart by what the server or libpq says.
_REJECTING = ("the database system is starting up", "the database system is shutting down",
              "too many clients", "remaining connection slots", "in recovery mode")
_LOGIN_REFUSED = ("password authentication failed", "no pg_hba.conf entry", "does not exist",
                  "no password supplied", "authentication failed")


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, PostgresTarget)
    endpoint = stack.published_endpoint(check.runs_as, target.container_port)
    if endpoint is None:
        return not_published(target.container_port)
    return _query(endpoint, _credentials(target, endpoint.container), timeout, target.major_version)


def _credentials(target: PostgresTarget, container: ContainerState) -> dict[str, str]:
    env = container.environment
    user = target.user or env.get("POSTGRES_USER") or "postgres"
    credentials = {"user": user, "dbname": target.database or env.get("POSTGRES_DB") or user}
    if env.get("POSTGRES_PASSWORD"):
        credentials["password"] = env["POSTGRES_PASSWORD"]
    return credentials


def wire_guard(host: str, environ: dict[str, str] | os._Environ = os.environ) -> dict[str, str]:
    """libpq settings that keep a password off the wire in clear text, where the wire leaves this machine."""
    if _is_loopback(host) or "PGREQUIREAUTH" in environ:
        return {}
    return {"require_auth": "!password"}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _query(endpoint: PublishedEndpoint, credentials: dict[str, str], timeout: float,
           documented_major: str | None, guard: dict[str, str] | None = None) -> Observation:
    where = f"{endpoint.authority} as {credentials['user']}/{credentials['dbname']}"
    guard = wire_guard(endpoint.host) if guard is None else guard
    try:
        with psycopg.connect(host=endpoint.host, port=endpoint.port, connect_timeout=max(1, round(timeout)),
                             application_name="deployment-verifier", **guard, **credentials) as connection:
            connection.read_only = True
            row = connection.execute("SELECT 1").fetchone()
            version = connection.execute("SHOW server_version").fetchone()
    except psycopg.OperationalError as exc:
        return _classify(exc, where)
    if row != (1,):
        return Observation(Status.FAIL, "accepting connections; SELECT 1 answered wrongly",
                           f"{where}: SELECT 1 returned {row!r}")
    server = version[0] if version else "unknown"
    observed = f"accepting connections; SELECT 1 answers (PostgreSQL {server})"
    if documented_major and server.split(".")[0] != documented_major:
        return Observation(Status.FAIL, observed,
                           f"{where}: the server is PostgreSQL {server}, the document says PostgreSQL {documented_major}")
    return Observation(Status.PASS, observed, f"{where}: accepting connections, SELECT 1 = 1")


def _classify(exc: psycopg.OperationalError, where: str) -> Observation:
    text = " ".join(str(exc).split())
    lowered = text.lower()
    if "server requested a cleartext password" in lowered:
        return Observation(Status.SKIP, "not logged in",
                           f"{where}: the server asks for the password in clear text over a network; it was not "
                           "sent (set PGREQUIREAUTH=password to allow it, or use scram-sha-256 or TLS)")
    if any(marker in lowered for marker in _LOGIN_REFUSED):
        return Observation(Status.FAIL, "accepting connections; login refused", f"{where}: {_last_clause(text)}")
    if any(marker in lowered for marker in _REJECTING):
        return Observation(Status.FAIL, "rejecting connections", f"{where}: {_last_clause(text)}", transient=True)
    return Observation(Status.FAIL, "no response", f"{where}: {_last_clause(text)}", transient=True)


def _last_clause(text: str) -> str:
    """libpq repeats the address before the reason; the reason is what the reader needs."""
    return text.rsplit("failed: ", 1)[-1][:300]
