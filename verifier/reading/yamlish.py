"""Reads the YAML-like blocks people write in architecture documents.

They look like YAML but often are not (`Persistent Storage: Required` followed by an
indented list, remarks in parentheses, unquoted colons), so a YAML parser would reject
or misread them. This reader keeps only the shape every such block has: top-level
`Key: value` entries, each with indented items `- Key: value`, `- value` or `Key: value`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_KEY_VALUE = re.compile(r"^(?P<key>[A-Za-z][\w .()/-]*?)\s*:(?:\s+(?P<value>.*))?$")


@dataclass(frozen=True)
class Item:
    key: str | None
    value: str
    line: int


@dataclass(frozen=True)
class Entry:
    key: str
    value: str
    line: int
    items: tuple[Item, ...]


def parse_block(text: str, first_line: int) -> tuple[Entry, ...]:
    """Entries of a block whose first line is line `first_line` of the document."""
    entries: list[Entry] = []
    for offset, raw in enumerate(text.splitlines()):
        line = first_line + offset
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indented = raw[0] in " \t"
        if not indented or not entries:
            key, value = _split(stripped)
            if key is None:
                continue
            entries.append(Entry(key, value, line, ()))
            continue
        key, value = _split(stripped.removeprefix("-").strip())
        last = entries[-1]
        entries[-1] = Entry(last.key, last.value, last.line, last.items + (Item(key, value, line),))
    return tuple(entries)


def _split(text: str) -> tuple[str | None, str]:
    match = _KEY_VALUE.match(text)
    if match is None:
        return None, text
    return match.group("key").strip(), (match.group("value") or "").strip()
