"""What a verification found, as data: the boundary between running checks and rendering them."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from verifier.errors import ExitCode


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"  # checked, and the document's fact does not hold
    WARN = "warn"
    SKIP = "skip"
    ERROR = "error"  # could not check at all

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Observation:
    """What one probe saw. `transient` means asking again soon might see something else."""

    status: Status
    observed: str
    message: str
    transient: bool = False


@dataclass(frozen=True)
class SourceRef:
    path: str
    line: int


@dataclass(frozen=True)
class Finding:
    id: str
    check: str
    service: str
    status: Status
    expected: str
    observed: str
    message: str
    source: SourceRef | None
    layer: str
    duration_ms: float
    attempts: int
    related_lines: tuple[int, ...] = ()  # other lines of the document the finding rests on

    @property
    def key(self) -> tuple[str, str]:
        """Unique within a report and stable across runs: the same check at the compose and the live
        layer shares its id, not its key."""
        return self.layer, self.id

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id, "check": self.check, "service": self.service, "status": self.status.value,
            "expected": self.expected, "observed": self.observed, "message": self.message,
            "source": None if self.source is None else {"path": self.source.path, "line": self.source.line},
            "layer": self.layer, "duration_ms": self.duration_ms, "attempts": self.attempts,
        }
        if self.related_lines:
            data["related_lines"] = list(self.related_lines)
        return data


@dataclass(frozen=True)
class Target:
    kind: str
    project: str
    engine: str
    compose_files: tuple[str, ...] = ()
    environment: str | None = None  # the deployment the stack stands for, which decides the ports' exposure


DRIFT = (Status.FAIL, Status.ERROR, Status.WARN)  # what a nightly comparison follows from run to run


@dataclass(frozen=True)
class ServiceNode:
    """One documented service as the report's pictures draw it."""

    name: str
    line: int
    published: tuple[str, ...]  # "5000->5000" in the environment checked
    depends_on: tuple[str, ...]


class Change(str, Enum):
    NEW = "new"
    STILL = "still failing"
    RESOLVED = "resolved"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Comparison:
    """This run's drift against a previous report's (`--baseline`)."""

    baseline_path: str
    baseline_started_at: str
    changes: Mapping[tuple[str, str], Change]  # finding key -> NEW or STILL, for this run's drift
    resolved: tuple[Finding, ...]  # the previous report's drifting findings that pass now or are gone

    def count(self, change: Change) -> int:
        if change is Change.RESOLVED:
            return len(self.resolved)
        return sum(1 for c in self.changes.values() if c is change)

    def summary(self) -> str:
        return (f"{self.count(Change.NEW)} new, {self.count(Change.STILL)} still failing, "
                f"{self.count(Change.RESOLVED)} resolved since {self.baseline_started_at}")


@dataclass(frozen=True)
class Report:
    tool_version: str
    document_path: str
    document_sha256: str
    target: Target
    started_at: str
    duration_ms: float
    findings: tuple[Finding, ...]
    services: tuple[ServiceNode, ...] = ()  # the documented architecture, for the graphs of some formats
    comparison: Comparison | None = None
    failing_on: str = "any"  # "new": with a comparison, only new drift makes the run non-conformant

    @property
    def counts(self) -> dict[Status, int]:
        counted = Counter(f.status for f in self.findings)
        return {status: counted.get(status, 0) for status in Status}

    @property
    def conformant(self) -> bool:
        if self.failing_on == "new" and self.comparison is not None:
            return not any(self.comparison.changes.get(f.key) is Change.NEW for f in self.findings
                           if f.status in (Status.FAIL, Status.ERROR))
        counts = self.counts
        return counts[Status.FAIL] == 0 and counts[Status.ERROR] == 0

    def change_of(self, finding: Finding) -> Change | None:
        return self.comparison.changes.get(finding.key) if self.comparison is not None else None

    def worst_status(self, service: str) -> Status | None:
        """The service's most serious status, for coloring it: error, fail, warn, pass, then skip."""
        statuses = {f.status for f in self.findings if f.service == service}
        return next((s for s in SEVERITY if s in statuses), None)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.CONFORMANT if self.conformant else ExitCode.NOT_CONFORMANT


SEVERITY = (Status.ERROR, Status.FAIL, Status.WARN, Status.PASS, Status.SKIP)
