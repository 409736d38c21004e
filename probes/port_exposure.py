"""port.exposure: a port the document calls internal is not bound on the host."""
from verifier.checks import Check, ExposureTarget
from verifier.findings import Observation, Status
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, ExposureTarget)
    for container in stack.containers(check.runs_as):
        bound = container.bindings(target.container_port)
        if bound:
            where = ", ".join(sorted({_address(b.host_ip or "0.0.0.0", b.host_port) for b in bound}))
            everywhere = any(b.host_ip in ("", "0.0.0.0", "::") for b in bound)
            return Observation(Status.FAIL, f"published on {where}",
                               f"{container.name} publishes {target.container_port} on {where}"
                               + (" (every interface)" if everywhere else " (this host only)"))
    return Observation(Status.PASS, "not published", f"port {target.container_port} stays inside the stack")


def _address(host_ip: str, port: int) -> str:
    return f"[{host_ip}]:{port}" if ":" in host_ip else f"{host_ip}:{port}"
