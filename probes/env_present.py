"""env.present: the documented variable is set in every container of the service.

Only the name is compared; the value is never read into a result, so a secret
cannot leak through this check.
"""
from verifier.checks import Check, EnvTarget
from verifier.findings import Observation, Status
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, EnvTarget)
    missing = [c.name for c in stack.containers(check.runs_as) if target.name not in c.environment]
    if missing:
        return Observation(Status.FAIL, "not set", f"{target.name} is not set in {', '.join(missing)}")
    return Observation(Status.PASS, "set", f"{target.name} is set")
