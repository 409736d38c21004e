"""Who talks to whom: the Dependency List arrows and the Network Architecture's patterns."""
from __future__ import annotations

import re
from dataclasses import dataclass

from verifier.markdown import Section, TextLine, labelled, plain
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


def links_from_arrows(arrows: list[Arrow]) -> list[Link]:
    return [Link(a.source, a.target, None, a.line) for a in arrows if a.source and a.target]
