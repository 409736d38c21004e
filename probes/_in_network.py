"""What probes that look from inside a namespace share: finding their fact, or why there is none."""
from __future__ import annotations

from verifier.findings import Observation, Status
from verifier.stack import NetRequest, NetResult, Stack


def facts_for(stack: Stack, service: str, request: NetRequest) -> tuple[NetResult, str, Observation | None]:
    facts = stack.network.get(service)
    if facts is None or facts.unavailable is not None:
        reason = facts.unavailable if facts is not None else "no in-network facts were gathered"
        return NetResult(False), "", Observation(Status.SKIP, "not checked", reason)
    result = facts.results.get(request)
    if result is None:
        return NetResult(False), facts.method, Observation(Status.SKIP, "not checked", "this request was not made")
    return result, facts.method, None
