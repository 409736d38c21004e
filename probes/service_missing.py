"""service.missing: the documented service has at least one container in the project."""
from verifier.checks import Check
from verifier.findings import Observation, Status
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    containers = stack.containers(check.runs_as)
    if not containers:
        return Observation(Status.FAIL, "no container",
                           f"project '{stack.project}' has no container for service '{check.runs_as}'")
    names = ", ".join(c.name for c in containers)
    count = f"{len(containers)} container" + ("s" if len(containers) > 1 else "")
    return Observation(Status.PASS, count, f"found {names}")
