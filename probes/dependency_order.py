"""dependency.order: the dependency started (and was healthy, where documented) before the service.

Start times come from the Engine; whether Compose waited for health comes from Compose v2's
com.docker.compose.depends_on label. Compose v1 leaves no such label: then only the order of
start times can be told, and the finding says so."""
from verifier.checks import Check, OrderTarget
from verifier.findings import Observation, Status
from verifier.stack import ContainerState, Stack

_WAITED = {"service_healthy": "healthy", "service_completed_successfully": "completed",
           "service_started": "started"}


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, OrderTarget)
    dependencies = stack.containers(target.dependency)
    if not dependencies:
        return Observation(Status.SKIP, "no dependency container", f"'{target.dependency}' has no container to compare with")
    latest = max(dependencies, key=lambda c: c.started_at)
    for container in stack.containers(check.runs_as):
        if latest.started_at > container.started_at:
            return _started_after(container, latest)
        if target.condition == "healthy":
            waited = container.depends_on.get(target.dependency)
            if waited is None:
                return Observation(Status.WARN, f"started after {target.dependency}",
                                   f"{container.name} started after {latest.name}; without Compose v2's depends_on "
                                   "label, whether it waited for health cannot be told")
            if waited != "service_healthy":
                return Observation(Status.FAIL, f"waited until {target.dependency} {_WAITED.get(waited, waited)}",
                                   f"Compose started {container.name} once {target.dependency} was "
                                   f"{_WAITED.get(waited, waited)}, not healthy")
    observed = f"{target.dependency} {'healthy' if target.condition == 'healthy' else 'started'} first"
    return Observation(Status.PASS, observed, f"{target.dependency} started before {check.runs_as}")


def _started_after(container: ContainerState, dependency: ContainerState) -> Observation:
    when = f"{dependency.name} started at {dependency.started_at}, after {container.name} at {container.started_at}"
    if dependency.restart_count > 0:
        return Observation(Status.WARN, f"{dependency.service} restarted after",
                           f"{when}; it has restarted {dependency.restart_count} time(s) since Compose started it")
    if dependency.service in container.depends_on:
        # Compose v2 recorded the dependency, so `up` kept the order; the containers were started again since
        # by something that ignores depends_on: `docker start`/`restart`, or the Engine after its own restart.
        return Observation(Status.WARN, f"{dependency.service} started after",
                           f"{when}; Compose's definition makes {container.service} wait for {dependency.service}, "
                           "so both were started again since by something that ignores depends_on "
                           "(docker start or restart, or the Engine restarting containers after its own restart)")
    return Observation(Status.FAIL, f"{dependency.service} started after", when)
