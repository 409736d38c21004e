"""http.health: the documented endpoint answers with the documented status.

Reached from this machine through the container's published port. Only GET and HEAD
are ever sent: the verifier must not change what it checks.
"""
from __future__ import annotations

import threading
import time

import httpx

from probes._in_network import facts_for
from verifier.checks import Check, HttpTarget
from verifier.findings import Observation, Status
from verifier.stack import Stack

READ_ONLY_METHODS = ("GET", "HEAD")
BODY_LIMIT = 64 * 1024
_CLIENT_LOCK = threading.Lock()
_shared: dict[str, httpx.Client] = {}


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, HttpTarget)
    if target.method not in READ_ONLY_METHODS:
        return Observation(Status.SKIP, "not sent",
                           f"the document's method {target.method} could change the service; "
                           "only GET and HEAD are sent")
    endpoint = stack.published_endpoint(check.runs_as, target.container_port)
    if endpoint is None:
        return _from_inside(check, target, stack)
    url = f"http://{endpoint.authority}{target.path}"
    return _request(target, url, timeout)


def _from_inside(check: Check, target: HttpTarget, stack: Stack) -> Observation:
    """The port is not published: ask from inside the stack's network, at the service's address there."""
    request, result, method, skipped = facts_for(check, stack)
    if skipped is not None:
        return skipped
    host = f"[{request.host}]" if ":" in request.host else request.host
    url = f"http://{host}:{target.container_port}{target.path} ({check.runs_as}'s address on its network)"
    if not result.ok or result.status is None:
        return Observation(Status.FAIL, "no answer", f"{target.method} {url}: {result.detail} ({method})",
                           transient=True)
    return _judge(target, url, result.status, "", result.body, result.elapsed_ms, f" ({method})")


def _request(target: HttpTarget, url: str, timeout: float) -> Observation:
    try:
        client = plain_http_client()
        started = time.perf_counter()
        with client.stream(target.method, url, timeout=timeout) as response:
            status = response.status_code
            reason = response.reason_phrase
            wanted = target.body_contains and target.method == "GET"
            body = body_start(response, time.monotonic() + timeout).decode("utf-8", "replace") if wanted else ""
    except httpx.ConnectError:
        return Observation(Status.FAIL, "connection refused",
                           f"{target.method} {url}: nothing accepts connections", transient=True)
    except httpx.TimeoutException:
        return Observation(Status.FAIL, "no answer",
                           f"{target.method} {url}: no answer within {timeout:.1f}s")
    except httpx.HTTPError as exc:
        return Observation(Status.FAIL, "protocol error", f"{target.method} {url}: {type(exc).__name__}",
                           transient=True)
    return _judge(target, url, status, f" {reason}", body, (time.perf_counter() - started) * 1000, "")


def _judge(target: HttpTarget, url: str, status: int, reason: str, body: str, elapsed_ms: float,
           how: str) -> Observation:
    message = f"{target.method} {url} answered {status}{reason} in {elapsed_ms:.0f} ms{how}"
    if status != target.expected_status:
        return Observation(Status.FAIL, str(status), message)
    if target.body_contains and target.body_contains not in body:
        return Observation(Status.FAIL, f'{status}, body without "{target.body_contains}"',
                           f"{message}, but the first {BODY_LIMIT // 1024} KiB of its body do not contain "
                           f'"{target.body_contains}"')
    observed = f'{status} with "{target.body_contains}" in the body' if target.body_contains else str(status)
    return Observation(Status.PASS, observed, message)


def body_start(response: httpx.Response, deadline: float) -> bytes:
    """At most BODY_LIMIT bytes, by `deadline` (time.monotonic()): a health endpoint that streams gigabytes
    must not be read whole, and one that sends a byte a second never trips a per-read timeout."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():  # as it arrives: a chunk size would wait for that many bytes
        chunks.append(chunk)
        size += len(chunk)
        if size >= BODY_LIMIT:
            break
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the body did not arrive in time")
    return b"".join(chunks)[:BODY_LIMIT]


def plain_http_client() -> httpx.Client:
    """The run's one client, shared by the probes' threads (each request gives its own timeout): a client
    costs an SSL context to build, which 50 probe threads contending for the interpreter made a fifth of
    a large check. For http:// URLs only (redirects are not followed), so no trust store is loaded.
    trust_env=False: a proxy from the environment must not stand between us and the stack."""
    with _CLIENT_LOCK:
        if "client" not in _shared:
            _shared["client"] = httpx.Client(follow_redirects=False, trust_env=False, verify=False)
        return _shared["client"]
