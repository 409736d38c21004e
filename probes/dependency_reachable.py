"""dependency.reachable: from inside the dependent's networks, the dependency's name resolves and its
port connects, as the dependent itself would reach it."""
from probes._in_network import facts_for
from verifier.checks import Check, ReachTarget
from verifier.findings import Observation, Status
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, ReachTarget)
    _, result, method, skipped = facts_for(check, stack)
    if skipped is not None:
        return skipped
    if result.ok:
        return Observation(Status.PASS, "connects", f"{target.host}:{target.port} connects from {check.runs_as} "
                                                    f"in {result.elapsed_ms:.0f} ms ({method})")
    unresolved = "gaierror" in result.detail
    return Observation(Status.FAIL, "does not resolve" if unresolved else "does not connect",
                       f"from {check.runs_as}, {target.host}:{target.port}: {result.detail} ({method})",
                       transient=True)
