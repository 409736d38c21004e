"""What a verification found, as data: the boundary between running checks and rendering them."""
from __future__ import annotations

from collections import Counter
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


@dataclass(frozen=True)
class Report:
    tool_version: str
    document_path: str
    document_sha256: str
    target: Target
    started_at: str
    duration_ms: float
    findings: tuple[Finding, ...]

    @property
    def counts(self) -> dict[Status, int]:
        counted = Counter(f.status for f in self.findings)
        return {status: counted.get(status, 0) for status in Status}

    @property
    def conformant(self) -> bool:
        counts = self.counts
        return counts[Status.FAIL] == 0 and counts[Status.ERROR] == 0

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.CONFORMANT if self.conformant else ExitCode.NOT_CONFORMANT
