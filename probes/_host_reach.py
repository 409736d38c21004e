"""What probes that reach a service from this machine say when its port is not published."""
from verifier.findings import Observation, Status


def not_published(container_port: int) -> Observation:
    return Observation(Status.SKIP, "not reachable from the host",
                       f"port {container_port} is not published on the host; "
                       "probing from inside the stack's network is not available yet")
