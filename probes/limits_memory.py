"""limits.memory: the container's memory limit is the documented one."""
from verifier.checks import Check, MemoryTarget
from verifier.findings import Observation, Status
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, MemoryTarget)
    for container in stack.containers(check.runs_as):
        if container.memory_bytes is None:
            return Observation(Status.FAIL, "no memory limit", f"{container.name} may use all of the host's memory")
        if container.memory_bytes != target.bytes:
            return Observation(Status.FAIL, f"{container.memory_bytes} bytes",
                               f"{container.name} is limited to {container.memory_bytes} bytes")
    return Observation(Status.PASS, f"{target.bytes} bytes", f"limited to {target.bytes} bytes")
