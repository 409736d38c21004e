"""Who talks to whom: the Dependency List arrows and the Network Architecture's patterns."""
from __future__ import annotations

import re
from dataclasses import dataclass

from verifier.markdown import Fence, Section, TextLine, labelled, plain
from verifier.model import Link
from verifier.reading.resolve import Resolver

_ARROW = re.compile(r"^(?P<source>.+?)\s*(?:→|->|=>|⟶)\s*(?P<target>.+?)\s*(?:\((?P<remark>.*)\))?\s*$")
_HOST_PORT = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?(?P<host>[A-Za-z0-9_.-]+):(?P<port>\d{1,5})\b")


@dataclass(frozen=True)
class Arrow:
    """A Dependency List entry as written, resolved where its ends are services."""

    source_label: str
    target_label: str
    source: str | None
    target: str | None
    line: int


def read_dependency_arrows(root: Section, resolver: Resolver) -> list[Arrow]:
    arrows = []
    for section in root.find(r"service\s+dependencies|dependency\s+list"):
        for block in section.all_blocks():
            if not isinstance(block, TextLine) or block.depth == 0:
                continue
            match = _ARROW.match(plain(block.text))
            if match is None:
                continue
            source, target = match.group("source").strip(), match.group("target").strip()
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
                match = _ARROW.match(label[0])
                pair = None
                if match:
                    source, target = resolver.resolve(match.group("source")), resolver.resolve(match.group("target"))
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


def _diagram_ports(fence: Fence, resolver: Resolver) -> list[DiagramPort]:
    lines = fence.text.splitlines()
    found = []
    for index, text in enumerate(lines):
        for match in _DIAGRAM_PORT.finditer(text):
            service = _label_left_of(text, match.start(), resolver) or _label_above(lines, index, match.start(), resolver)
            if service:
                found.append(DiagramPort(service, int(match.group(1)), fence.first_line + index))
    return found


def _label_left_of(text: str, column: int, resolver: Resolver) -> str | None:
    """`orders :8081` or `│ AI Layer │ :8000`: the words just before the port, or the box just left of it."""
    before = re.split(r":\d+", text[:column])[-1]
    cells = [c.strip() for c in _BOX.split(before)]
    for cell in reversed(cells):
        if cell:
            return resolver.resolve(cell.split("  ")[-1].strip())
    return None


def _label_above(lines: list[str], index: int, column: int, resolver: Resolver) -> str | None:
    """`│ :5000 │` inside a box: the label a line or two above, in the same box."""
    for above in range(index - 1, max(-1, index - 4), -1):
        for cell in re.finditer(r"[^│|┃┌┐└┘├┤┬┴┼─━═╔╗╚╝<>↓↑→←▼▲]+", lines[above]):
            if cell.start() <= column <= cell.end() and cell.group(0).strip():
                service = resolver.resolve(re.sub(r":\d+", "", cell.group(0)).strip())
                if service:
                    return service
    return None


def links_from_arrows(arrows: list[Arrow]) -> list[Link]:
    return [Link(a.source, a.target, None, a.line) for a in arrows if a.source and a.target]
