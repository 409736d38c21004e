"""Non-Functional Requirements: latency targets, HTTPS, and which services stay unexposed."""
from __future__ import annotations

import re

from verifier.markdown import Section, TextLine, labelled, plain
from verifier.model import Fact, Isolation, LatencyTarget, Nfr
from verifier.reading.collect import Collector
from verifier.reading.resolve import Resolver
from verifier.reading.text import finite, is_placeholder, normalize_key

_LATENCY = re.compile(
    r"(?:p(?P<percentile>\d{1,3})\s*)?(?:<=?|≤|under|below|within)\s*(?P<amount>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>ms|milliseconds?|s\b|secs?|seconds?)", re.IGNORECASE)
_ENVIRONMENT = re.compile(r"\b(production|prod|staging|development|dev)\b", re.IGNORECASE)
_CANONICAL = {"prod": "production", "dev": "development"}
# `api / web, worker and db`: spaces before a separator are taken from where their run starts only,
# so a long run of spaces is tried once, not once per space (linear in the line).
_SEPARATOR = r"(?:/|,|\band\b|&|\+)"
_LIST_SEPARATOR = re.compile(rf"(?<!\s)\s*+{_SEPARATOR}\s*+|{_SEPARATOR}\s*+")
_LATENCY_LABEL = re.compile(r"(?<!up)(?<!down)time$|latency")


def read_nfr(root: Section, resolver: Resolver, sink: Collector) -> Nfr:
    latency: list[LatencyTarget] = []
    https: Fact[str | None] | None = None
    isolation: list[Isolation] = []
    for section in root.find(r"non[- ]functional|^nfrs?$"):
        for block in section.all_blocks():
            pair = labelled(block.text) if isinstance(block, TextLine) else None
            if pair is None:
                continue
            label, value = pair
            key = normalize_key(label)
            if is_placeholder(value):
                if _LATENCY_LABEL.search(key) or key in ("https", "networkisolation"):
                    sink.placeholder(block.line, None, label, value)
                continue
            if _LATENCY_LABEL.search(key):
                target = _latency(label, value, block.line, resolver)
                if target is not None:
                    latency.append(target)
            elif key in ("https", "tls", "ssl", "ssltls") and re.search(r"required|must|yes", value, re.IGNORECASE):
                https = Fact(_environment(value), block.line)
            elif key in ("networkisolation", "isolation"):
                isolation.extend(_isolation(value, block.line, resolver))
    return Nfr(tuple(latency), https, tuple(isolation))


def _latency(label: str, value: str, line: int, resolver: Resolver) -> LatencyTarget | None:
    match = _LATENCY.search(plain(value))
    if match is None:
        return None
    amount = finite(float(match.group("amount")))
    if amount is None:
        return None
    if match.group("unit").lower().startswith("s"):
        amount *= 1000
    percentile = int(match.group("percentile")) if match.group("percentile") else None
    return LatencyTarget(resolver.resolve(label), percentile, amount, line)


def _environment(text: str) -> str | None:
    match = _ENVIRONMENT.search(text)
    return _CANONICAL.get(match.group(1).lower(), match.group(1).lower()) if match else None


def _isolation(value: str, line: int, resolver: Resolver) -> list[Isolation]:
    text = plain(value)
    subject = re.split(r"\b(?:not|never|must not|is not|are not)\b", text, maxsplit=1)[0]
    environment = _environment(text)
    found = []
    for label in _LIST_SEPARATOR.split(subject):
        service = resolver.resolve(label)
        if service is not None:
            found.append(Isolation(service, environment, line))
    return found
