"""Deployment Targets: the access URLs each environment documents."""
from __future__ import annotations

import re

from verifier.markdown import Section, TextLine, labelled, plain
from verifier.model import AccessPoint
from verifier.reading.resolve import Resolver
from verifier.reading.text import normalize_key

_ENVIRONMENTS = (("dev", "development"), ("local", "development"), ("stag", "staging"), ("prod", "production"),
                 ("qa", "staging"), ("test", "staging"))
_PORT = re.compile(r"(?:^|[/@])[\w.-]*:(\d{1,5})\b")


def explicit_port(url: str) -> int | None:
    match = _PORT.search(url)
    return int(match.group(1)) if match else None


def url_port(url: str) -> int | None:
    """The port a URL reaches: written, or its scheme's default."""
    written = explicit_port(url)
    if written is not None:
        return written
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    return {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(scheme)


def environment_of(title: str) -> str | None:
    key = normalize_key(title)
    return next((name for prefix, name in _ENVIRONMENTS if key.startswith(prefix)), None)


def read_access(root: Section, resolver: Resolver) -> list[AccessPoint]:
    points = []
    for section in root.find(r"deployment\s+targets?|environments?$"):
        for part in section.children:
            environment = environment_of(part.title)
            if environment is not None:
                points.extend(_access_points(part, environment, resolver))
    return points


def _access_points(part: Section, environment: str, resolver: Resolver) -> list[AccessPoint]:
    points = []
    in_access = False
    for block in part.all_blocks():
        if not isinstance(block, TextLine):
            continue
        label = labelled(block.text)
        if block.depth == 0:
            in_access = label is not None and normalize_key(label[0]).startswith(("access", "urls", "endpoints"))
            continue
        if not in_access:
            continue
        text = plain(block.text)
        name, _, url = text.partition(":") if not text.lower().startswith("http") else ("", "", text)
        url = url.strip().split()[0] if url.strip() else ""
        if not url:
            continue
        points.append(AccessPoint(environment, resolver.resolve(name) if name else None, url, url_port(url),
                                  block.line))
    return points
