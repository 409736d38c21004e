"""nfr.latency: the documented response-time target, measured on the service's health endpoint.

A small number of sequential GETs through the published port, each on a new connection as a first
visitor's, under the one request policy (verifier.read_only_http); the report gives p50 and p95.
A smoke measurement on an idle stack, not a load test: it catches a service that is slow
even when nobody else is asking."""
from __future__ import annotations

import math
import time

from probes._host_reach import not_published
from verifier.checks import Check, LatencyCheckTarget
from verifier.findings import Observation, Status
from verifier.read_only_http import NotHttp, fetch
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, LatencyCheckTarget)
    endpoint = stack.published_endpoint(check.runs_as, target.container_port)
    if endpoint is None:
        return not_published(target.container_port)
    url = f"http://{endpoint.authority}{target.path}"
    deadline = time.monotonic() + timeout
    timings: list[float] = []
    try:
        for _ in range(target.samples):
            if time.monotonic() >= deadline:
                break
            answer = fetch(endpoint.host, endpoint.port, target.path, "GET", max(0.1, deadline - time.monotonic()))
            timings.append(answer.elapsed_ms)
    except (OSError, NotHttp) as exc:
        return Observation(Status.ERROR, "not measured", f"GET {url}: {type(exc).__name__}", transient=True)
    if not timings:
        return Observation(Status.ERROR, "not measured", f"no request to {url} finished in time")
    timings.sort()
    p50, p95 = _percentile(timings, 50), _percentile(timings, 95)
    measured = _percentile(timings, target.percentile) if target.percentile else timings[-1]
    observed = f"p50 {p50:.0f} ms, p95 {p95:.0f} ms over {len(timings)} requests"
    label = f"p{target.percentile}" if target.percentile else "the slowest request"
    if measured <= target.max_ms:
        return Observation(Status.PASS, observed, f"{label} was {measured:.0f} ms, under {target.max_ms:g} ms")
    return Observation(Status.FAIL, observed, f"{label} was {measured:.0f} ms, over the documented {target.max_ms:g} ms")


def _percentile(sorted_values: list[float], percentile: int) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(percentile / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]
