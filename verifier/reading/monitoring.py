"""Monitoring & Observability: health checks stated per service, `- **API:** `GET /health` → 200 OK`."""
from __future__ import annotations

import re
from dataclasses import dataclass

from verifier.markdown import Section, TextLine, labelled, plain
from verifier.model import HealthSpec
from verifier.reading.resolve import Resolver

_MONITORING = re.compile(r"monitor|observab", re.IGNORECASE)
_HEALTH_CHECKS = re.compile(r"health\s*checks?", re.IGNORECASE)
_OR = re.compile(r"(?<!\s)\s++or\s++")  # never restarted inside a run of spaces: linear
_HTTP = re.compile(r"^(?:(?P<method>GET|HEAD|POST)\s+)?(?P<path>/\S*)\s*(?:(?:→|->|=>|:)\s*(?P<status>\d{3}))?")


@dataclass(frozen=True)
class MonitoredHealth:
    service: str
    health: HealthSpec


def read_monitoring_health(root: Section, resolver: Resolver) -> list[MonitoredHealth]:
    found = []
    for section in _health_check_sections(root):
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
        command = _OR.split(text)[0].strip()
        return HealthSpec("postgres", None, None, None, None, None, command, None, None, None, None, line, line)
    return None


def _health_check_sections(root: Section) -> list[Section]:
    """`Health Checks` sections with Monitoring or Observability in their own or an enclosing title,
    in document order: one walk of the tree, however many sections it has."""
    found = []
    pending = [(root, False)]
    while pending:
        section, under_monitoring = pending.pop()
        under_monitoring = under_monitoring or bool(_MONITORING.search(section.title))
        if section is not root and under_monitoring and _HEALTH_CHECKS.search(section.title):
            found.append(section)
        pending.extend((child, under_monitoring) for child in reversed(section.children))
    return found
