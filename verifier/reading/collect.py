"""What section readers hand back besides facts: placeholders and notes, with their lines."""
from __future__ import annotations

from dataclasses import dataclass, field

from verifier.model import ReadingNote


@dataclass(frozen=True)
class Placeholder:
    line: int
    service: str | None
    field: str
    text: str
    needed: bool  # a live check needs this value: leaving it unfilled is a failure, not a warning


@dataclass
class Collector:
    notes: list[ReadingNote] = field(default_factory=list)
    placeholders: list[Placeholder] = field(default_factory=list)

    def note(self, line: int, message: str) -> None:
        self.notes.append(ReadingNote(line, message))

    def placeholder(self, line: int, service: str | None, what: str, text: str, needed: bool = False) -> None:
        self.placeholders.append(Placeholder(line, service, what, text, needed))
