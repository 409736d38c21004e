"""container.health: the container's own healthcheck reports healthy."""
from verifier.checks import Check
from verifier.findings import Observation, Status
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    containers = stack.containers(check.runs_as)
    unchecked = [c for c in containers if c.health is None]
    if len(unchecked) == len(containers):
        return Observation(Status.WARN, "no healthcheck",
                           "the document describes a health check but the container defines none")
    unhealthy = [c for c in containers if c.health not in (None, "healthy")]
    if not unhealthy:
        return Observation(Status.PASS, "healthy", "healthcheck reports healthy")
    first = unhealthy[0]
    return Observation(Status.FAIL, first.health or "unknown",
                       "; ".join(f"{c.name} is {c.health}" for c in unhealthy),
                       transient=first.health == "starting")
