"""healthcheck.config: the container's healthcheck runs what the document describes, on its timing."""
from verifier.checks import Check, HealthCommandTarget, HealthConfigTarget
from verifier.findings import Observation, Status
from verifier.secrets import masked_command, secret_values_of
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    if isinstance(target, HealthCommandTarget):
        return _command(check, target, stack)
    assert isinstance(target, HealthConfigTarget)
    for container in stack.containers(check.runs_as):
        config = container.healthcheck
        if config is None:
            return _none_to_compare(container.name)
        observed = target.stated_part_of(config).text()
        if observed != target.text():
            return Observation(Status.FAIL, observed or "Docker's defaults", f"{container.name}: {observed}")
    return Observation(Status.PASS, check.expected, "healthcheck timing as documented")


def _command(check: Check, target: HealthCommandTarget, stack: Stack) -> Observation:
    for container in stack.containers(check.runs_as):
        if container.healthcheck is None:
            return _none_to_compare(container.name)
        command = " ".join(container.healthcheck.test)
        if target.mentions not in command:
            # Masked before it is cut: a password in the command (`redis-cli -a PW`) is one of the
            # container's own secrets, or has a credential's shape, however short or ordinary it is.
            shown = masked_command(container.healthcheck.test, secret_values_of(container.environment))
            return Observation(Status.WARN, shown[:120],
                               f"{container.name}'s healthcheck does not mention {target.mentions}: it checks "
                               "something other than what the document describes")
    return Observation(Status.PASS, check.expected, f"the healthcheck mentions {target.mentions}")


def _none_to_compare(name: str) -> Observation:
    """Reported once, by container.health; here there is simply nothing to compare."""
    return Observation(Status.SKIP, "no healthcheck", f"{name} defines no healthcheck (see container.health)")
