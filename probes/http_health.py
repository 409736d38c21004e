"""http.health: the documented endpoint answers with the documented status (and body).

Reached from this machine through the container's published port, else from inside the stack's
network; both ways under the one request policy of verifier.read_only_http: only GET and HEAD are
ever sent, no redirect is followed, no proxy is used, and headers and body are bounded in size and
time. The verifier must not change what it checks.
"""
from __future__ import annotations

import socket

from probes._in_network import facts_for
from verifier.checks import Check, HttpTarget
from verifier.findings import Observation, Status
from verifier.read_only_http import BODY_LIMIT, NotHttp, fetch, refusal, request_path
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, HttpTarget)
    refused = refusal(target.method)
    if refused is not None:
        return Observation(Status.SKIP, "not sent", refused)
    endpoint = stack.published_endpoint(check.runs_as, target.container_port)
    if endpoint is None:
        return _from_inside(check, target, stack)
    return _request(target, endpoint.host, endpoint.port, timeout)


def _from_inside(check: Check, target: HttpTarget, stack: Stack) -> Observation:
    """The port is not published: ask from inside the stack's network, at the service's address there."""
    request, result, method, skipped = facts_for(check, stack)
    if skipped is not None:
        return skipped
    host = f"[{request.host}]" if ":" in request.host else request.host
    url = f"http://{host}:{target.container_port}{request_path(target.path)} ({check.runs_as}'s address on its network)"
    if not result.ok or result.status is None:
        return Observation(Status.FAIL, "no answer", f"{target.method} {url}: {result.detail} ({method})",
                           transient=True)
    return _judge(target, url, result.status, "", result.body_found, result.elapsed_ms, f" ({method})")


def _request(target: HttpTarget, host: str, port: int, timeout: float) -> Observation:
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    url = f"http://{authority}{request_path(target.path)}"
    wanted = bool(target.body_contains) and target.method.upper() == "GET"
    try:
        answer = fetch(host, port, target.path, target.method, timeout, want_body=wanted)
    except ConnectionRefusedError:
        return Observation(Status.FAIL, "connection refused",
                           f"{target.method} {url}: nothing accepts connections", transient=True)
    except (socket.timeout, TimeoutError):
        return Observation(Status.FAIL, "no answer", f"{target.method} {url}: no complete answer within {timeout:.1f}s")
    except NotHttp as exc:
        return Observation(Status.FAIL, "protocol error", f"{target.method} {url}: {exc}", transient=True)
    except OSError as exc:
        return Observation(Status.FAIL, "no answer", f"{target.method} {url}: {type(exc).__name__}", transient=True)
    found = bool(target.body_contains) and target.body_contains in answer.body.decode("utf-8", "replace")
    return _judge(target, url, answer.status, f" {answer.reason}".rstrip(), found, answer.elapsed_ms, "")


def _judge(target: HttpTarget, url: str, status: int, reason: str, body_found: bool, elapsed_ms: float,
           how: str) -> Observation:
    message = f"{target.method} {url} answered {status}{reason} in {elapsed_ms:.0f} ms{how}"
    if status != target.expected_status:
        return Observation(Status.FAIL, str(status), message)
    if target.body_contains and not body_found:
        return Observation(Status.FAIL, f'{status}, body without "{target.body_contains}"',
                           f"{message}, but the first {BODY_LIMIT // 1024} KiB of its body do not contain "
                           f'"{target.body_contains}"')
    observed = f'{status} with "{target.body_contains}" in the body' if target.body_contains else str(status)
    return Observation(Status.PASS, observed, message)
