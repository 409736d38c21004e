"""The document's structure: sections by heading, each holding its text lines, fenced blocks
and tables with their line numbers. Built from markdown-it's tokens, so that a `#` inside a
code block is never taken for a heading and a table is never read as prose.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token


@dataclass(frozen=True)
class TextLine:
    """One source line of a paragraph or list item, its inline Markdown kept."""

    text: str
    line: int
    depth: int  # 0 for a paragraph, 1 for a top-level list item, 2 nested, ...


@dataclass(frozen=True)
class Fence:
    text: str
    info: str
    first_line: int  # the first line inside the fence
    fence_line: int  # the opening ``` line


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[tuple[str, ...], int], ...]  # cells and line of each body row
    line: int


Block = TextLine | Fence | Table


@dataclass
class Section:
    title: str
    level: int  # 0 for the part before the first heading
    line: int
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def walk(self) -> Iterator[Section]:
        yield self
        for child in self.children:
            yield from child.walk()

    def all_blocks(self) -> Iterator[Block]:
        """Blocks of this section and its subsections, in document order."""
        for section in self.walk():
            yield from section.blocks

    def find(self, title_pattern: str) -> list[Section]:
        """Sections below this one whose title matches (case-insensitive regex)."""
        compiled = re.compile(title_pattern, re.IGNORECASE)
        return [s for s in self.walk() if s is not self and compiled.search(s.title)]


# Only block structure is needed: inline tokens keep their source text, and skipping the
# inline pass halves the parse time. maxNesting bounds how deep hostile nesting can go.
_PARSER = (MarkdownIt("zero", {"maxNesting": 40})
           .enable(["heading", "lheading", "list", "fence", "table", "code", "blockquote", "hr", "html_block"])
           .disable("inline"))


def parse_structure(text: str) -> Section:
    root = Section("", 0, 1)
    stack = [root]
    tokens = _PARSER.parse(text)
    depth = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open" and token.map:
            level = int(token.tag[1:])
            section = Section(_inline(tokens[index + 1]).strip(), level, token.map[0] + 1)
            while stack[-1].level >= level:
                stack.pop()
            stack[-1].children.append(section)
            stack.append(section)
            index += 3
            continue
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "fence" and token.map:
            stack[-1].blocks.append(Fence(token.content, token.info.strip(), token.map[0] + 2, token.map[0] + 1))
        elif token.type == "table_open":
            table, index = _table(tokens, index)
            stack[-1].blocks.append(table)
            continue
        elif token.type == "inline" and token.map:
            for offset, line_text in enumerate(token.content.split("\n")):
                stack[-1].blocks.append(TextLine(line_text, token.map[0] + 1 + offset, depth))
        index += 1
    return root


def _inline(token: Token) -> str:
    return token.content if token.type == "inline" else ""


def _table(tokens: list[Token], index: int) -> tuple[Table, int]:
    start = tokens[index].map[0] + 1 if tokens[index].map else 1
    header: tuple[str, ...] = ()
    rows: list[tuple[tuple[str, ...], int]] = []
    cells: list[str] = []
    row_line = start
    in_head = False
    while index < len(tokens) and tokens[index].type != "table_close":
        token = tokens[index]
        if token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            cells = []
            row_line = token.map[0] + 1 if token.map else row_line
        elif token.type == "inline":
            cells.append(token.content.strip())
        elif token.type == "tr_close":
            if in_head:
                header = tuple(cells)
            else:
                rows.append((tuple(cells), row_line))
        index += 1
    return Table(header, tuple(rows), start), index + 1


_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def plain(text: str) -> str:
    """Inline Markdown as a reader sees it: no emphasis markers, no backticks."""
    text = _EMPHASIS.sub(r"\2", text)
    return text.replace("`", "").strip()


_LABELLED = re.compile(r"^\s*(?:\*\*|__)(?P<label>[^*_]+?)(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:)\s*(?P<value>.*)$")


def labelled(text: str) -> tuple[str, str] | None:
    """`**Port:** 5000` or `**Port**: 5000` -> ("Port", "5000")."""
    match = _LABELLED.match(text)
    if match is None:
        return None
    return match.group("label").strip(), match.group("value").strip()
