"""env.value: a documented concrete value is the container's value.

Only values the document writes out and that are not secret are planned for this check,
so what it prints is what the document already shows; a container's value that looks secret is
compared and never shown."""
from verifier.checks import Check, EnvValueTarget
from verifier.findings import Observation, Status
from verifier.secrets import NOT_SHOWN, is_secret
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, EnvValueTarget)
    for container in stack.containers(check.runs_as):
        actual = container.environment.get(target.name)
        if actual is not None and actual != target.value and is_secret(target.name, actual):
            # The container's value looks secret (a URL with a password, a token): compared, never shown.
            return Observation(Status.FAIL, NOT_SHOWN,
                               f"{target.name} differs in {container.name} ({NOT_SHOWN}: it looks secret)")
        if actual != target.value:
            shown = "(not set)" if actual is None else actual
            return Observation(Status.FAIL, shown, f"{target.name} is '{shown}' in {container.name}")
    return Observation(Status.PASS, target.value, f"{target.name} is as documented")
