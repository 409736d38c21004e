"""What probes that look from inside the stack's networks share: finding their fact, or why there is none."""
from __future__ import annotations

from verifier.checks import Check
from verifier.findings import Observation, Status
from verifier.innet import refusal_for, request_for
from verifier.stack import NetRequest, NetResult, Stack


def facts_for(check: Check, stack: Stack) -> tuple[NetRequest | None, NetResult, str, Observation | None]:
    """The request the check rests on, its result, how it was looked at ("docker exec in api"), and
    the skip (or error) to report instead when there is no usable result."""
    refused = refusal_for(check, stack)
    if refused is not None:
        return None, NetResult(False), "", Observation(Status.SKIP, "not sent", refused)
    request = request_for(check, stack)
    facts = stack.network.get(check.runs_as)
    if request is None or facts is None or facts.unavailable is not None:
        reason = facts.unavailable if facts is not None and facts.unavailable else "no in-network facts were gathered"
        return request, NetResult(False), "", Observation(Status.SKIP, "not checked", reason)
    how = facts.how_for(check.runs_as)
    result = facts.results.get(request)
    if result is None:
        return request, NetResult(False), how, Observation(Status.SKIP, "not checked", "this request was not made")
    if result.unusable:
        return request, result, how, Observation(Status.ERROR, "not checked",
                                                 f"the in-network answer could not be used: {result.detail} ({how})")
    return request, result, how, None
