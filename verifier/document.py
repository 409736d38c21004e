"""Reads a deployment architecture document into a DocumentModel.

Markdown structure (headings, fenced blocks and their line numbers) comes from
markdown-it; the content of each service block is read tolerantly by `yamlish`,
then interpreted key by key here. Anything the reader cannot take as a fact is
kept as a ReadingNote with its line, never silently dropped.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from verifier.errors import DocumentError, UsageError
from verifier.model import (
    CommandHealthSpec,
    DependencySpec,
    DocumentModel,
    EnvVarSpec,
    Fact,
    HealthSpec,
    HttpHealthSpec,
    PortSpec,
    ReadingNote,
    ServiceSpec,
)
from verifier.secrets import is_secret
from verifier.yamlish import Entry, Item, normalize_key, parse_block

_SERVICE_SECTION = re.compile(r"service\s+spec", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^\[.*\]$|^<[^>]*>$")
_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class _Block:
    heading: str
    text: str
    first_line: int  # 1-based line of the block's first content line
    fence_line: int


def read_document(path: str | Path) -> DocumentModel:
    path = Path(path)
    raw = _read_bytes(path)
    text = _decode(raw, path)
    notes: list[ReadingNote] = []
    blocks = list(_service_blocks(text, str(path)))
    services = []
    for block in blocks:
        service = _read_service(block, notes)
        if service is not None:
            services.append(service)
    if not services:
        raise DocumentError(
            str(path), None, "no services found: expected a 'Service Specifications' section "
            "with a fenced block per service containing 'Service Name: ...'"
        )
    _refuse_duplicates(services, str(path))
    return DocumentModel(
        path=str(path),
        sha256=hashlib.sha256(raw).hexdigest(),
        services=tuple(services),
        notes=tuple(sorted(notes, key=lambda n: n.line)),
    )


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise UsageError(f"{path}: is a directory, not a document")
        size = path.stat().st_size
        if size > _MAX_DOCUMENT_BYTES:
            raise UsageError(f"{path}: {size} bytes is too large for an architecture document")
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except PermissionError:
        raise UsageError(f"{path}: permission denied") from None


def _decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DocumentError(str(path), line, "not UTF-8 text") from None


def _service_blocks(text: str, path: str) -> Iterator[_Block]:
    """Fenced blocks inside the 'Service Specifications' section, with their headings."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    in_section = False
    heading = ""
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            title = tokens[index + 1].content.strip()
            if token.tag == "h2":
                in_section = bool(_SERVICE_SECTION.search(title))
                heading = ""
            elif in_section:
                heading = title
        elif in_section and token.type == "fence" and token.map is not None:
            yield _Block(heading, token.content, token.map[0] + 2, token.map[0] + 1)


def _refuse_duplicates(services: list[ServiceSpec], path: str) -> None:
    seen: dict[str, int] = {}
    for service in services:
        if service.name in seen:
            raise DocumentError(
                path, service.line,
                f"service '{service.name}' is specified twice (first at line {seen[service.name]})",
            )
        seen[service.name] = service.line


def _read_service(block: _Block, notes: list[ReadingNote]) -> ServiceSpec | None:
    entries = {normalize_key(e.key): e for e in parse_block(block.text, block.first_line)}
    name_entry = entries.get("servicename")
    if name_entry is None or not name_entry.value or _is_placeholder(name_entry.value):
        notes.append(ReadingNote(block.fence_line, "block has no 'Service Name:'; skipped"))
        return None
    name = name_entry.value.split()[0].strip("`'\"")
    ports = _ports(entries.get("ports"), notes)
    return ServiceSpec(
        name=name,
        heading=block.heading,
        line=name_entry.line,
        image=_scalar(entries.get("image"), notes),
        build_context=_build_context(entries.get("build"), notes),
        ports=ports,
        health=_health(_first(entries, "healthcheck", "health"), notes),
        dependencies=_dependencies(_first(entries, "dependencies", "dependson"), notes),
        environment=_environment(_first(entries, "environmentvariables", "environment"), notes),
        restart_policy=_restart_policy(_first(entries, "restartpolicy", "restart"), notes),
    )


