"""port.published: the documented host port is bound to the documented container port."""
from verifier.checks import Check, PortTarget
from verifier.findings import Observation, Status
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, PortTarget)
    for container in stack.containers(check.runs_as):
        bound = sorted({b.host_port for b in container.bindings(target.container_port, target.protocol)})
        if target.host_port in bound:
            continue
        if not bound:
            return Observation(Status.FAIL, "not published",
                               f"{container.name} publishes no host port for {target.container_port}/{target.protocol}")
        observed = ", ".join(f"{port}->{target.container_port}/{target.protocol}" for port in bound)
        return Observation(Status.FAIL, observed,
                           f"{container.name} publishes {target.container_port}/{target.protocol} "
                           f"on host port {', '.join(map(str, bound))}, not {target.host_port}")
    return Observation(Status.PASS, check.expected, f"host port {target.host_port} is bound")
