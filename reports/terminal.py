"""The terminal report: a table per service on a terminal, plain aligned lines otherwise.

Every string of the report is `plain` text here (verifier.sanitize): no escape sequence, markup
or CI log command from a probed service or a document reaches the terminal; a value that begins a
line is `line_start` text as well, for a CI log reads `::command::` there."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, TextIO

from reports._options import RenderOptions
from verifier.findings import DRIFT, Finding, Report, Status
from verifier.sanitize import line_start, plain, safe_report

if TYPE_CHECKING:
    from rich.console import Console

# What drift at each layer means, said once above that layer's findings.
LAYER_MEANING = {
    "document": "The document disagrees with itself or is unfilled: the document needs fixing.",
    "compose": "The compose file differs from the document: one of the two is stale.",
    "live": "The running stack differs from the compose file / document: changed by hand, or not redeployed.",
}
_STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.WARN: "yellow",
          Status.SKIP: "dim", Status.ERROR: "bold magenta"}


def render(report: Report, stream: TextIO, options: RenderOptions = RenderOptions()) -> None:
    report = safe_report(report, plain)
    if stream.isatty():
        from rich.console import Console  # only for a terminal: rich takes a while to import

        _render_tables(report, options, Console(file=stream, no_color="NO_COLOR" in os.environ, highlight=False))
    else:
        _render_plain(report, options, stream)
    stream.flush()


def summary_line(report: Report) -> str:
    counts = report.counts
    verdict = "CONFORMANT" if report.conformant else "NOT CONFORMANT"
    parts = ", ".join(f"{counts[s]} {s.value}" for s in Status if counts[s])
    subject = report.target.project if report.target.kind == "compose" else "the document itself"
    if report.target.environment and report.target.kind == "compose":
        subject = f"{subject} ({report.target.environment})"
    since = f"; {report.comparison.summary()}" if report.comparison is not None else ""
    return (f"{verdict}: {subject} against {report.document_path} "
            f"({parts or 'no checks'}{since}) in {report.duration_ms / 1000:.1f}s")


def _by_layer(report: Report, options: RenderOptions) -> dict[str, dict[str, list[Finding]]]:
    """Layer by layer (document, compose, live), then services in the order the document introduces them."""
    grouped: dict[str, dict[str, list[Finding]]] = {layer: {} for layer in LAYER_MEANING}
    for finding in report.findings:
        if options.quiet and finding.status not in DRIFT:
            continue
        grouped.setdefault(finding.layer, {}).setdefault(finding.service, []).append(finding)
    return {layer: services for layer, services in grouped.items() if services}


def _line(finding: Finding) -> str:
    return f"L{finding.source.line}" if finding.source else ""


def _render_tables(report: Report, options: RenderOptions, console: Console) -> None:
    from rich.text import Text

    for layer, services in _by_layer(report, options).items():
        console.rule(Text(f"{layer} layer", style="bold"))
        console.print(Text(_layer_sentence(layer, services), style="italic"))
        for service, findings in services.items():
            _render_table(report, service, findings, console)
    if report.comparison is not None:
        for finding in report.comparison.resolved:
            console.print(Text(f"resolved: {finding.id} (was {finding.status.value}: {finding.observed})",
                               style="green"))
    style = "bold green" if report.conformant else "bold red"
    console.print(Text(summary_line(report), style=style))


def _layer_sentence(layer: str, services: dict[str, list[Finding]]) -> str:
    drifted = any(f.status in (Status.FAIL, Status.ERROR, Status.WARN) for fs in services.values() for f in fs)
    return LAYER_MEANING.get(layer, "") if drifted else f"No drift at the {layer} layer."


def _render_table(report: Report, service: str, findings: list[Finding], console: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(line_start(service), style="bold"), title_justify="left", expand=False)
    for column in ("status", "check", "expected", "observed", "line", "message"):
        table.add_column(column, overflow="fold")
    for finding in findings:
        # Text, not markup: observed values may hold [brackets] that rich would swallow.
        table.add_row(Text(_status_label(report, finding), style=_STYLE[finding.status]),
                      *(Text(cell) for cell in (_check_label(finding), finding.expected,
                                                finding.observed, _line(finding), finding.message)))
    console.print(table)


def _render_plain(report: Report, options: RenderOptions, stream: TextIO) -> None:
    for layer, services in _by_layer(report, options).items():
        stream.write(f"== {layer} layer: {_layer_sentence(layer, services)}\n")
        for service, findings in services.items():
            _render_lines(report, service, findings, stream)
    if report.comparison is not None:
        for finding in report.comparison.resolved:
            stream.write(f"RESOLVED {finding.id} (was {finding.status.value}: {finding.observed})\n")
    stream.write(f"Lines refer to {report.document_path}\n")
    stream.write(summary_line(report) + "\n")


def _render_lines(report: Report, service: str, findings: list[Finding], stream: TextIO) -> None:
    stream.write(f"{line_start(service)}\n")
    for finding in findings:
        stream.write(f"  {_status_label(report, finding):<5} {_line(finding):>5}  {_check_label(finding)}: "
                     f"expected {finding.expected}, observed {finding.observed}\n")
        if finding.status is not Status.PASS:
            stream.write(f"{'':14}{line_start(finding.message)}\n")


def _check_label(finding: Finding) -> str:
    """The check kind plus what distinguishes it within the service (the id's tail)."""
    prefix = f"{finding.service}/{finding.check}"
    detail = finding.id[len(prefix) + 1:] if finding.id.startswith(prefix + "/") else ""
    return f"{finding.check} {detail}".strip()


def _status_label(report: Report, finding: Finding) -> str:
    change = report.change_of(finding)
    return finding.status.value.upper() + (f" ({change.value})" if change is not None else "")
