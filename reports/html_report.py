"""One self-contained HTML page for the nightly audit: the verdict, a picture of the documented
architecture colored by status, each service's status, and every finding's details.

No script and no external asset: the page opens the same from a mail attachment, a wiki or a
CI artifact, years later. Every value is `html_text` (verifier.sanitize): escaped, with its control
characters shown, so none can make an element, an attribute or a link; the page has no link at all."""
from __future__ import annotations

from typing import TextIO

from reports._options import RenderOptions
from reports.terminal import LAYER_MEANING, summary_line
from verifier.findings import DRIFT, SEVERITY, Finding, Report, ServiceNode, Status
from verifier.sanitize import html_text, plain, safe_report

_COLOR = {Status.PASS: ("#d4f7dc", "#1a7f37"), Status.FAIL: ("#ffd7d5", "#cf222e"),
          Status.WARN: ("#fff1c2", "#9a6700"), Status.ERROR: ("#f5d0fe", "#8250df"),
          Status.SKIP: ("#eaeef2", "#57606a"), None: ("#ffffff", "#57606a")}
_NODE_WIDTH, _NODE_HEIGHT, _COLUMN, _ROW, _MARGIN = 180, 56, 260, 84, 20

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1f2328; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 28px; } h3 { font-size: 15px; }
.verdict { padding: 10px 14px; border-radius: 6px; font-weight: 600; }
.conformant { background: #d4f7dc; } .not-conformant { background: #ffd7d5; }
table { border-collapse: collapse; } td, th { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; }
.status { font-weight: 600; text-transform: uppercase; font-size: 12px; }
.pass { color: #1a7f37; } .fail { color: #cf222e; } .warn { color: #9a6700; } .error { color: #8250df; }
.skip { color: #57606a; }
details { margin: 2px 0; } summary { cursor: pointer; } dl { margin: 4px 0 8px 22px; }
dt { font-weight: 600; float: left; width: 90px; } dd { margin-left: 100px; white-space: pre-wrap; }
code { font-size: 13px; }
"""


def render(report: Report, stream: TextIO, options: RenderOptions = RenderOptions()) -> None:
    report = safe_report(report, plain)
    title = f"Deployment verification: {report.target.project or report.document_path}"
    verdict = "conformant" if report.conformant else "not-conformant"
    parts = [
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html_text(title)}</title>\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<h1>{html_text(title)}</h1>\n",
        f'<p class="verdict {verdict}">{html_text(summary_line(report))}</p>\n',
        f"<p>Document <code>{html_text(report.document_path)}</code> · started {html_text(report.started_at)}"
        f" · verifier {html_text(report.tool_version)}</p>\n",
    ]
    if report.services:
        parts += ["<h2>Architecture</h2>\n", architecture_svg(report), _service_table(report)]
    for layer, meaning in LAYER_MEANING.items():
        findings = [f for f in report.findings if f.layer == layer and (f.status in DRIFT or not options.quiet)]
        if findings:
            parts.append(f"<h2>{html_text(layer.capitalize())} layer</h2>\n<p>{html_text(meaning)}</p>\n")
            parts += [_service_findings(report, service, rows) for service, rows in _by_service(findings).items()]
    if report.comparison is not None and report.comparison.resolved:
        parts.append(f"<h2>Resolved since {html_text(report.comparison.baseline_started_at)}</h2>\n<ul>\n")
        parts += [f"<li><code>{html_text(f.id)}</code> (was {html_text(f.status.value)}: "
                  f"{html_text(f.observed)})</li>\n" for f in report.comparison.resolved]
        parts.append("</ul>\n")
    parts.append("</body>\n</html>\n")
    stream.write("".join(parts))


def architecture_svg(report: Report) -> str:
    """The services in columns by dependency depth (what depends on nothing on the right), an arrow from
    each service to each of its dependencies, published ports under the name, filled by status."""
    positions = _layout(report.services)
    width = max(x for x, _ in positions.values()) + _NODE_WIDTH + 2 * _MARGIN
    height = max(y for _, y in positions.values()) + _NODE_HEIGHT + 2 * _MARGIN
    shapes = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
              f'viewBox="0 0 {width} {height}" role="img" aria-label="services and their dependencies">',
              '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
              'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a"/></marker></defs>']
    for service in report.services:
        for dependency in service.depends_on:
            if dependency in positions:
                shapes.append(_arrow(positions[service.name], positions[dependency]))
    for service in report.services:
        shapes.append(_node(service, positions[service.name], report.worst_status(service.name)))
    shapes.append("</svg>\n")
    return "\n".join(shapes)


def _layout(services: tuple[ServiceNode, ...]) -> dict[str, tuple[int, int]]:
    by_name = {s.name: s for s in services}
    depths: dict[str, int] = {}

    def depth(name: str, seen: frozenset[str]) -> int:
        if name not in depths:
            below = [depth(d, seen | {name}) for d in by_name[name].depends_on if d in by_name and d not in seen]
            depths[name] = 1 + max(below, default=-1)
        return depths[name]

    for service in services:
        depth(service.name, frozenset())
    deepest = max(depths.values(), default=0)
    rows: dict[int, int] = {}
    positions = {}
    for service in services:
        column = deepest - depths[service.name]
        row = rows.get(column, 0)
        rows[column] = row + 1
        positions[service.name] = (_MARGIN + column * _COLUMN, _MARGIN + row * _ROW)
    return positions


def _node(service: ServiceNode, position: tuple[int, int], status: Status | None) -> str:
    x, y = position
    fill, stroke = _COLOR[status]
    ports = ", ".join(service.published) or "no published port"
    label = status.value if status is not None else "not checked"
    return (f'<g><title>{html_text(service.name)}: {html_text(label)}</title>'
            f'<rect x="{x}" y="{y}" width="{_NODE_WIDTH}" height="{_NODE_HEIGHT}" rx="8" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="2"/>'
            f'<text x="{x + _NODE_WIDTH // 2}" y="{y + 23}" text-anchor="middle" font-weight="600" '
            f'font-family="sans-serif" font-size="14">{html_text(service.name)}</text>'
            f'<text x="{x + _NODE_WIDTH // 2}" y="{y + 42}" text-anchor="middle" font-family="sans-serif" '
            f'font-size="11" fill="#57606a">{html_text(ports)}</text></g>')


def _arrow(start: tuple[int, int], end: tuple[int, int]) -> str:
    (x1, y1), (x2, y2) = start, end
    if x2 > x1:
        x1, x2 = x1 + _NODE_WIDTH, x2
    elif x2 < x1:
        x2 += _NODE_WIDTH
    else:  # the same column (a cycle): along the side
        x1, x2 = x1 + _NODE_WIDTH, x2 + _NODE_WIDTH
    y1, y2 = y1 + _NODE_HEIGHT // 2, y2 + _NODE_HEIGHT // 2
    # An arrow that skips a column bends below the row, so that it does not cross the boxes between.
    skips = abs(x2 - x1) > _COLUMN
    bend = f"Q {(x1 + x2) // 2} {max(y1, y2) + _ROW // 2 + _NODE_HEIGHT // 2} " if skips else "L "
    return (f'<path d="M {x1} {y1} {bend}{x2} {y2}" fill="none" stroke="#57606a" stroke-width="1.5" '
            'marker-end="url(#arrow)"/>')


def _service_table(report: Report) -> str:
    rows = ["<table>\n<tr><th>service</th><th>status</th>"
            + "".join(f"<th>{s.value}</th>" for s in SEVERITY) + "</tr>\n"]
    for service in report.services:
        status = report.worst_status(service.name)
        counts = [sum(1 for f in report.findings if f.service == service.name and f.status is s) for s in SEVERITY]
        label = status.value if status is not None else "not checked"
        rows.append(f'<tr><td>{html_text(service.name)}</td><td class="status {label}">{html_text(label)}</td>'
                    + "".join(f"<td>{count or ''}</td>" for count in counts) + "</tr>\n")
    rows.append("</table>\n")
    return "".join(rows)


def _service_findings(report: Report, service: str, findings: list[Finding]) -> str:
    items = [f"<h3>{html_text(service or '(document)')}</h3>\n"]
    for finding in findings:
        change = report.change_of(finding)
        flag = f" ({html_text(change.value)})" if change is not None else ""
        opened = " open" if finding.status in (Status.FAIL, Status.ERROR) else ""
        line = f"line {finding.source.line}" if finding.source else ""
        items.append(
            f'<details{opened}><summary><span class="status {finding.status.value}">{finding.status.value}</span>'
            f"{flag} <code>{html_text(finding.id)}</code> {html_text(line)}</summary><dl>"
            f"<dt>expected</dt><dd>{html_text(finding.expected)}</dd>"
            f"<dt>observed</dt><dd>{html_text(finding.observed)}</dd>"
            f"<dt>message</dt><dd>{html_text(finding.message)}</dd>"
            f"<dt>layer</dt><dd>{html_text(finding.layer)}</dd>"
            f"<dt>took</dt><dd>{finding.duration_ms:.0f} ms</dd></dl></details>\n")
    return "".join(items)


def _by_service(findings: list[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.service, []).append(finding)
    return grouped