def _first(entries: dict[str, Entry], *keys: str) -> Entry | None:
    return next((entries[k] for k in keys if k in entries), None)


def _is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.match(value.strip()))


def _scalar(entry: Entry | None, notes: list[ReadingNote]) -> Fact[str] | None:
    if entry is None or not entry.value:
        return None
    if _is_placeholder(entry.value):
        notes.append(ReadingNote(entry.line, f"{entry.key} is a template placeholder: {entry.value}"))
        return None
    return Fact(_without_remark(entry.value), entry.line)


def _without_remark(value: str) -> str:
    return re.sub(r"\s*\(.*\)\s*$", "", value).strip().strip("`")


def _remark(value: str) -> str:
    match = re.search(r"\((.*)\)\s*$", value)
    return match.group(1).strip() if match else ""


def _build_context(entry: Entry | None, notes: list[ReadingNote]) -> Fact[str] | None:
    if entry is None:
        return None
    if entry.value and not _is_placeholder(entry.value):
        return Fact(_without_remark(entry.value), entry.line)
    for item in entry.items:
        if item.key and normalize_key(item.key) == "context":
            return _scalar(Entry(item.key, item.value, item.line, ()), notes)
    return None


def _ports(entry: Entry | None, notes: list[ReadingNote]) -> tuple[PortSpec, ...]:
    if entry is None:
        return ()
    internal = [
        _port_number(item.value) for item in entry.items
        if item.key and normalize_key(item.key) in ("internal", "container")
    ]
    sole_internal = internal[0] if len(internal) == 1 and internal[0] is not None else None
    specs: list[PortSpec] = []
    items = entry.items
    if not items and entry.value:  # `Ports: 5000:5000` written on one line
        items = (Item("External", entry.value, entry.line),)
    for item in items:
        spec = _port(item, sole_internal)
        if spec is None:
            notes.append(ReadingNote(item.line, f"cannot read a port from '{item.value}'"))
        else:
            specs.append(spec)
    return tuple(specs)


def _port(item: Item, sole_internal: int | None) -> PortSpec | None:
    if _is_placeholder(item.value):
        return None
    key = normalize_key(item.key or "")
    remark = _remark(item.value)
    mapping = re.match(r"^\s*(?:[\d.]+:)?(\d+)\s*:\s*(\d+)", item.value)
    single = _port_number(item.value)
    scope = {"development": "development", "dev": "development",
             "production": "production", "prod": "production"}.get(key)
    if key in ("internal", "container"):
        return None if single is None else PortSpec(single, None, None, remark, item.line)
    if mapping:
        return PortSpec(int(mapping.group(2)), int(mapping.group(1)), scope, remark, item.line)
    if single is None:
        return None
    container = sole_internal if key in ("external", "host", "published") and sole_internal else single
    return PortSpec(container, single, scope, remark, item.line)


def _port_number(value: str) -> int | None:
    match = re.match(r"^\s*:?(\d{1,5})\b", value)
    if match is None:
        return None
    number = int(match.group(1))
    return number if 0 < number < 65536 else None


def _health(entry: Entry | None, notes: list[ReadingNote]) -> HealthSpec | None:
    if entry is None:
        return None
    fields = {normalize_key(i.key): i for i in entry.items if i.key}
    probe: HttpHealthSpec | CommandHealthSpec | None = None
    if "command" in fields or "test" in fields:
        item = fields.get("command") or fields["test"]
        probe = CommandHealthSpec(item.value.strip("`"), item.line)
    elif "endpoint" in fields or "path" in fields:
        probe = _http_health(fields.get("endpoint") or fields["path"], fields, notes)
    elif entry.value and not _is_placeholder(entry.value):
        probe = _http_health(Item("Endpoint", entry.value, entry.line), fields, notes)
    if probe is None:
        notes.append(ReadingNote(entry.line, "health check has neither an endpoint nor a command"))
        return None
    return HealthSpec(
        probe=probe,
        interval=_fact(fields.get("interval")),
        timeout=_fact(fields.get("timeout")),
        retries=_int_fact(fields.get("retries")),
        line=entry.line,
    )


