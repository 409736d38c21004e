"""restart.policy: the container's restart policy is the documented one."""
from verifier.checks import Check, RestartTarget
from verifier.findings import Observation, Status
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, RestartTarget)
    wrong = [c for c in stack.containers(check.runs_as) if c.restart_policy != target.policy]
    if wrong:
        return Observation(Status.FAIL, wrong[0].restart_policy,
                           f"{wrong[0].name} restarts '{wrong[0].restart_policy}', not '{target.policy}'")
    return Observation(Status.PASS, target.policy, f"restart policy {target.policy}")
