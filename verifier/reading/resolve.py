"""Resolving the labels people use (`API`, `Backend`, `engine/`, `DB`) to service names."""
from __future__ import annotations

import re
from collections.abc import Iterable

from verifier.model import ServiceSpec

_ROLE_WORDS = {
    "database": ("database", "db", "postgres", "postgresql"),
    "backend": ("backend", "api", "backend api", "engine"),
    "api": ("api", "backend", "backend api"),
    "frontend": ("frontend", "web", "ui", "web app", "webapp"),
    "ai": ("ai", "ai layer", "neuron", "ai service"),
    "cache": ("cache", "redis"),
}
_NOISE = {"service", "services", "the", "layer", "and", "of", "server", "container", "app"}
_GENERIC = _NOISE | {"api", "admin", "ui", "a", "our", "main", "primary"}
# Searched from where a run of spaces starts only, never again from inside it: linear in the label.
_MEASURE_SUFFIX = re.compile(r"(?<!\s)\s++(?:(?:response|load|query|request)\s++time.*$|latency.*$)",
                             re.IGNORECASE)


_MARKUP = re.compile(r"[`*_]")
_NOT_IN_A_KEY = re.compile(r"[^a-z0-9/ .-]")
_URL_HOST = re.compile(r"^[a-z][a-z0-9+.-]*://([a-z0-9_.-]+)")


def label_key(label: str) -> str:
    label = _MARKUP.sub("", label).strip().lower()
    label = _without_parentheses(label)
    return _NOT_IN_A_KEY.sub(" ", label).strip().rstrip("/").strip()


def _without_parentheses(text: str) -> str:
    """`orders (the api) db` -> `orders db`: each `(...)` up to its first `)`, with the spaces around
    it, becomes one space; a `(` with no `)` after it on its line stays. One pass over the text
    (a regex would look for the `)` again from every unclosed `(`)."""
    pieces: list[str] = []
    kept_from = search_from = 0
    while (opening := text.find("(", search_from)) >= 0:
        closing = text.find(")", opening + 1)
        if closing < 0:
            break  # no `(` after this one has a `)` either
        newline = text.find("\n", opening + 1, closing)
        if newline >= 0:  # a remark does not span lines; nor does any `(` before this newline
            search_from = newline + 1
            continue
        pieces += [text[kept_from:opening].rstrip(), " "]
        after = closing + 1
        while after < len(text) and text[after].isspace():
            after += 1
        kept_from = search_from = after
    pieces.append(text[kept_from:])
    return "".join(pieces)


class Resolver:
    """Maps every name a service goes by to the service; a name two services share maps to neither."""

    def __init__(self, services: Iterable[ServiceSpec]) -> None:
        services = list(services)
        names = {s.name.lower(): s.name for s in services}  # a service's own name always wins
        candidates: dict[str, set[str]] = {}
        for service in services:
            for alias in _aliases(service):
                candidates.setdefault(alias, set()).add(service.name)
        self._exact = {alias: next(iter(found)) for alias, found in candidates.items()
                       if len(found) == 1 and alias not in names}
        self._exact.update(names)
        self._names = set(names.values())
        self._resolved: dict[str, str | None] = {}  # documents name the same few things again and again

    def resolve(self, label: str) -> str | None:
        if label not in self._resolved:
            self._resolved[label] = self._resolve(label)
        return self._resolved[label]

    def _resolve(self, label: str) -> str | None:
        key = label_key(label)
        if not key:
            return None
        if key in self._exact:
            return self._exact[key]
        shorter = label_key(_MEASURE_SUFFIX.sub("", key))
        if shorter in self._exact:
            return self._exact[shorter]
        host = _URL_HOST.match(key)
        if host and host.group(1) in self._exact:
            return self._exact[host.group(1)]
        specific = " ".join(w for w in shorter.split() if w not in _GENERIC)
        if specific in self._exact:  # "Orders API" -> orders, "the metadata database" -> its service
            return self._exact[specific]
        by_word = {self._exact[w] for w in specific.split() if w in self._exact}
        return by_word.pop() if len(by_word) == 1 else None

    def is_service(self, name: str) -> bool:
        return name in self._names


def _aliases(service: ServiceSpec) -> set[str]:
    aliases = {service.name.lower(), label_key(service.name)}
    if service.source_dir:
        aliases |= {label_key(service.source_dir), service.source_dir.lower().rstrip("/")}
    heading = label_key(service.heading)
    if heading:
        aliases.add(heading)
        words = [w for w in heading.split() if w not in _NOISE and "/" not in w]
        if words:
            aliases.add(" ".join(words))
        for word in words:
            aliases.update(_ROLE_WORDS.get(word, ()))
            aliases.add(word)
    image = service.image.value.lower() if service.image else ""
    if "postgres" in image or (service.health and service.health.kind == "postgres"):
        aliases.update(_ROLE_WORDS["database"])
    return {a for a in aliases if a}