def _http_health(endpoint: Item, fields: dict[str, Item], notes: list[ReadingNote]) -> HttpHealthSpec | None:
    text = endpoint.value.strip("` ")
    method = "GET"
    words = text.split()
    if words and words[0].upper() in _HTTP_METHODS:
        method, text = words[0].upper(), " ".join(words[1:])
    alternatives = [a.strip("` ") for a in re.split(r"\s+or\s+|\s*\|\s*|,\s*", text) if a.strip()]
    if not alternatives:
        return None
    if len(alternatives) > 1:
        notes.append(ReadingNote(
            endpoint.line, f"several endpoints documented ({', '.join(alternatives)}); checking {alternatives[0]}"
        ))
    target = alternatives[0]
    port = None
    url = re.match(r"^[a-z]+://[^/:]+(?::(\d+))?(/.*)?$", target)
    if url:
        port = int(url.group(1)) if url.group(1) else None
        target = url.group(2) or "/"
    if not target.startswith("/"):
        notes.append(ReadingNote(endpoint.line, f"health endpoint '{endpoint.value}' is not a path"))
        return None
    if "method" in fields:
        method = fields["method"].value.split()[0].upper()
    status = 200
    if "expectedstatus" in fields:
        match = re.match(r"\s*(\d{3})", fields["expectedstatus"].value)
        if match:
            status = int(match.group(1))
        else:
            notes.append(ReadingNote(fields["expectedstatus"].line, "expected status is not a number; assuming 200"))
    return HttpHealthSpec(target, method, status, port, endpoint.line)


def _fact(item: Item | None) -> Fact[str] | None:
    if item is None or not item.value or _is_placeholder(item.value):
        return None
    return Fact(item.value, item.line)


def _int_fact(item: Item | None) -> Fact[int] | None:
    if item is None:
        return None
    match = re.match(r"\s*(\d+)", item.value)
    return Fact(int(match.group(1)), item.line) if match else None


def _dependencies(entry: Entry | None, notes: list[ReadingNote]) -> tuple[DependencySpec, ...]:
    if entry is None:
        return ()
    texts = [(i.value if i.key is None else f"{i.key}: {i.value}", i.line) for i in entry.items]
    if entry.value and not _is_placeholder(entry.value):
        texts = [(part, entry.line) for part in entry.value.split(",")] + texts
    specs = []
    for text, line in texts:
        match = re.match(r"^\s*`?([A-Za-z0-9][\w.-]*)`?", text)
        if match is None or _is_placeholder(text.strip()) or normalize_key(match.group(1)) == "none":
            continue
        remark = _remark(text)
        condition = "healthy" if re.search(r"\bhealthy\b", text, re.IGNORECASE) else "started"
        specs.append(DependencySpec(match.group(1), condition, remark, line))
    return tuple(specs)


def _environment(entry: Entry | None, notes: list[ReadingNote]) -> tuple[EnvVarSpec, ...]:
    if entry is None:
        return ()
    specs = []
    for item in entry.items:
        name = item.key if item.key is not None else item.value.split()[0] if item.value else ""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            notes.append(ReadingNote(item.line, f"not an environment variable name: {item.value or name}"))
            continue
        described = item.value if item.key is not None else ""
        specs.append(_env_var(name, described, item.line))
    return tuple(specs)


def _env_var(name: str, written: str, line: int) -> EnvVarSpec:
    """A written value counts as documented only when it is one token, not a description."""
    written = written.strip()
    looks_concrete = bool(written) and " " not in written and not _is_placeholder(written)
    value = written.strip("`'\"") if looks_concrete else None
    marked_secret = bool(re.search(r"\bsecret\b", written, re.IGNORECASE))
    return EnvVarSpec(
        name=name,
        value=value,
        description="" if looks_concrete else written,
        secret=marked_secret or is_secret(name, value),
        line=line,
    )


def _restart_policy(entry: Entry | None, notes: list[ReadingNote]) -> Fact[str] | None:
    fact = _scalar(entry, notes)
    if fact is None:
        return None
    return Fact(fact.value.split()[0].lower(), fact.line)
