"""Reads the YAML-like blocks people write in architecture documents.

They look like YAML but often are not (`Persistent Storage: Required` followed by an
indented list, remarks in parentheses, unquoted colons), so a YAML parser would reject
or misread them. This reader keeps only the shape every such block has: top-level
`Key: value` entries, each with indented items `- Key: value`, `- value` or `Key: value`.

Linear in the block: a key is found with str.partition, never by a regex that could try
every split of a long line, and an entry's items are collected in a list, never by copying.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_KEY = re.compile(r"[A-Za-z][\w .()/-]*")


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


@dataclass
class _OpenEntry:
    """An entry whose items are still being read."""

    key: str
    value: str
    line: int
    items: list[Item]

    def closed(self) -> Entry:
        return Entry(self.key, self.value, self.line, tuple(self.items))


def parse_block(text: str, first_line: int) -> tuple[Entry, ...]:
    """Entries of a block whose first line is line `first_line` of the document."""
    entries: list[_OpenEntry] = []
    for offset, raw in enumerate(text.splitlines()):
        line = first_line + offset
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indented = raw[0] in " \t"
        if not indented or not entries:
            key, value = split_key(stripped)
            if key is not None:
                entries.append(_OpenEntry(key, value, line, []))
            continue
        key, value = split_key(stripped.removeprefix("-").strip())
        entries[-1].items.append(Item(key, value, line))
    return tuple(entry.closed() for entry in entries)


def split_key(text: str) -> tuple[str | None, str]:
    """`Port: 5000` -> ("Port", "5000"); text that is not `Key: value` -> (None, text).

    The key is what comes before the first colon: letters, digits, spaces, `_ . ( ) / -`,
    starting with a letter; the colon is followed by whitespace or ends the line."""
    before, colon, after = text.partition(":")
    key = before.rstrip()
    if not colon or _KEY.fullmatch(key) is None or (after and not after[0].isspace()):
        return None, text
    return key.strip(), after.strip()
