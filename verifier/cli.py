"""The `verifier` command. The whole flow is `verify()`:

    document -> model (+ document findings) -> plan of checks -> stack snapshot
             -> probes (concurrent) -> findings -> report -> renderers

Exit codes: 0 conformant, 1 a check failed or could not run, 2 bad input or usage,
3 the Docker Engine cannot be reached, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from verifier import __version__
from verifier.arguments import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT
from verifier.errors import ExitCode, UsageError, VerifierError
from verifier.model import DEVELOPMENT

if TYPE_CHECKING:
    from verifier.checks import Plan
    from verifier.compose import ComposeProject
    from verifier.compose.model import ComposeService
    from verifier.findings import Finding, Report, Target
    from verifier.innet import InNetworkSettings
    from verifier.model import DocumentModel
    from verifier.secrets import Redactor
    from verifier.stack import Stack
    from verifier.waiting import Deadlines

EXIT_GRACE_SECONDS = 2.0  # for probe threads still finishing when the report is out
INTERRUPTED, TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM, as shells report them
PROBE_TIMEOUT = 5.0


def verify(document_path: Path, compose_files: Sequence[Path], project: str | None, timeout: float,
           wait: float | None = None, network: InNetworkSettings | None = None,
           environment: str = DEVELOPMENT, concurrency: int = DEFAULT_CONCURRENCY) -> Report:
    """One run, or with `wait` (seconds; 0 for the healthchecks' own budget) until the stack conforms.
    `environment` is the deployment the stack stands for: it decides which ports may be published."""
    from verifier.deadline import ReadingDeadline, choose_target_within, read_document_within
    from verifier.innet import InNetworkSettings, gather
    from verifier.plan import build_plan, with_outdated_checks
    from verifier.redeploy import compose_hashes
    from verifier.stack import snapshot_stack

    started_at = datetime.now(timezone.utc)
    started = time.monotonic()
    reading = ReadingDeadline.after(timeout, started)  # the files are read within --timeout too
    target = choose_target_within(project, compose_files, document_path, reading)
    network = network or InNetworkSettings()
    network = dataclasses.replace(network, look_seconds=min(network.look_seconds, timeout))  # none outlives the run

    def look() -> Stack:
        return snapshot_stack(target.project, timeout=min(timeout, 10.0), workers=concurrency)

    # The Engine and Compose answer while the document is read: they are the slow part of a run.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="early") as early:
        first_look = early.submit(look)
        hashes = (early.submit(compose_hashes, target.compose, os.environ, _hash_seconds(started, timeout))
                  if target.compose is not None else None)  # bounded by --timeout like the rest of the run
        document = read_document_within(document_path, reading)
        composed, definitions = _compose_layer(document, target.compose, environment)
        plan = build_plan(document, definitions, environment)
        stack = gather(plan, first_look.result(), network)
        plan = with_outdated_checks(plan, document, definitions, hashes.result() if hashes else None)
    if not stack.services and wait is None:
        raise UsageError(
            f"project '{target.project}' (from {target.reason}) has no containers on {stack.engine}; "
            "is the stack up, and is this its project name? (--project NAME)"
        )
    redact = _redactor(document, target.compose, stack)
    if wait is None:
        live = _run_once(plan, stack, redact, started + timeout, timeout, concurrency)
    else:
        live = _run_waiting(plan, lambda round_plan: gather(round_plan, look(), network), redact, timeout,
                            _deadlines(wait, started, document, target.compose), concurrency, target.project)
    return _report(document, _target(stack.project, redact(stack.engine), target.compose, environment), started_at,
                   started, tuple(_redacted(f, redact) for f in document.findings + composed) + live)


def _hash_seconds(started: float, timeout: float) -> float:
    """What Compose gets to hash the services: at most 10 s, and never past --timeout."""
    return max(0.1, min(10.0, started + timeout - time.monotonic()))


def _compose_layer(document: DocumentModel, compose: ComposeProject | None,
                   environment: str) -> tuple[tuple[Finding, ...], dict[str, ComposeService] | None]:
    """The compose layer's findings, and the compose definition of each documented service."""
    if compose is None:
        return (), None
    from verifier.compose_checks import compose_findings
    from verifier.mapping import map_services

    mapping = map_services(document, compose)
    definitions = {m.documented.name: m.compose for m in mapping.matches if m.compose is not None}
    return compose_findings(document, compose, mapping, environment), definitions


def _redactor(document: DocumentModel, compose: ComposeProject | None, stack: Stack | None = None) -> Redactor:
    """Masks every secret value the document writes out, the compose file holds, the verifier's own
    environment holds (Compose interpolates from it: a CI secret can land in any field) and the
    containers hold."""
    from verifier.secrets import Redactor, image_words, learned_from, readable_words_of, secret_values_of

    secrets = secret_values_of(os.environ)
    secrets += [env.value for service in document.services for env in service.environment
                if env.secret and env.value]
    words: list[str] = [service.name for service in document.services]  # a secret equal to one is not searched for
    if compose is not None:
        secrets += compose.secrets  # `.env`'s too, which interpolation may have put in any field
        secrets += [v for s in compose.services.values() for v in secret_values_of(s.environment)]
        words += [w for s in compose.services.values()
                  for w in (s.name, *image_words(s.image or ""), *readable_words_of(s.environment))]
    redact = Redactor(secrets, words)
    return learned_from(redact, stack) if stack is not None else redact


def _run_once(plan: Plan, stack: Stack, redact: Redactor, deadline: float, timeout: float,
              concurrency: int) -> tuple[Finding, ...]:
    from verifier.progress import progress_display
    from verifier.runner import RunLimits, run_plan

    limits = RunLimits(deadline, min(PROBE_TIMEOUT, timeout), concurrency)
    with progress_display(len(plan.checks)) as progress:
        return run_plan(plan, stack, limits, redact, progress)


def _run_waiting(plan: Plan, look: Callable[[Plan], Stack], redact: Redactor, timeout: float,
                 deadlines: Deadlines, concurrency: int, project: str) -> tuple[Finding, ...]:
    from verifier.changes import StackChanges
    from verifier.runner import RunLimits
    from verifier.waiting import run_waiting

    def round_limits() -> RunLimits:
        return RunLimits(time.monotonic() + min(timeout, 2 * PROBE_TIMEOUT), min(PROBE_TIMEOUT, timeout),
                         concurrency, retry=False)

    with StackChanges(project) as changes:
        return run_waiting(plan, look, round_limits, redact, deadlines, changes.pause)


def _deadlines(wait: float, started: float, document: DocumentModel, compose: ComposeProject | None) -> Deadlines:
    from verifier.waiting import Deadlines, auto_deadlines

    return Deadlines(started + wait) if wait else auto_deadlines(started, _health_budgets(document, compose))


def _health_budgets(document: DocumentModel, compose: ComposeProject | None) -> dict[str, float]:
    """start period + retries x interval per service, from the compose file or else the document
    (Docker's defaults where a value is not given: retries 3, interval 30 s)."""
    budgets = {}
    for service in document.services:
        definition = compose.services.get(service.name) if compose is not None else None
        check = definition.healthcheck if definition is not None else None
        timing = check if check is not None and not check.disabled else service.health
        if timing is not None:
            budgets[service.name] = (timing.start_period_s or 0) + (timing.retries or 3) * (timing.interval_s or 30)
    return budgets


def diff(document_path: Path, compose_files: Sequence[Path], project: str | None,
         environment: str = DEVELOPMENT, timeout: float = DEFAULT_TIMEOUT) -> Report:
    """The document against the compose file alone: no Docker Engine needed. `timeout` bounds the reading."""
    from verifier.compose_checks import compose_findings
    from verifier.deadline import ReadingDeadline, choose_target_within, read_document_within
    from verifier.mapping import map_services

    started_at = datetime.now(timezone.utc)
    started = time.monotonic()
    reading = ReadingDeadline.after(timeout, started)
    document = read_document_within(document_path, reading)
    target = choose_target_within(project, compose_files, document_path, reading)
    if target.compose is None:
        raise UsageError("no compose file to compare with: pass --compose FILE")
    redact = _redactor(document, target.compose)
    findings = compose_findings(document, target.compose, map_services(document, target.compose), environment)
    return _report(document, _target(target.project, "", target.compose, environment), started_at, started,
                   tuple(_redacted(f, redact) for f in document.findings + findings))


def _redacted(finding: Finding, redact: Redactor) -> Finding:
    return dataclasses.replace(finding, expected=redact(finding.expected), observed=redact(finding.observed),
                               message=redact(finding.message))


def _target(project: str, engine: str, compose: ComposeProject | None, environment: str) -> Target:
    from verifier.findings import Target

    files = tuple(str(f) for f in compose.files) if compose is not None else ()
    return Target("compose", project, engine, files, environment)


def _report(document: DocumentModel, target: Target, started_at: datetime, started: float,
            findings: tuple[Finding, ...]) -> Report:
    from verifier.findings import Report, ServiceNode

    environment = target.environment or DEVELOPMENT
    return Report(
        tool_version=__version__,
        document_path=document.path,
        document_sha256=document.sha256,
        target=target,
        started_at=started_at.isoformat(timespec="milliseconds"),
        duration_ms=round((time.monotonic() - started) * 1000, 3),
        findings=findings,
        services=tuple(ServiceNode(s.name, s.line,
                                   tuple(f"{p.host_port}->{p.container_port}" for p in s.ports
                                         if p.published_in(environment)),
                                   tuple(dict.fromkeys(d.service for d in s.dependencies)))
                       for s in document.services),
    )


def lint(document_path: Path, timeout: float = DEFAULT_TIMEOUT) -> Report:
    """The document checked against itself only: placeholders and contradictions, read within `timeout`."""
    from verifier.deadline import ReadingDeadline, read_document_within
    from verifier.findings import Target

    started_at = datetime.now(timezone.utc)
    started = time.monotonic()
    document = read_document_within(document_path, ReadingDeadline.after(timeout, started))
    redact = _redactor(document, None)
    return _report(document, Target("document", "", ""), started_at, started,
                   tuple(_redacted(f, redact) for f in document.findings))


def _check(args: argparse.Namespace) -> int:
    from verifier.innet import InNetworkSettings

    network = InNetworkSettings(allowed=not args.no_exec, probe_image=args.probe_image,
                                workers=args.concurrency)
    report = verify(args.document, args.compose or (), args.project, args.timeout, args.wait, network,
                    args.environment, args.concurrency)
    return _render(report, args)


def _diff(args: argparse.Namespace) -> int:
    return _render(diff(args.document, args.compose or (), args.project, args.environment, args.timeout), args)


def _lint(args: argparse.Namespace) -> int:
    return _render(lint(args.document, args.timeout), args)


def _demo(args: argparse.Namespace) -> int:
    from verifier.demo import (
        DEMO_COMPOSE,
        DEMO_DOCUMENT,
        DEMO_PROJECT,
        ensure_demo_running,
    )
    from verifier.document import read_document
    from verifier.stack import snapshot_stack

    documented = {s.name for s in read_document(DEMO_DOCUMENT).services}
    stack = snapshot_stack(DEMO_PROJECT)
    up = {name for name, cs in stack.services.items() if cs and all(c.status == "running" for c in cs)}
    ensure_demo_running(up, documented)
    report = verify(DEMO_DOCUMENT, [DEMO_COMPOSE], DEMO_PROJECT, args.timeout)
    return _render(report, args)


def _model(args: argparse.Namespace) -> int:
    from verifier.deadline import ReadingDeadline, read_document_within
    from verifier.model_view import render_json, render_table

    model = read_document_within(args.document, ReadingDeadline.after(args.timeout))
    (render_json if args.format == "json" else render_table)(model, sys.stdout)
    return ExitCode.CONFORMANT


def _render(report: Report, args: argparse.Namespace) -> int:
    """The report compared with --baseline if given, written to every --output and to standard output."""
    from verifier.output import Outputs, deliver

    if args.previous is not None:
        from verifier.baseline import compare

        report = dataclasses.replace(report, comparison=compare(args.previous, report.findings),
                                     failing_on=args.fail_on)
    deliver(report, Outputs(args.format, tuple(args.output or ()), args.quiet))
    return report.exit_code


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt, so that clean-up runs."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def run() -> None:
    """The `verifier` program: main(), then an exit that no stuck probe thread can hold up."""
    code = main()
    grace = time.monotonic() + EXIT_GRACE_SECONDS
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join(max(0.0, grace - time.monotonic()))  # one finishing a removal, say
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        # A probe abandoned at the deadline is still blocked on the network: the report is out, so
        # leave now rather than wait for it (the interpreter would join its thread at exit).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def build_parser() -> argparse.ArgumentParser:
    from verifier.arguments import build_parser as parser_for

    return parser_for({"check": _check, "diff": _diff, "lint": _lint, "model": _model, "demo": _demo})


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()  # only there can signals be caught
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        _read_baseline(args)
        return int(args.handler(args))
    except VerifierError as exc:
        from verifier.sanitize import plain  # a sentence may quote a file or a name: shown, never obeyed

        redact = _environment_redactor()  # a sentence may quote a value interpolated from a CI secret
        if args.debug:
            print(redact(traceback.format_exc()), file=sys.stderr, end="")
        print(f"verifier: {plain(redact(str(exc)))}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("verifier: interrupted", file=sys.stderr)
        return INTERRUPTED
    except _Terminated:
        print("verifier: terminated", file=sys.stderr)
        return TERMINATED
    except BrokenPipeError:
        # The reader (`| head`) has gone; point stdout at nothing so the exit flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.NOT_CONFORMANT)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
        _leave_nothing_behind()


def _environment_redactor() -> Redactor:
    """For error sentences, said before (or instead of) a run: the verifier's own environment's secrets,
    and credentials of every known form."""
    from verifier.secrets import Redactor, secret_values_of

    return Redactor(secret_values_of(os.environ))


def _read_baseline(args: argparse.Namespace) -> None:
    """--baseline is read, and --fail-on checked, before the run: a mistake there is said at once."""
    if "baseline" not in args:  # a command without report options
        return
    if args.fail_on == "new" and args.baseline is None:
        raise UsageError("--fail-on new compares with a previous report: give it with --baseline PREVIOUS.json")
    from verifier.baseline import load_baseline

    args.previous = load_baseline(args.baseline) if args.baseline is not None else None


def _leave_nothing_behind() -> None:
    """Probe containers of an interrupted or timed-out run are removed before the verifier exits."""
    innet = sys.modules.get("verifier.innet")
    if innet is not None:
        innet.remove_probe_containers()
