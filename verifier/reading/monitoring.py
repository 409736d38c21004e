"""Monitoring & Observability: health checks stated per service, `- **API:** `GET /health` → 200 OK`."""
from __future__ import annotations

import re
from dataclasses import dataclass

from verifier.markdown import Section, TextLine, labelled, plain
from verifier.model import HealthSpec
from verifier.reading.resolve import Resolver

_HTTP = re.compile(r"^(?:(?P<method>GET|HEAD|POST)\s+)?(?P<path>/\S*)\s*(?:(?:→|->|=>|:)\s*(?P<status>\d{3}))?")


@dataclass(frozen=True)
class MonitoredHealth:
    service: str
    health: HealthSpec


def read_monitoring_health(root: Section, resolver: Resolver) -> list[MonitoredHealth]:
    found = []
    for section in root.find(r"health\s*checks?"):
        if not re.search(r"monitor|observab", _ancestry_titles(root, section), re.IGNORECASE):
            continue
        for block in section.all_blocks():
            pair = labelled(block.text) if isinstance(block, TextLine) else None
            if pair is None:
                continue
            service = resolver.resolve(pair[0])
            health = _health(plain(pair[1]), block.line) if service else None
            if service and health:
                found.append(MonitoredHealth(service, health))
    return found


def _health(text: str, line: int) -> HealthSpec | None:
    match = _HTTP.match(text)
    if match:
        return HealthSpec("http", match.group("method") or "GET", match.group("path"), None,
                          int(match.group("status")) if match.group("status") else 200, None, None,
                          None, None, None, None, line, line)
    if re.search(r"pg_isready|select\s+1", text, re.IGNORECASE):
        command = re.split(r"\s+or\s+", text)[0].strip()
        return HealthSpec("postgres", None, None, None, None, None, command, None, None, None, None, line, line)
    return None


def _ancestry_titles(root: Section, target: Section) -> str:
    """The titles from the top down to `target`, so `Health Checks` under Monitoring is told apart."""
    def path(section: Section, trail: list[str]) -> list[str] | None:
        if section is target:
            return trail + [section.title]
        for child in section.children:
            found = path(child, trail + [section.title])
            if found:
                return found
        return None
    return " / ".join(path(root, []) or [])
