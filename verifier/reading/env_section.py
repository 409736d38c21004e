"""The Environment Variables section: `NAME=value` lines in bash blocks, grouped by component."""
from __future__ import annotations

import re
from dataclasses import dataclass

from verifier.markdown import Fence, Section
from verifier.reading.resolve import Resolver

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")
_COMMENT = re.compile(r"(?<!\s)\s++#.*$")  # never restarted inside a run of spaces: linear
_VARIABLES = re.compile(r"variable", re.IGNORECASE)


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
            heading_service = resolver.resolve(_without_variables(part.title))
            for block in part.blocks:
                if isinstance(block, Fence):
                    found.extend(_variables(block, heading_service, resolver))
    return found


def _variables(fence: Fence, service: str | None, resolver: Resolver) -> list[DocumentedVariable]:
    found = []
    current = service
    for offset, raw in enumerate(fence.text.splitlines()):
        label = _group_label(raw)
        if label is not None:
            named = resolver.resolve(label)
            if named or not _ASSIGNMENT.match(label):
                current = named if named else service
            continue
        assignment = _ASSIGNMENT.match(raw)
        if assignment:
            value = _COMMENT.sub("", assignment.group("value")).strip()
            found.append(DocumentedVariable(assignment.group("name"), value, current, fence.first_line + offset))
    return found


def _without_variables(title: str) -> str:
    """`Backend Variables (engine/)` -> `Backend`: the title before its first "variable"."""
    found = _VARIABLES.search(title)
    return title if found is None else title[:found.start()].rstrip()


def _group_label(raw: str) -> str | None:
    """`# Backend (engine/)` -> `Backend (engine/)`: a comment line naming the variables below it.
    Not one when it holds `=` (a commented-out assignment) or is a bare `#`."""
    text = raw.lstrip()
    if not text.startswith("#") or len(text) == 1 or "=" in text:
        return None
    return text[1:].strip() or text[1:]  # a comment of spaces only is a label of spaces, as before
