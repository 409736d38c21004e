"""healthcheck.config: the container's healthcheck timing is the documented one."""
from verifier.findings import Observation, Status
from verifier.plan import Check, HealthConfigTarget, health_text
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, HealthConfigTarget)
    for container in stack.containers(check.runs_as):
        config = container.healthcheck
        if config is None:
            return Observation(Status.FAIL, "no healthcheck", f"{container.name} defines no healthcheck")
        observed = health_text(config.interval_s if target.interval_s is not None else None,
                               config.timeout_s if target.timeout_s is not None else None,
                               config.retries if target.retries is not None else None)
        if observed != check.expected.removesuffix(" (as the compose file says)"):
            return Observation(Status.FAIL, observed or "Docker's defaults", f"{container.name}: {observed}")
    return Observation(Status.PASS, check.expected, "healthcheck timing as documented")
