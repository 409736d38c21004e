"""Architecture Pattern, Code Inspection Summary and Infrastructure Requirements."""
from __future__ import annotations

import re
from dataclasses import dataclass

from verifier.markdown import Section, TextLine, labelled, plain
from verifier.model import DatabaseSpec, Fact, Infrastructure
from verifier.reading.collect import Collector
from verifier.reading.text import is_placeholder, normalize_key, port_number

_FOLDER = re.compile(r"\(`?([\w.-]+/)`?\)")


@dataclass(frozen=True)
class InspectedComponent:
    """One `#### 1. Backend API (engine/)` entry of the Code Inspection Summary."""

    label: str  # the heading, for resolving to a service
    folder: str | None
    fields: dict[str, Fact[str]]  # normalized key ("language", "framework", "port", ...) -> value
    ports: tuple[int, ...]
    line: int


def read_pattern(root: Section, sink: Collector) -> Fact[str] | None:
    for section in root.find(r"architecture\s+pattern"):
        for key, value, line in _labelled_lines(section):
            if normalize_key(key) in ("patterntype", "pattern", "type"):
                if is_placeholder(value):
                    sink.placeholder(line, None, "architecture pattern", value)
                    return None
                return Fact(plain(value), line)
    return None


def read_code_inspection(root: Section, sink: Collector) -> list[InspectedComponent]:
    found = []
    for section in root.find(r"code\s+inspection|services\s+detected"):
        for part in section.children:
            if not part.blocks:
                continue
            fields: dict[str, Fact[str]] = {}
            for key, value, line in _labelled_lines(part):
                if is_placeholder(value):
                    sink.placeholder(line, None, f"{key} of {plain(part.title)}", value)
                elif value:
                    fields.setdefault(normalize_key(key), Fact(plain(value), line))
            if not fields:
                continue
            port_text = fields["port"].value if "port" in fields else ""
            ports = tuple(p for p in (port_number(m) for m in re.findall(r"\d{2,5}", port_text)) if p)
            folder = _FOLDER.search(part.title)
            found.append(InspectedComponent(plain(part.title), folder.group(1) if folder else None, fields, ports,
                                            part.line))
    return found


def read_infrastructure(root: Section, sink: Collector) -> Infrastructure:
    sections = root.find(r"infrastructure\s+requirements")
    if not sections:
        return Infrastructure()
    database: DatabaseSpec | None = None
    cache = queue = None
    fields: dict[str, tuple[str, int]] = {}
    in_database = False
    database_line = 0
    for key, value, line in _labelled_lines(sections[0]):
        normalized = normalize_key(key)
        if normalized == "database" and not value:
            in_database, database_line = True, line
            continue
        if normalized in ("caching", "cache"):
            cache = _optional(value, line, "cache", sink)
            in_database = False
        elif normalized in ("messagequeue", "queue"):
            queue = _optional(value, line, "message queue", sink)
            in_database = False
        elif in_database and normalized in ("type", "version", "port"):
            if is_placeholder(value):
                sink.placeholder(line, None, f"database {normalized}", value)
            else:
                fields[normalized] = (plain(value), line)
    if fields:
        port = port_number(fields["port"][0]) if "port" in fields else None
        database = DatabaseSpec(fields.get("type", (None, 0))[0], fields.get("version", (None, 0))[0], port,
                                database_line or min(line for _, line in fields.values()))
    return Infrastructure(database, cache, queue)


def _optional(value: str, line: int, what: str, sink: Collector) -> Fact[str] | None:
    if is_placeholder(value):
        sink.placeholder(line, None, what, value)
        return None
    text = plain(value)
    return None if normalize_key(text) in ("none", "no", "na", "") else Fact(text, line)


def _labelled_lines(section: Section) -> list[tuple[str, str, int]]:
    found = []
    for block in section.all_blocks():
        if isinstance(block, TextLine):
            pair = labelled(block.text)
            if pair is not None:
                found.append((pair[0], pair[1], block.line))
    return found
