"""The Markdown report, for a pull request comment or a wiki page: a summary, a Mermaid graph of
the documented services colored by status, and a table per service whose lines link to the
document's own lines.

A pull request comment is read by GitHub before a person: every value is `markdown_text`,
`markdown_code` or a `mermaid_label` (verifier.sanitize), so none can make a link, an image, HTML,
a mention or an issue reference, or end the Mermaid block; the only links are the report's own."""
from __future__ import annotations

from typing import TextIO

from reports._options import RenderOptions
from reports.terminal import LAYER_MEANING, summary_line
from verifier.findings import DRIFT, Finding, Report, Status
from verifier.sanitize import markdown_code, markdown_text, markdown_url, mermaid_label, plain, safe_report

_ICON = {Status.PASS: "✅", Status.FAIL: "❌", Status.WARN: "⚠️", Status.SKIP: "⏭️", Status.ERROR: "💥"}
# Mermaid class per service status: fill and stroke that read on light and dark themes alike.
_CLASS_STYLE = {Status.PASS: "fill:#d4f7dc,stroke:#1a7f37", Status.FAIL: "fill:#ffd7d5,stroke:#cf222e",
                Status.WARN: "fill:#fff1c2,stroke:#9a6700", Status.ERROR: "fill:#f5d0fe,stroke:#8250df",
                Status.SKIP: "fill:#eaeef2,stroke:#57606a"}


def render(report: Report, stream: TextIO, options: RenderOptions = RenderOptions()) -> None:
    report = safe_report(report, plain)
    document = markdown_url(options.link_to(report.document_path))
    stream.write(f"# Deployment verification: {markdown_text(report.target.project or report.document_path)}\n\n")
    stream.write(f"**{markdown_text(summary_line(report))}**\n\n")
    stream.write(f"Document: [{markdown_text(report.document_path)}]({document})"
                 f" · started {markdown_text(report.started_at)}\n\n")
    if report.services:
        _graph(report, stream)
    for layer, meaning in LAYER_MEANING.items():
        findings = [f for f in report.findings if f.layer == layer and (f.status in DRIFT or not options.quiet)]
        if findings:
            stream.write(f"## {layer.capitalize()} layer\n\n{meaning}\n\n")
            _tables(report, findings, document, stream)
    if report.comparison is not None and report.comparison.resolved:
        stream.write(f"## Resolved since {markdown_text(report.comparison.baseline_started_at)}\n\n")
        for finding in report.comparison.resolved:
            stream.write(f"- `{markdown_code(finding.id)}` "
                         f"(was {finding.status.value}: {markdown_text(finding.observed)})\n")
        stream.write("\n")


def _graph(report: Report, stream: TextIO) -> None:
    ids = {service.name: f"s{index}" for index, service in enumerate(report.services)}
    stream.write("```mermaid\nflowchart LR\n")
    for service in report.services:
        ports = "<br/>" + ", ".join(mermaid_label(port) for port in service.published) if service.published else ""
        stream.write(f'  {ids[service.name]}["{mermaid_label(service.name)}{ports}"]\n')
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
        stream.write(f"### {markdown_text(service)}\n\n| | check | expected | observed | line | message |\n"
                     "| --- | --- | --- | --- | --- | --- |\n")
        for finding in rows:
            change = report.change_of(finding)
            status = f"{_ICON[finding.status]} {finding.status.value}" + (f" ({change.value})" if change else "")
            line = f"[L{finding.source.line}]({document}#L{finding.source.line})" if finding.source else ""
            message = finding.message if finding.status is not Status.PASS else ""
            cells = (status, f"`{markdown_code(finding.id, in_table=True)}`", markdown_text(finding.expected),
                     markdown_text(finding.observed), line, markdown_text(message))
            stream.write("| " + " | ".join(cells) + " |\n")
        stream.write("\n")

