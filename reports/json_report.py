"""The JSON report: the stable contract `verifier.report/v1` that CI jobs and later runs read."""
from __future__ import annotations

import json
from typing import Any, TextIO

from verifier.findings import Report

SCHEMA = "verifier.report/v1"


def render(report: Report, stream: TextIO) -> None:
    json.dump(as_dict(report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


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
        "findings": [f.as_dict() for f in report.findings],
    }
