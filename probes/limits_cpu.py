"""limits.cpu: the container's CPU limit is the documented one."""
from verifier.checks import Check, CpuTarget
from verifier.findings import Observation, Status
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, CpuTarget)
    for container in stack.containers(check.runs_as):
        if container.cpus is None:
            return Observation(Status.FAIL, "no CPU limit", f"{container.name} may use every CPU of the host")
        if abs(container.cpus - target.cpus) > 1e-6:
            return Observation(Status.FAIL, f"{container.cpus:g} CPUs", f"{container.name} is limited to "
                                                                       f"{container.cpus:g} CPUs")
    return Observation(Status.PASS, f"{target.cpus:g} CPUs", f"limited to {target.cpus:g} CPUs")
