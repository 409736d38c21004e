"""env.value: a documented concrete value is the container's value.

Only values the document writes out and that are not secret are planned for this check,
so what it prints is what the document already shows."""
from verifier.checks import Check, EnvValueTarget
from verifier.findings import Observation, Status
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, EnvValueTarget)
    for container in stack.containers(check.runs_as):
        actual = container.environment.get(target.name)
        if actual != target.value:
            shown = "(not set)" if actual is None else actual
            return Observation(Status.FAIL, shown, f"{target.name} is '{shown}' in {container.name}")
    return Observation(Status.PASS, target.value, f"{target.name} is as documented")
