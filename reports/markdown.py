"""The Markdown report, for a pull request comment or a wiki page: a summary, a Mermaid graph of
the documented services colored by status, and a table per service whose lines link to the
document's own lines."""
from __future__ import annotations

import re
from typing import TextIO

from reports._options import RenderOptions
from reports.terminal import LAYER_MEANING, summary_line
from verifier.findings import DRIFT, Finding, Report, Status

_ICON = {Status.PASS: "✅", Status.FAIL: "❌", Status.WARN: "⚠️", Status.SKIP: "⏭️", Status.ERROR: "💥"}
# Mermaid class per service status: fill and stroke that read on light and dark themes alike.
_CLASS_STYLE = {Status.PASS: "fill:#d4f7dc,stroke:#1a7f37", Status.FAIL: "fill:#ffd7d5,stroke:#cf222e",
                Status.WARN: "fill:#fff1c2,stroke:#9a6700", Status.ERROR: "fill:#f5d0fe,stroke:#8250df",
                Status.SKIP: "fill:#eaeef2,stroke:#57606a"}


def render(report: Report, stream: TextIO, options: RenderOptions = RenderOptions()) -> None:
    document = options.link_to(report.document_path)
    stream.write(f"# Deployment verification: {_text(report.target.project or report.document_path)}\n\n")
    stream.write(f"**{_text(summary_line(report))}**\n\n")
    stream.write(f"Document: [{_text(report.document_path)}]({_url(document)}) · started {report.started_at}\n\n")
    if report.services:
        _graph(report, stream)
    for layer, meaning in LAYER_MEANING.items():
        findings = [f for f in report.findings if f.layer == layer and (f.status in DRIFT or not options.quiet)]
        if findings:
            stream.write(f"## {layer.capitalize()} layer\n\n{meaning}\n\n")
            _tables(report, findings, document, stream)
    if report.comparison is not None and report.comparison.resolved:
        stream.write(f"## Resolved since {report.comparison.baseline_started_at}\n\n")
        for finding in report.comparison.resolved:
            stream.write(f"- `{_code(finding.id)}` (was {finding.status.value}: {_text(finding.observed)})\n")
        stream.write("\n")


def _graph(report: Report, stream: TextIO) -> None:
    ids = {service.name: f"s{index}" for index, service in enumerate(report.services)}
    stream.write("```mermaid\nflowchart LR\n")
    for service in report.services:
        ports = "<br/>" + ", ".join(service.published) if service.published else ""
        stream.write(f'  {ids[service.name]}["{_mermaid(service.name)}{_mermaid(ports)}"]\n')
    for service in report.services:
        for dependency in service.depends_on:
            if dependency in ids:
                stream.write(f"  {ids[service.name]} --> {ids[dependency]}\n")
    for status, style in _CLASS_STYLE.items():
        stream.write(f"  classDef {status.value} {style}\n")
    for service in report.services:
        status = report.worst_status(service.name)
        if status is not None:
            stream.write(f"  class {ids[service.name]} {status.value}\n")
    stream.write("```\n\n")


def _tables(report: Report, findings: list[Finding], document: str, stream: TextIO) -> None:
    by_service: dict[str, list[Finding]] = {}
    for finding in findings:
        by_service.setdefault(finding.service, []).append(finding)
    for service, rows in by_service.items():
        stream.write(f"### {_text(service)}\n\n| | check | expected | observed | line | message |\n"
                     "| --- | --- | --- | --- | --- | --- |\n")
        for finding in rows:
            change = report.change_of(finding)
            status = f"{_ICON[finding.status]} {finding.status.value}" + (f" ({change.value})" if change else "")
            line = (f"[L{finding.source.line}]({_url(document)}#L{finding.source.line})"
                    if finding.source else "")
            cells = (status, f"`{_code(finding.id)}`", _cell(finding.expected), _cell(finding.observed), line,
                     _cell(finding.message if finding.status is not Status.PASS else ""))
            stream.write("| " + " | ".join(cells) + " |\n")
        stream.write("\n")


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|").replace("\n", " ")


def _text(text: str) -> str:
    """Plain text in Markdown: what could start markup or HTML is escaped."""
    return re.sub(r"([\\`*_{}\[\]<>#!])", r"\\\1", text)


def _code(text: str) -> str:
    return text.replace("`", "'").replace("|", "\\|")


def _url(path: str) -> str:
    return path.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _mermaid(text: str) -> str:
    """Inside a quoted Mermaid label: quotes would end it; `#quot;` is Mermaid's own escape."""
    return text.replace('"', "#quot;")
