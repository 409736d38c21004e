"""port.listening: something accepts connections on the documented container port, seen from
inside the service's own network namespace (so it holds for ports that are not published)."""
from probes._in_network import facts_for
from verifier.checks import Check, ListenTarget
from verifier.findings import Observation, Status
from verifier.stack import NetRequest, Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, ListenTarget)
    result, method, skipped = facts_for(stack, check.runs_as, NetRequest("tcp", "127.0.0.1", target.container_port))
    if skipped is not None:
        return skipped
    if result.ok:
        return Observation(Status.PASS, "listening", f"port {target.container_port} accepts connections ({method})")
    return Observation(Status.FAIL, "not listening",
                       f"nothing accepts connections on {target.container_port}: {result.detail} ({method})",
                       transient=True)
