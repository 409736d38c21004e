"""The terminal report: a table per service on a terminal, plain aligned lines otherwise."""
from __future__ import annotations

import os
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from verifier.findings import Finding, Report, Status

_STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.WARN: "yellow",
          Status.SKIP: "dim", Status.ERROR: "bold magenta"}


def render(report: Report, stream: TextIO) -> None:
    console = Console(file=stream, no_color="NO_COLOR" in os.environ, highlight=False,
                      width=None if stream.isatty() else 200)
    if console.is_terminal:
        _render_tables(report, console)
    else:
        _render_plain(report, stream)
    stream.flush()


def summary_line(report: Report) -> str:
    counts = report.counts
    verdict = "CONFORMANT" if report.conformant else "NOT CONFORMANT"
    parts = ", ".join(f"{counts[s]} {s.value}" for s in Status if counts[s])
    subject = report.target.project if report.target.kind == "compose" else "the document itself"
    return (f"{verdict}: {subject} against {report.document_path} "
            f"({parts or 'no checks'}) in {report.duration_ms / 1000:.1f}s")


def _by_service(report: Report) -> dict[str, list[Finding]]:
    """Services in the order the document introduces them."""
    grouped: dict[str, list[Finding]] = {}
    for finding in report.findings:
        grouped.setdefault(finding.service, []).append(finding)
    return grouped


def _line(finding: Finding) -> str:
    return f"L{finding.source.line}" if finding.source else ""


def _render_tables(report: Report, console: Console) -> None:
    for service, findings in _by_service(report).items():
        table = Table(title=Text(service, style="bold"), title_justify="left", expand=False)
        for column in ("status", "check", "expected", "observed", "line", "message"):
            table.add_column(column, overflow="fold")
        for finding in findings:
            # Text, not markup: observed values may hold [brackets] that rich would swallow.
            table.add_row(Text(finding.status.value.upper(), style=_STYLE[finding.status]),
                          *(Text(cell) for cell in (_check_label(finding), finding.expected,
                                                    finding.observed, _line(finding), finding.message)))
        console.print(table)
    style = "bold green" if report.conformant else "bold red"
    console.print(Text(summary_line(report), style=style))


def _render_plain(report: Report, stream: TextIO) -> None:
    for service, findings in _by_service(report).items():
        stream.write(f"{service}\n")
        for finding in findings:
            stream.write(f"  {finding.status.value.upper():<5} {_line(finding):>5}  {_check_label(finding)}: "
                         f"expected {finding.expected}, observed {finding.observed}\n")
            if finding.status is not Status.PASS:
                stream.write(f"{'':14}{finding.message}\n")
    stream.write(f"Lines refer to {report.document_path}\n")
    stream.write(summary_line(report) + "\n")


def _check_label(finding: Finding) -> str:
    """The check kind plus what distinguishes it within the service (the id's tail)."""
    prefix = f"{finding.service}/{finding.check}"
    detail = finding.id[len(prefix) + 1:] if finding.id.startswith(prefix + "/") else ""
    return f"{finding.check} {detail}".strip()
