"""Wait mode: run the plan again, only the checks not yet passing, until the stack conforms,
the deadline passes, or the stack shows it never will (crash-looping, exited, unhealthy)."""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable

from probes.container_running import CRASH_LOOP_RESTARTS
from verifier.findings import Finding, Status
from verifier.plan import Check, Plan
from verifier.runner import RunLimits, run_plan
from verifier.secrets import Redactor
from verifier.stack import Stack

MAX_POLL_SECONDS = 0.5  # success is seen within half a second of the stack conforming
_NOT_YET = (Status.FAIL, Status.ERROR)


def run_waiting(plan: Plan, snapshot: Callable[[], Stack], round_limits: Callable[[], RunLimits],
                redact: Redactor, until: float) -> tuple[Finding, ...]:
    findings: dict[str, Finding] = {}
    to_run = plan
    delay = 0.05
    while True:
        stack = snapshot()
        for finding in run_plan(to_run, stack, round_limits(), redact):
            findings[finding.id] = finding
        waiting_for = [c for c in plan.checks if findings[c.id].status in _NOT_YET]
        if not waiting_for:
            break
        reason = hopeless(stack)
        if reason is not None or time.monotonic() + delay >= until:
            stop = f"gave up waiting: {reason}" if reason else "still so when --wait ran out"
            for check in waiting_for:
                finding = findings[check.id]
                findings[check.id] = dataclasses.replace(finding, message=f"{finding.message} ({stop})")
            break
        time.sleep(delay)
        delay = min(MAX_POLL_SECONDS, delay * 2)
        to_run = _with_prerequisites(plan, waiting_for, findings)
    return tuple(findings[c.id] for c in plan.checks)


def hopeless(stack: Stack) -> str | None:
    """Why this stack cannot converge by waiting longer, or None while it still might."""
    for containers in stack.services.values():
        for container in containers:
            if container.restart_count >= CRASH_LOOP_RESTARTS:
                return f"{container.name} is crash-looping ({container.restart_count} restarts)"
            if container.status == "exited" and container.restart_policy in ("no", "") and container.exit_code:
                return f"{container.name} exited with code {container.exit_code} and is not restarted"
            if container.health == "unhealthy":
                return f"{container.name} is unhealthy: its healthcheck has run out of retries"
    return None


def _with_prerequisites(plan: Plan, failing: Iterable[Check], findings: dict[str, Finding]) -> Plan:
    """The failing checks, what they require (to run them at all) and what was skipped because of them."""
    by_id = {c.id: c for c in plan.checks}
    wanted = {c.id for c in failing}
    wanted |= {c.id for c in plan.checks if findings[c.id].status is Status.SKIP and c.skip_reason is None}
    stack = list(wanted)
    while stack:
        for required in by_id[stack.pop()].requires:
            if required not in wanted:
                wanted.add(required)
                stack.append(required)
    return Plan(plan.document_path, tuple(c for c in plan.checks if c.id in wanted))


def auto_deadline(budgets: Iterable[float], default: float = 60.0) -> float:
    """--wait without a value: the slowest service's healthcheck budget, with room for the probes."""
    budgets = [b for b in budgets if b > 0]
    return (max(budgets) + 10.0) if budgets else default
