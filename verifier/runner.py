"""Runs a plan against a stack snapshot: concurrently, each probe under its own timeout.

Timing, retries, prerequisites and secret masking live here, once, so that probes
stay small. A check whose prerequisite did not pass is skipped rather than failed,
so one stopped container gives one failure, not ten.
"""
from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from tenacity import Retrying, retry_if_result, stop_after_delay, wait_exponential

from probes import PROBES
from verifier.checks import Check, Plan
from verifier.findings import Finding, Observation, SourceRef, Status
from verifier.secrets import Redactor, learned_from
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
    """Every check of the plan as a finding, in plan order; `progress` hears of each as it is made.
    `redact` learns the secrets of the containers in `stack` first: a container may be new."""
    redact = learned_from(redact, stack)
    findings = _Findings(progress)
    schedule = _Schedule(plan)
    running: dict[Future[Finding], Check] = {}
    # Not a `with` block: leaving one waits for every thread, and the deadline must not.
    pool = ThreadPoolExecutor(max_workers=limits.concurrency, thread_name_prefix="probe")

    def record(finding: Finding) -> None:
        findings[finding.id] = finding
        schedule.settled(finding.id)

    try:
        while True:
            for check in schedule.startable(running.values()):
                blocker = _failed_prerequisite(check, findings)
                if check.skip_reason is not None:
                    record(_finding(check, plan, Observation(Status.SKIP, "not checked", check.skip_reason),
                                    0.0, 0, redact))
                elif blocker is not None:
                    record(_skipped(check, plan, blocker, redact))
                else:
                    running[pool.submit(_run_check, check, plan, stack, limits, redact)] = check
            if not running:
                if schedule.any_startable():
                    continue  # checks skipped just now made others ready
                break
            done, _ = wait(running, timeout=max(0.0, limits.deadline - time.monotonic()),
                           return_when=FIRST_COMPLETED)
            if not done:
                for check in plan.checks:
                    if check.id not in findings:
                        findings[check.id] = _timed_out(check, plan)
                break
            for future in done:
                running.pop(future)
                record(future.result())
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return tuple(findings[check.id] for check in plan.checks)


def redacted(finding: Finding, redact: Redactor) -> Finding:
    """A finding masked again, by a redactor that has learned more since it was made."""
    return dataclasses.replace(finding, expected=redact(finding.expected), observed=redact(finding.observed),
                               message=redact(finding.message))


class _Schedule:
    """Which checks may start: those whose prerequisites all have findings, found by counting down
    rather than by looking through every pending check after each finding (quadratic in a large plan).
    Quiet checks start only while no other check runs or could start."""

    def __init__(self, plan: Plan) -> None:
        in_plan = {c.id for c in plan.checks}
        self._unmet: dict[str, int] = {}
        self._dependents: dict[str, list[Check]] = {}
        for check in plan.checks:
            required = {r for r in check.requires if r in in_plan}
            self._unmet[check.id] = len(required)
            for r in required:
                self._dependents.setdefault(r, []).append(check)
        ready = [c for c in plan.checks if not self._unmet[c.id]]
        self._loud = deque(c for c in ready if not c.quiet)
        self._quiet = deque(c for c in ready if c.quiet)

    def settled(self, check_id: str) -> None:
        for dependent in self._dependents.pop(check_id, ()):
            self._unmet[dependent.id] -= 1
            if not self._unmet[dependent.id]:
                (self._quiet if dependent.quiet else self._loud).append(dependent)

    def any_startable(self) -> bool:
        return bool(self._loud or self._quiet)

    def startable(self, running: Iterable[Check]) -> Iterator[Check]:
        """Takes the checks that may start now off the schedule, one by one: a check skipped meanwhile
        may make others ready before this ends."""
        while self._loud:
            yield self._loud.popleft()
        while self._quiet and not self._loud and not any(not c.quiet for c in running):
            yield self._quiet.popleft()
        while self._loud:  # made ready by a quiet check skipped just now
            yield self._loud.popleft()


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
