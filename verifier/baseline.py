"""Nightly comparison: this run's drift against a previous run's JSON report (`--baseline`).

Findings are matched by their stable id, so "api/port.published/5000:5000" tonight is the
same check as last night whatever else changed in the document.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from verifier.errors import InputError
from verifier.findings import DRIFT, Change, Comparison, Finding, SourceRef, Status
from verifier.sanitize import no_surrogates
from verifier.textfile import read_text_file

REPORT_SCHEMA = "verifier.report/v1"
MAX_REPORT_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Baseline:
    path: str
    started_at: str
    drift: Mapping[tuple[str, str], Finding]  # finding key -> the finding that drifted then


def load_baseline(path: Path) -> Baseline:
    """Read before the run, so that a wrong path or file is said at once, not after a long check."""
    _, text = read_text_file(path, "a verifier JSON report", MAX_REPORT_BYTES)
    started_at, drift = _drift_of(_parsed(text, path), path)
    return Baseline(str(path), started_at, MappingProxyType(drift))


def _parsed(text: str, path: Path) -> Any:
    """The file's JSON, or one sentence: a previous report is read, never trusted to be one."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from None
    except ValueError:  # what json.loads raises besides: an integer of more than 4300 digits
        raise InputError(f"{path}: not a verifier JSON report (a number too long to read)") from None
    except RecursionError:
        raise InputError(f"{path}: not a verifier JSON report (nested too deeply to read)") from None


def compare(baseline: Baseline, findings: tuple[Finding, ...]) -> Comparison:
    before = {_written(key): finding for key, finding in baseline.drift.items()}
    now = {_written(f.key): f for f in findings}
    changes = {f.key: (Change.STILL if _written(f.key) in before else Change.NEW) for f in findings
               if f.status in DRIFT}
    resolved = tuple(finding for key, finding in before.items() if key not in now or now[key].status not in DRIFT)
    return Comparison(baseline.path, baseline.started_at, MappingProxyType(changes), resolved)


def _written(key: tuple[str, str]) -> tuple[str, str]:
    """A finding's key as the JSON report wrote it (a lone surrogate as U+FFFD), so that a finding
    whose id holds one is the same finding tonight as in last night's file."""
    layer, finding_id = key
    return no_surrogates(layer), no_surrogates(finding_id)


def _drift_of(report: Any, path: Path) -> tuple[str, dict[tuple[str, str], Finding]]:
    """The report's start time and its drifting findings; InputError for anything but our JSON report."""
    if not isinstance(report, dict) or report.get("schema") != REPORT_SCHEMA:
        raise InputError(f"{path}: not a verifier JSON report ({REPORT_SCHEMA}); "
                         "write one with --output json=PATH")
    try:
        drift = {}
        for item in report["findings"]:
            status = Status(item["status"])
            if status in DRIFT:
                finding = _finding(item, status)
                drift[finding.key] = finding
        return str(report["started_at"]), drift
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # OverflowError: a line of 1e400
        raise InputError(f"{path}: a finding of this report is incomplete ({type(exc).__name__}: {exc})") from None


def _finding(item: dict[str, Any], status: Status) -> Finding:
    source = item.get("source")
    return Finding(
        id=str(item["id"]), check=str(item["check"]), service=str(item["service"]), status=status,
        expected=str(item["expected"]), observed=str(item["observed"]), message=str(item["message"]),
        source=SourceRef(str(source["path"]), int(source["line"])) if source else None,
        layer=str(item.get("layer", "live")), duration_ms=0.0, attempts=0,
    )
