"""Runs a plan against a stack snapshot: concurrently, each probe under its own timeout.

Timing, retries, prerequisites and secret masking live here, once, so that probes
stay small. A check whose prerequisite did not pass is skipped rather than failed,
so one stopped container gives one failure, not ten.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from tenacity import Retrying, retry_if_result, stop_after_delay, wait_exponential

from probes import PROBES
from verifier.checks import Check, Plan
from verifier.findings import Finding, Observation, SourceRef, Status
from verifier.secrets import Redactor
from verifier.stack import Stack

LAYER = "live"


@dataclass(frozen=True)
class RunLimits:
    deadline: float  # time.monotonic() by which every finding must exist
    probe_timeout: float
    concurrency: int = 16
    retry: bool = True  # retry transient observations within the probe's time (off in wait mode)


def run_plan(plan: Plan, stack: Stack, limits: RunLimits, redact: Redactor,
             progress: Callable[[Finding], None] | None = None) -> tuple[Finding, ...]:
    """Every check of the plan as a finding, in plan order; `progress` hears of each as it is made."""
    findings = _Findings(progress)
    pending = list(plan.checks)
    running: dict[Future[Finding], Check] = {}
    # Not a `with` block: leaving one waits for every thread, and the deadline must not.
    pool = ThreadPoolExecutor(max_workers=limits.concurrency, thread_name_prefix="probe")
    try:
        while pending or running:
            for check in _ready(pending, running.values(), findings):
                pending.remove(check)
                blocker = _failed_prerequisite(check, findings)
                if check.skip_reason is not None:
                    findings[check.id] = _finding(check, plan, Observation(Status.SKIP, "not checked",
                                                                           check.skip_reason), 0.0, 0, redact)
                elif blocker is not None:
                    findings[check.id] = _skipped(check, plan, blocker, redact)
                else:
                    running[pool.submit(_run_check, check, plan, stack, limits, redact)] = check
            if not running:
                continue
            done, _ = wait(running, timeout=max(0.0, limits.deadline - time.monotonic()),
                           return_when=FIRST_COMPLETED)
            if not done:
                for check in [*running.values(), *pending]:
                    findings[check.id] = _timed_out(check, plan)
                break
            for future in done:
                findings[running.pop(future).id] = future.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return tuple(findings[check.id] for check in plan.checks)


def _ready(pending: list[Check], running: Iterable[Check], findings: dict[str, Finding]) -> list[Check]:
    """The pending checks whose prerequisites have findings; quiet ones only while no other check runs or
    could start."""
    ready = [c for c in pending if all(r in findings for r in c.requires)]
    if any(not c.quiet for c in (*ready, *running)):
        return [c for c in ready if not c.quiet]
    return ready


class _Findings(dict[str, Finding]):
    """The findings so far; tells the progress display of each one as it arrives."""

    def __init__(self, progress: Callable[[Finding], None] | None) -> None:
        super().__init__()
        self._progress = progress

    def __setitem__(self, key: str, finding: Finding) -> None:
        super().__setitem__(key, finding)
        if self._progress is not None:
            self._progress(finding)


def _failed_prerequisite(check: Check, findings: dict[str, Finding]) -> Finding | None:
    for required in check.requires:
        finding = findings.get(required)
        if finding is not None and finding.status is not Status.PASS:
            return finding
    return None


def _run_check(check: Check, plan: Plan, stack: Stack, limits: RunLimits, redact: Redactor) -> Finding:
    probe = PROBES[check.kind]
    started = time.perf_counter()
    budget = max(0.1, min(limits.probe_timeout, limits.deadline - time.monotonic()))
    give_up_at = time.monotonic() + budget
    retrying = Retrying(
        stop=stop_after_delay(budget),
        wait=wait_exponential(multiplier=0.1, max=0.5),
        retry=retry_if_result(lambda observation: limits.retry and observation.transient),
        retry_error_callback=lambda state: state.outcome.result(),
    )

    def attempt() -> Observation:
        remaining = max(0.1, give_up_at - time.monotonic())
        try:
            return probe(check, stack, remaining)
        except Exception as exc:  # a probe's bug must become one finding, not end the run
            return Observation(Status.ERROR, "probe failed", f"{type(exc).__name__}: {exc}")

    observation = retrying(attempt)
    attempts = int(retrying.statistics.get("attempt_number", 1))
    return _finding(check, plan, observation, (time.perf_counter() - started) * 1000, attempts, redact)


def _finding(check: Check, plan: Plan, observation: Observation, duration_ms: float,
             attempts: int, redact: Redactor) -> Finding:
    return Finding(
        id=check.id,
        check=check.kind,
        service=check.service,
        status=observation.status,
        expected=redact(check.expected),
        observed=redact(observation.observed),
        message=redact(observation.message),
        source=SourceRef(plan.document_path, check.line),
        layer=LAYER,
        duration_ms=round(duration_ms, 3),
        attempts=attempts,
    )


def _skipped(check: Check, plan: Plan, blocker: Finding, redact: Redactor) -> Finding:
    reason = f"skipped because {blocker.id} is {blocker.status}"
    return _finding(check, plan, Observation(Status.SKIP, "not checked", reason), 0.0, 0, redact)


def _timed_out(check: Check, plan: Plan) -> Finding:
    return _finding(check, plan, Observation(Status.ERROR, "timed out",
                                             "the run's --timeout ended before this check finished"),
                    0.0, 0, Redactor())
