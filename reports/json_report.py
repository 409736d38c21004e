"""The JSON report: the stable contract `verifier.report/v1` that CI jobs and later runs read.

It keeps the data as it was seen, control characters included (as JSON escapes): only lone
surrogates, which no UTF-8 file can hold, become U+FFFD (verifier.sanitize)."""
from __future__ import annotations

from typing import Any, TextIO

from reports._options import RenderOptions
from verifier.findings import Comparison, Finding, Report
from verifier.sanitize import json_text, no_surrogates, safe_report

SCHEMA = "verifier.report/v1"


def render(report: Report, stream: TextIO, options: RenderOptions = RenderOptions()) -> None:
    # One write: json.dump would write each of a large report's hundred thousand pieces on its own.
    stream.write(json_text(as_dict(safe_report(report, no_surrogates))) + "\n")


def as_dict(report: Report) -> dict[str, Any]:
    counts = report.counts
    return {
        "schema": SCHEMA,
        "tool": {"name": "verifier", "version": report.tool_version},
        "document": {"path": report.document_path, "sha256": report.document_sha256},
        "target": {"kind": report.target.kind, "project": report.target.project, "engine": report.target.engine,
                   "compose_files": list(report.target.compose_files), "environment": report.target.environment},
        "started_at": report.started_at,
        "duration_ms": report.duration_ms,
        "summary": {**{status.value: count for status, count in counts.items()}, "conformant": report.conformant},
        "findings": [_finding(report, f) for f in report.findings],
        "services": [{"name": s.name, "line": s.line, "published": list(s.published), "depends_on": list(s.depends_on)}
                     for s in report.services],
        "comparison": _comparison(report.comparison),
    }


def _finding(report: Report, finding: Finding) -> dict[str, Any]:
    data = finding.as_dict()
    change = report.change_of(finding)
    if change is not None:
        data["change"] = change.value
    return data


def _comparison(comparison: Comparison | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    return {"baseline": comparison.baseline_path, "baseline_started_at": comparison.baseline_started_at,
            "summary": comparison.summary(), "resolved": [f.as_dict() for f in comparison.resolved]}
