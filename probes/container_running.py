"""container.running: every container of the service is running."""
from verifier.checks import Check
from verifier.findings import Observation, Status
from verifier.stack import ContainerState, Stack

CRASH_LOOP_RESTARTS = 3


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    containers = stack.containers(check.runs_as)
    finished = _meant_to_finish(check.runs_as, stack)
    not_running = [c for c in containers if c.status != "running"
                   and not (finished and c.status == "exited" and c.exit_code == 0)]
    if not not_running:
        restarted = [c for c in containers if c.restart_count]
        note = "; ".join(f"{c.name} restarted {c.restart_count} times" for c in restarted)
        if any(c.restart_count >= CRASH_LOOP_RESTARTS for c in restarted):
            # Running this instant, yet restarted again and again: likely a crash loop caught between restarts.
            return Observation(Status.WARN, f"running, restarted {max(c.restart_count for c in restarted)} times",
                               note, transient=True)
        return Observation(Status.PASS, "running", note or f"{len(containers)} of {len(containers)} running")
    described = "; ".join(f"{c.name} {_describe(c)}" for c in not_running)
    return Observation(Status.FAIL, _describe(not_running[0]), described,
                       transient=any(c.status in ("created", "restarting") for c in not_running))


def _meant_to_finish(service: str, stack: Stack) -> bool:
    """A service others wait on with service_completed_successfully is done when it exited 0."""
    return any(c.depends_on.get(service) == "service_completed_successfully"
               for containers in stack.services.values() for c in containers)


def _describe(container: ContainerState) -> str:
    if container.status == "exited":
        killed = ", killed for using too much memory" if container.oom_killed else ""
        return f"exited (code {container.exit_code}{killed})"
    if container.status == "restarting":
        return f"restarting (restarted {container.restart_count} times)"
    return container.status
