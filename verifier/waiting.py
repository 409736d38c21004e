"""Wait mode: run the plan again, only the checks not yet passing, until the stack conforms,
the deadline passes, or the stack shows it never will (crash-looping, exited, unhealthy)."""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from probes.container_running import CRASH_LOOP_RESTARTS
from verifier.checks import Check, Plan
from verifier.findings import Finding, Status
from verifier.runner import RunLimits, redacted, run_plan
from verifier.secrets import Redactor, learned_from
from verifier.stack import Stack

MAX_POLL_SECONDS = 0.5  # success is seen within half a second of the stack conforming
_NOT_YET = (Status.FAIL, Status.ERROR)


@dataclass(frozen=True)
class Deadlines:
    """When to stop waiting (time.monotonic() values): for the run, and earlier for some services."""
    run: float
    services: Mapping[str, float] = field(default_factory=dict)

    def of(self, service: str) -> float:
        return min(self.services.get(service, self.run), self.run)


def run_waiting(plan: Plan, snapshot: Callable[[Plan], Stack], round_limits: Callable[[], RunLimits],
                redact: Redactor, deadlines: Deadlines,
                pause: Callable[[float], object] = time.sleep) -> tuple[Finding, ...]:
    """`snapshot(round)` looks at the stack for one round's checks only: a round that waits for one
    healthcheck does not look inside every service again. `pause(seconds)` waits between rounds, and
    may end early when the stack changes. `redact` learns the secrets of every container a round sees
    (one started after the run began too), and every finding is masked by all it has learned by the end."""
    findings: dict[str, Finding] = {}
    out_of_time: dict[str, str] = {}  # check id -> why it is no longer waited for
    to_run = plan
    delay = 0.05
    while True:
        stack = snapshot(to_run)
        redact = learned_from(redact, stack)  # containers that appeared since the last round
        for finding in run_plan(to_run, stack, round_limits(), redact):
            findings[finding.id] = finding
        waiting_for = [c for c in plan.checks if findings[c.id].status in _NOT_YET and c.id not in out_of_time]
        reason = hopeless(stack)
        if reason is not None:
            out_of_time.update((c.id, f"gave up waiting: {reason}") for c in waiting_for)
            break
        now = time.monotonic()
        for check in waiting_for:
            if now + delay >= deadlines.of(check.service):
                out_of_time[check.id] = _ran_out(check.service, deadlines)
        waiting_for = [c for c in waiting_for if c.id not in out_of_time]
        if not waiting_for:
            break
        pause(delay)
        delay = min(MAX_POLL_SECONDS, delay * 2)
        to_run = _with_prerequisites(plan, waiting_for, findings)
    return tuple(redacted(_annotated(findings[c.id], out_of_time.get(c.id)), redact) for c in plan.checks)


def _ran_out(service: str, deadlines: Deadlines) -> str:
    if service in deadlines.services:
        return f"still so after {service}'s healthcheck budget (start period + retries x interval)"
    return "still so when --wait ran out"


def _annotated(finding: Finding, stop: str | None) -> Finding:
    if stop is None or finding.status not in _NOT_YET:
        return finding
    return dataclasses.replace(finding, message=f"{finding.message} ({stop})")


def hopeless(stack: Stack) -> str | None:
    """Why this stack cannot converge by waiting longer, or None while it still might."""
    for containers in stack.services.values():
        for container in containers:
            if container.restart_count >= CRASH_LOOP_RESTARTS:
                return f"{container.name} is crash-looping ({container.restart_count} restarts)"
            if container.status == "exited" and container.restart_policy in ("no", "") and container.exit_code:
                return f"{container.name} exited with code {container.exit_code} and is not restarted"
            if container.health == "unhealthy" and container.status == "running":  # not one being removed
                return f"{container.name} is unhealthy: its healthcheck has run out of retries"
    return None


def _with_prerequisites(plan: Plan, failing: Iterable[Check], findings: dict[str, Finding]) -> Plan:
    """The next round: the failing checks, what they require (to run them at all), what was skipped
    because of them, what rests on a check that passes no more, and the root checks (a service's
    containers are there): those read only the snapshot, and catch a container removed meanwhile."""
    by_id = {c.id: c for c in plan.checks}
    wanted = {c.id for c in failing}
    wanted |= {c.id for c in plan.checks if findings[c.id].status is Status.SKIP and c.skip_reason is None}
    wanted |= {c.id for c in plan.checks if not c.requires}
    wanted |= _resting_on(plan, {c.id for c in plan.checks if findings[c.id].status is not Status.PASS})
    stack = list(wanted)
    while stack:
        for required in by_id[stack.pop()].requires:
            if required not in wanted:
                wanted.add(required)
                stack.append(required)
    return Plan(plan.document_path, tuple(c for c in plan.checks if c.id in wanted))


def _resting_on(plan: Plan, not_passing: set[str]) -> set[str]:
    """The checks that require, directly or not, one of `not_passing` (the plan lists prerequisites first)."""
    resting: set[str] = set()
    for check in plan.checks:
        if any(r in not_passing or r in resting for r in check.requires):
            resting.add(check.id)
    return resting


PROBE_ROOM_SECONDS = 10.0


def auto_deadlines(started: float, budgets: Mapping[str, float], default: float = 60.0) -> Deadlines:
    """--wait without a value: each service its own healthcheck budget, with room for the probes; the run
    (and a service without a healthcheck) as long as the slowest of them."""
    services = {name: started + budget + PROBE_ROOM_SECONDS for name, budget in budgets.items() if budget > 0}
    return Deadlines(max(services.values(), default=started + default), services)
