"""The Environment Variables section: `NAME=value` lines in bash blocks, grouped by component."""
from __future__ import annotations

import re
from dataclasses import dataclass

from verifier.markdown import Fence, Section
from verifier.reading.resolve import Resolver

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")
_GROUP = re.compile(r"^\s*#\s*(?P<label>[^=]+?)\s*$")


@dataclass(frozen=True)
class DocumentedVariable:
    name: str
    value: str
    service: str | None  # the component its comment or heading names, when that is a service
    line: int


def read_env_section(root: Section, resolver: Resolver) -> list[DocumentedVariable]:
    found = []
    for section in root.find(r"^environment\s+variables"):
        if section.level != 2:
            continue
        for part in [section, *section.children]:
            heading_service = resolver.resolve(re.sub(r"(?i)\s*variables?.*$", "", part.title))
            for block in part.blocks:
                if isinstance(block, Fence):
                    found.extend(_variables(block, heading_service, resolver))
    return found


def _variables(fence: Fence, service: str | None, resolver: Resolver) -> list[DocumentedVariable]:
    found = []
    current = service
    for offset, raw in enumerate(fence.text.splitlines()):
        group = _GROUP.match(raw)
        if group:
            named = resolver.resolve(group.group("label"))
            if named or not _ASSIGNMENT.match(group.group("label")):
                current = named if named else service
            continue
        assignment = _ASSIGNMENT.match(raw)
        if assignment:
            value = re.sub(r"\s+#.*$", "", assignment.group("value")).strip()
            found.append(DocumentedVariable(assignment.group("name"), value, current, fence.first_line + offset))
    return found
