"""dependency.reachable: from inside the dependent's network namespace, the dependency's name
resolves and its port connects, as the dependent itself would reach it."""
from probes._in_network import facts_for
from verifier.checks import Check, ReachTarget
from verifier.findings import Observation, Status
from verifier.stack import NetRequest, Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, ReachTarget)
    result, method, skipped = facts_for(stack, check.runs_as, NetRequest("tcp", target.host, target.port))
    if skipped is not None:
        return skipped
    if result.ok:
        return Observation(Status.PASS, "connects", f"{target.host}:{target.port} connects from {check.runs_as} "
                                                    f"in {result.elapsed_ms:.0f} ms ({method})")
    unresolved = "gaierror" in result.detail
    return Observation(Status.FAIL, "does not resolve" if unresolved else "does not connect",
                       f"from {check.runs_as}, {target.host}:{target.port}: {result.detail} ({method})",
                       transient=True)
