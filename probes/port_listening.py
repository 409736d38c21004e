"""port.listening: something accepts connections on the documented container port, at the service's
address on its network, as its peers reach it (so it holds for ports that are not published, and a
server bound to loopback only fails it)."""
from probes._in_network import facts_for
from verifier.checks import Check, ListenTarget
from verifier.findings import Observation, Status
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, ListenTarget)
    request, result, method, skipped = facts_for(check, stack)
    if skipped is not None:
        return skipped
    where = f"{request.host}:{target.container_port}"
    if result.ok:
        return Observation(Status.PASS, "listening", f"{where} accepts connections ({method})")
    hint = "; a server bound to 127.0.0.1 inside is reached by nobody else" if request.host != "127.0.0.1" else ""
    return Observation(Status.FAIL, "not listening",
                       f"nothing accepts connections on {where}, {check.runs_as}'s address on its network: "
                       f"{result.detail} ({method}){hint}", transient=True)
