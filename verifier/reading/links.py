"""Who talks to whom: the Dependency List arrows and the Network Architecture's patterns."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from verifier.markdown import Fence, Section, TextLine, labelled, plain
from verifier.model import Link
from verifier.reading.resolve import Resolver

_ARROW_SIGN = re.compile(r"→|->|=>|⟶")
# `host:port`, the host starting where a run of host characters starts: a search never tries the
# same run again from each of its characters (a URL's scheme is not a host: `http:` has no port).
_HOST_PORT = re.compile(r"(?<![A-Za-z0-9_.-])(?P<host>[A-Za-z0-9_.-]++):(?P<port>\d{1,5})\b")


@dataclass(frozen=True)
class Arrow:
    """A Dependency List entry as written, resolved where its ends are services."""

    source_label: str
    target_label: str
    source: str | None
    target: str | None
    line: int


def split_arrow(text: str) -> tuple[str, str] | None:
    """`engine/ → postgres (database connection)` -> ("engine/", "postgres"): what is before the
    first arrow (after the first character) and after it, without a trailing `(remark)`; None
    when there is no arrow or nothing after it. String methods only, so linear in the line."""
    sign = _ARROW_SIGN.search(text, 1)
    if sign is None or sign.end() == len(text):
        return None
    source = text[:sign.start()].rstrip() or text[:1]
    return source, _arrow_target(text[sign.end():])


def _arrow_target(after: str) -> str:
    body = after.lstrip()
    if not body:
        return after[-1:]
    trimmed = body.rstrip()
    if trimmed.endswith(")"):
        opening = trimmed.find("(", 1, len(trimmed) - 1)  # the remark: from the first `(` to the last `)`
        if opening >= 0:
            return trimmed[:opening].rstrip()
    return trimmed


def read_dependency_arrows(root: Section, resolver: Resolver) -> list[Arrow]:
    arrows = []
    for section in root.find(r"service\s+dependencies|dependency\s+list"):
        for block in section.all_blocks():
            if not isinstance(block, TextLine) or block.depth == 0:
                continue
            ends = split_arrow(plain(block.text))
            if ends is None:
                continue
            source, target = ends[0].strip(), ends[1].strip()
            arrows.append(Arrow(source, target, resolver.resolve(source), resolver.resolve(target), block.line))
    return arrows


def read_communication(root: Section, resolver: Resolver) -> list[Link]:
    """`**Backend → Database:**` followed by `- TCP connection → postgres:5432`."""
    links = []
    for section in root.find(r"communication\s+patterns|network\s+architecture"):
        if section.children:
            continue  # the subsections are read on their own
        pair: tuple[str, str, int] | None = None  # the services a `**A → B:**` line names, and that line
        for block in section.blocks:
            if not isinstance(block, TextLine):
                continue
            label = labelled(block.text)
            if block.depth == 0 and label is not None:
                ends = split_arrow(label[0])
                pair = None
                if ends:
                    source, target = resolver.resolve(ends[0]), resolver.resolve(ends[1])
                    pair = (source, target, block.line) if source and target else None
                continue
            if pair is None or block.depth == 0:
                continue
            address = _HOST_PORT.search(plain(block.text).split("→")[-1])
            port = int(address.group("port")) if address else None
            if address and resolver.resolve(address.group("host")) not in (pair[1], None):
                continue  # the address names another service than the heading does
            links.append(Link(pair[0], pair[1], port, pair[2]))
    return links


@dataclass(frozen=True)
class DiagramPort:
    """`:5000` drawn in or beside a service's box in the Service Dependencies diagram."""

    service: str
    port: int
    line: int


_DIAGRAM_PORT = re.compile(r"(?<![\w/:])[:](\d{2,5})\b")


def read_diagram_ports(root: Section, resolver: Resolver) -> list[DiagramPort]:
    """Ports drawn in ASCII boxes: each `:port` belongs to the nearest label above it in its column."""
    found = []
    for section in root.find(r"service\s+dependencies"):
        for block in section.blocks:
            if isinstance(block, Fence) and not block.info:
                found.extend(_diagram_ports(block, resolver))
    return found


_BOX = re.compile(r"[│|┃┌┐└┘├┤┬┴┼─━═╔╗╚╝<>↓↑→←▼▲]+")
_CELL = re.compile(r"[^│|┃┌┐└┘├┤┬┴┼─━═╔╗╚╝<>↓↑→←▼▲]+")
_ANY_PORT = re.compile(r":\d+")


def _diagram_ports(fence: Fence, resolver: Resolver) -> list[DiagramPort]:
    diagram = _Diagram(fence.text.splitlines(), resolver)
    found = []
    for index, text in enumerate(diagram.lines):
        for match in _DIAGRAM_PORT.finditer(text):
            service = diagram.label_left_of(index, match.start()) or diagram.label_above(index, match.start())
            if service:
                found.append(DiagramPort(service, int(match.group(1)), fence.first_line + index))
    return found


class _Diagram:
    """An ASCII diagram's lines, each cut into ports and boxes once: finding the label of every port
    stays linear in the diagram however many ports a line holds."""

    def __init__(self, lines: list[str], resolver: Resolver) -> None:
        self.lines = lines
        self._resolver = resolver
        self._port_ends: dict[int, list[int]] = {}
        self._cells: dict[int, tuple[list[int], list[re.Match[str]]]] = {}
        self._cell_services: dict[tuple[int, int], str | None] = {}

    def label_left_of(self, index: int, column: int) -> str | None:
        """`orders :8081` or `│ AI Layer │ :8000`: the words just before the port, or the box just left of it."""
        if index not in self._port_ends:
            self._port_ends[index] = [m.end() for m in _ANY_PORT.finditer(self.lines[index])]
        ends = self._port_ends[index]
        previous = bisect.bisect_right(ends, column) - 1  # the last `:digits` before this port
        before = self.lines[index][ends[previous] if previous >= 0 else 0:column]
        cells = [c.strip() for c in _BOX.split(before)]
        for cell in reversed(cells):
            if cell:
                return self._resolver.resolve(cell.split("  ")[-1].strip())
        return None

    def label_above(self, index: int, column: int) -> str | None:
        """`│ :5000 │` inside a box: the label a line or two above, in the same box."""
        for above in range(index - 1, max(-1, index - 4), -1):
            service = self._cell_service(above, column)
            if service:
                return service
        return None

    def _cell_service(self, index: int, column: int) -> str | None:
        if index not in self._cells:
            cells = list(_CELL.finditer(self.lines[index]))
            self._cells[index] = ([c.start() for c in cells], cells)
        starts, cells = self._cells[index]
        at = bisect.bisect_right(starts, column) - 1  # the one box whose text spans the column, if any
        if at < 0 or column > cells[at].end() or not cells[at].group(0).strip():
            return None
        if (index, at) not in self._cell_services:
            label = _ANY_PORT.sub("", cells[at].group(0)).strip()
            self._cell_services[(index, at)] = self._resolver.resolve(label)
        return self._cell_services[(index, at)]


def links_from_arrows(arrows: list[Arrow]) -> list[Link]:
    return [Link(a.source, a.target, None, a.line) for a in arrows if a.source and a.target]
