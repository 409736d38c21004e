"""SARIF 2.1.0, for code scanning: each failing or warning finding is a result located on the
document's own line, so a pull request shows the drift on the architecture document itself.

Every check kind is a rule; the finding's stable id is its fingerprint, so a code-scanning
alert stays the same alert from run to run. Like the JSON report it keeps the data, lone surrogates
aside (verifier.sanitize)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from reports._options import RenderOptions
from verifier.findings import Finding, Report, Status
from verifier.sanitize import json_text, no_surrogates, safe_report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Status.FAIL: "error", Status.ERROR: "error", Status.WARN: "warning"}


def render(report: Report, stream: TextIO, options: RenderOptions = RenderOptions()) -> None:
    stream.write(json_text(as_dict(safe_report(report, no_surrogates))) + "\n")


def as_dict(report: Report) -> dict[str, Any]:
    reported = [f for f in report.findings if f.status in _LEVEL]
    rules = sorted({f.check for f in reported})
    return {
        "version": "2.1.0",
        "$schema": SARIF_SCHEMA,
        "runs": [{
            "tool": {"driver": {
                "name": "verifier",
                "version": report.tool_version,
                "rules": [{"id": rule, "name": rule, "shortDescription": {"text": f"documented fact: {rule}"}}
                          for rule in rules],
            }},
            "originalUriBaseIds": {"SRCROOT": {"description": {"text": "the repository the document lives in"}}},
            # A check that could not run at all (status error) is an analysis that did not complete.
            "invocations": [{"executionSuccessful": report.counts[Status.ERROR] == 0,
                             "startTimeUtc": report.started_at}],
            "results": [_result(report, finding, rules.index(finding.check)) for finding in reported],
        }],
    }


def _result(report: Report, finding: Finding, rule_index: int) -> dict[str, Any]:
    line = finding.source.line if finding.source else 1
    message = f"{finding.message} (expected {finding.expected}, observed {finding.observed}; {finding.layer} layer)"
    result: dict[str, Any] = {
        "ruleId": finding.check,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.status],
        "message": {"text": message},
        "locations": [{"physicalLocation": {
            "artifactLocation": _artifact(finding.source.path if finding.source else report.document_path),
            "region": {"startLine": line},
        }}],
        "partialFingerprints": {"verifierFindingId/v1": finding.id},
        "properties": {"service": finding.service, "layer": finding.layer, "status": finding.status.value},
    }
    change = report.change_of(finding)
    if change is not None:
        result["baselineState"] = "new" if change.value == "new" else "unchanged"
    return result


def _artifact(path: str) -> dict[str, str]:
    """Relative to the working folder (a CI job runs in the repository's root), as code scanning wants."""
    document = Path(path)
    if document.is_absolute():
        try:
            document = document.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return {"uri": document.resolve().as_uri()}
    return {"uri": document.as_posix(), "uriBaseId": "SRCROOT"}
