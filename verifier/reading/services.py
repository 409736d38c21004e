"""The Service Specifications section: one block (or key/value table) per service."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from verifier.markdown import Fence, Section, Table, plain
from verifier.model import (
    DEVELOPMENT,
    ENVIRONMENTS,
    BuildSpec,
    DependencySpec,
    EnvVarSpec,
    Fact,
    HealthSpec,
    LimitsSpec,
    PortSpec,
    ServiceSpec,
    VolumeSpec,
)
from verifier.reading.collect import Collector
from verifier.reading.text import (
    cpus,
    is_placeholder,
    memory_bytes,
    normalize_key,
    port_number,
    remark,
    seconds,
    small_number,
    without_remark,
)
from verifier.reading.yamlish import Entry, Item, parse_block
from verifier.secrets import is_secret

SECTION_TITLE = r"service\s+spec"
_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_DEV_ONLY = re.compile(r"dev(elopment)?[ -]only|local[ -]only|not exposed in prod", re.IGNORECASE)
_NAME_KEYS = ("servicename", "name", "service")
_FOLDER_IN_HEADING = re.compile(r"\(`?([\w.-]+/)`?\)")
# Splitting patterns that start with spaces start only where a run of spaces starts (`(?<!\s)`), so a
# long run is tried once rather than once per space: linear in the line.
_SPACED_ARROW = re.compile(r"(?<!\s)\s++(?:→|->)\s++")
_SPACED_DASH = re.compile(r"(?<!\s)\s++[-–—:]\s++")
_ALTERNATIVES = re.compile(r"(?<!\s)\s++or\s++|(?<!\s)\s*+\|\s*+|\|\s*+|,\s*+")
_PARENTHESIS_OR_COMMA = re.compile(r"[(),]")


def read_services(root: Section, sink: Collector) -> list[ServiceSpec]:
    services = []
    for section in root.find(SECTION_TITLE):
        if section.level != 2:
            continue
        for part in [section, *section.children]:
            for group in _groups(part, sink):
                service = _service(part, group, sink)
                if service is not None:
                    services.append(service)
    return services


@dataclass
class _Group:
    """What one service's specification is made of: its block or table, and variable tables after it."""

    entries: dict[str, Entry] = field(default_factory=dict)
    env_rows: list[Item] = field(default_factory=list)


def _groups(part: Section, sink: Collector) -> list[_Group]:
    groups: list[_Group] = []
    unnamed: list[Fence] = []
    for block in part.all_blocks() if part.level > 2 else part.blocks:
        if isinstance(block, Fence):
            parsed = parse_block(block.text, block.first_line)
            if any(normalize_key(e.key) in _NAME_KEYS for e in parsed):
                groups.append(_Group(_first_of_each(parsed)))
            elif parsed and not block.info.lower().startswith(("bash", "sh", "shell")):
                unnamed.append(block)
        elif isinstance(block, Table):
            table_entries, table_env = _table(block)
            if table_entries:
                groups.append(_Group(_first_of_each(table_entries)))
            if table_env and groups:
                groups[-1].env_rows.extend(table_env)
    if not groups:
        for fence in unnamed:
            sink.note(fence.fence_line, "block has no 'Service Name:'; skipped")
    return groups


def _first_of_each(entries: list[Entry]) -> dict[str, Entry]:
    return {normalize_key(e.key): e for e in reversed(entries)}


def _table(table: Table) -> tuple[list[Entry], list[Item]]:
    header = [normalize_key(h) for h in table.header]
    if len(header) >= 2 and header[0] in ("variable", "name", "envvar", "environmentvariable", "env"):
        secret_column = next((i for i, h in enumerate(header) if "secret" in h), None)
        rows = []
        for cells, line in table.rows:
            value = plain(cells[1]) if len(cells) > 1 else ""
            if secret_column is not None and len(cells) > secret_column and _yes(cells[secret_column]):
                value = f"{value} (secret)".strip()
            rows.append(Item(plain(cells[0]), value, line))
        return [], rows
    if len(header) == 2:
        rows = [(plain(cells[0]), plain(cells[1]), line) for cells, line in table.rows if len(cells) == 2]
        if any(normalize_key(key) == "servicename" for key, _, _ in rows):
            return [Entry(key, value, line, ()) for key, value, line in rows], []
    return [], []


def _yes(cell: str) -> bool:
    return normalize_key(plain(cell)) in ("yes", "y", "true", "x", "secret") or "✓" in cell or "✅" in cell


def _service(part: Section, group: _Group, sink: Collector) -> ServiceSpec | None:
    entries, env_rows = group.entries, group.env_rows
    name_entry = next(entries[k] for k in _NAME_KEYS if k in entries)
    if not name_entry.value or is_placeholder(name_entry.value):
        sink.placeholder(name_entry.line, None, "service name", name_entry.value, needed=True)
        return None
    name = without_remark(name_entry.value).split()[0].strip("`'\"")
    build = _build(_first(entries, "build"), name, sink)
    heading = plain(part.title)
    folder = _FOLDER_IN_HEADING.search(heading)
    source_dir = folder.group(1) if folder else _folder_of(build)
    environment = _environment(_first(entries, "environmentvariables", "environment", "env"), name, sink)
    environment += tuple(_env_var(row.key or "", row.value, row.line, name, sink) for row in env_rows
                         if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", row.key or ""))
    return ServiceSpec(
        name=name,
        heading=heading,
        line=name_entry.line,
        source_dir=source_dir,
        image=_scalar(_first(entries, "image"), name, "image", sink),
        build=build,
        ports=_ports(_first(entries, "ports", "port"), name, sink),
        health=_health(_first(entries, "healthcheck", "health"), name, sink),
        dependencies=_dependencies(_first(entries, "dependencies", "dependson", "depends"), name, sink),
        environment=environment,
        restart_policy=_restart_policy(_first(entries, "restartpolicy", "restart"), name, sink),
        volumes=_volumes(_first(entries, "persistentstorage", "volumes", "storage", "volume")),
        limits=_limits(_first(entries, "resourcelimits", "limits", "resources"), name, sink),
        init_scripts=_init_scripts(_first(entries, "initialization", "initscripts", "init"), name, sink),
    )


def _first(entries: dict[str, Entry], *keys: str) -> Entry | None:
    return next((entries[k] for k in keys if k in entries), None)


def _scalar(entry: Entry | None, service: str, what: str, sink: Collector, needed: bool = False) -> Fact[str] | None:
    if entry is None or not entry.value:
        return None
    if is_placeholder(entry.value):
        sink.placeholder(entry.line, service, what, entry.value, needed)
        return None
    return Fact(without_remark(entry.value), entry.line)


def _folder_of(build: BuildSpec | None) -> str | None:
    if build is None or not build.context:
        return None
    folder = build.context.removeprefix("./").rstrip("/")
    return f"{folder}/" if folder and folder != "." and "/" not in folder else None


def _build(entry: Entry | None, service: str, sink: Collector) -> BuildSpec | None:
    if entry is None:
        return None
    fields = {normalize_key(i.key): i for i in entry.items if i.key}
    context = entry.value if entry.value and not is_placeholder(entry.value) else None
    if context is None and "context" in fields and not is_placeholder(fields["context"].value):
        context = fields["context"].value
    dockerfile = fields.get("dockerfile")
    return BuildSpec(
        context=without_remark(context) if context else None,
        dockerfile=without_remark(dockerfile.value) if dockerfile and not is_placeholder(dockerfile.value) else None,
        line=entry.line,
    )


def _ports(entry: Entry | None, service: str, sink: Collector) -> tuple[PortSpec, ...]:
    if entry is None:
        return ()
    items = entry.items
    if not items and entry.value:  # `Ports: 5000:5000` written on one line
        items = tuple(Item("External", part.strip(), entry.line) for part in entry.value.split(","))
    internal = [port_number(i.value) for i in items if i.key and normalize_key(i.key) in ("internal", "container")]
    sole_internal = internal[0] if len(internal) == 1 else None
    specs: list[PortSpec] = []
    for item in items:
        if is_placeholder(item.value):
            sink.placeholder(item.line, service, f"port ({item.key or 'port'})", item.value, needed=True)
            continue
        spec = _port(item, sole_internal)
        if spec is None:
            sink.note(item.line, f"cannot read a port from '{item.value}'")
        else:
            specs.append(spec)
    published = {s.container_port for s in specs if s.host_port is not None}
    return tuple(s for s in specs if s.host_port is not None or s.container_port not in published)


def _port(item: Item, sole_internal: int | None) -> PortSpec | None:
    key = normalize_key(item.key or "")
    note = remark(item.value)
    mapping = re.match(r"^\s*[`'\"]?(?:[\d.]+:)?(\d+)\s*:\s*(\d+)", item.value)
    single = port_number(item.value)
    if key in ("internal", "container"):
        return None if single is None else PortSpec(single, None, "internal", None, note, item.line)
    environment = ENVIRONMENTS.get(key)
    exposure = "dev-only" if environment == DEVELOPMENT or _DEV_ONLY.search(item.value) else "public"
    if mapping:
        host, container = small_number(mapping.group(1)) or 0, small_number(mapping.group(2)) or 0
        if not (0 < host < 65536 and 0 < container < 65536):
            return None
        return PortSpec(container, host, exposure, environment, note, item.line)
    if single is None:
        return None
    container = sole_internal if sole_internal else single
    return PortSpec(container, single, exposure, environment, note, item.line)


def _health(entry: Entry | None, service: str, sink: Collector) -> HealthSpec | None:
    if entry is None:
        return None
    fields = {normalize_key(i.key): i for i in entry.items if i.key}
    if not fields and entry.items:  # `- GET /health` items without keys
        fields = {"endpoint": entry.items[0]}
    command = fields.get("command") or fields.get("test") or fields.get("cmd")
    endpoint = fields.get("endpoint") or fields.get("path") or fields.get("url")
    if endpoint is None and command is None and entry.value:
        endpoint = Item("Endpoint", entry.value, entry.line)
    for item in (command, endpoint):
        if item is not None and is_placeholder(item.value):
            sink.placeholder(item.line, service, "health check", item.value, needed=True)
            return None
    timing = dict(interval_s=_seconds(fields.get("interval")), timeout_s=_seconds(fields.get("timeout")),
                  retries=_integer(fields.get("retries")), start_period_s=_seconds(fields.get("startperiod")),
                  block_line=entry.line)
    if command is not None:
        text = without_remark(command.value) if command.value.rstrip().endswith(")") else command.value.strip("` ")
        kind = "postgres" if re.search(r"pg_isready|select\s+1", text, re.IGNORECASE) else "command"
        return HealthSpec(kind, None, None, None, None, None, text, line=command.line, **timing)
    if endpoint is None:
        sink.note(entry.line, "health check has neither an endpoint nor a command")
        return None
    return _http_health(endpoint, fields, service, sink, timing)


def _http_health(endpoint: Item, fields: dict[str, Item], service: str, sink: Collector,
                 timing: dict) -> HealthSpec | None:
    text = endpoint.value.strip("` ")
    method = None
    words = text.split()
    if words and words[0].upper() in _HTTP_METHODS:
        method, text = words[0].upper(), " ".join(words[1:])
    text = _SPACED_ARROW.split(text)[0]
    alternatives = [a.strip("` ") for a in _ALTERNATIVES.split(without_remark(text)) if a.strip()]
    if not alternatives:
        return None
    if len(alternatives) > 1:
        sink.note(endpoint.line, f"several endpoints documented ({', '.join(alternatives)}); checking {alternatives[0]}")
    target, port = alternatives[0], None
    url = re.match(r"^[a-z]+://[^/:]+(?::(\d+))?(/.*)?$", target)
    if url:
        port = small_number(url.group(1)) if url.group(1) else None
        target = url.group(2) or "/"
    if not target.startswith("/"):
        sink.note(endpoint.line, f"health endpoint '{endpoint.value}' is not a path")
        return None
    if "method" in fields and fields["method"].value:
        method = fields["method"].value.split()[0].upper()
    status = 200
    status_item = fields.get("expectedstatus") or fields.get("status") or fields.get("expectedresponse")
    if status_item is not None:
        match = re.match(r"\s*(\d{3})", status_item.value)
        if match:
            status = int(match.group(1))
    body_item = fields.get("expectedbody") or fields.get("bodycontains") or fields.get("body") or fields.get("responsecontains")
    body = body_item.value.strip().strip("`") if body_item is not None else None
    if body and len(body) >= 2 and body[0] == body[-1] and body[0] in "'\"" and body.count(body[0]) == 2:
        body = body[1:-1]
    return HealthSpec("http", method or "GET", target, port, status, body or None, None, line=endpoint.line, **timing)


def _seconds(item: Item | None) -> float | None:
    return seconds(item.value) if item is not None and not is_placeholder(item.value) else None


def _integer(item: Item | None) -> int | None:
    if item is None:
        return None
    match = re.match(r"\s*(\d+)", item.value)
    return small_number(match.group(1)) if match else None


def _dependencies(entry: Entry | None, service: str, sink: Collector) -> tuple[DependencySpec, ...]:
    if entry is None:
        return ()
    texts = [(i.value if i.key is None else f"{i.key}: {i.value}", i.line) for i in entry.items]
    if entry.value and not is_placeholder(entry.value):
        texts = [(part, entry.line) for part in split_outside_parentheses(entry.value)] + texts
    specs = []
    for text, line in texts:
        label = without_remark(_SPACED_DASH.split(text)[0]).strip("` ")
        if not re.match(r"^[A-Za-z0-9]", label) or is_placeholder(text.strip()) or normalize_key(label) == "none":
            continue
        condition = "healthy" if re.search(r"\bhealthy\b", text, re.IGNORECASE) else "started"
        # As written for now: "Order Processing Backend" becomes orders-api once every service is known.
        specs.append(DependencySpec(label, condition, remark(text), line))
    return tuple(specs)


def split_outside_parentheses(text: str) -> list[str]:
    """`a, b (x, y), c` -> ["a", " b (x, y)", " c"]: split at each comma whose next parenthesis is not
    a `)`, as the regex `,(?![^(]*[)])` does, but in one pass from the end instead of one look ahead per
    comma."""
    parts = []
    end = len(text)
    next_parenthesis = ""
    for found in reversed(list(_PARENTHESIS_OR_COMMA.finditer(text))):
        if found.group() != ",":
            next_parenthesis = found.group()
        elif next_parenthesis != ")":
            parts.append(text[found.end():end])
            end = found.start()
    parts.append(text[:end])
    return parts[::-1]


def _environment(entry: Entry | None, service: str, sink: Collector) -> tuple[EnvVarSpec, ...]:
    if entry is None:
        return ()
    specs = []
    for item in entry.items:
        name = item.key if item.key is not None else (item.value.split()[0] if item.value else "")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            if is_placeholder(item.value):
                sink.note(item.line, f"template placeholder left in the variable list: {item.value}")
            else:
                sink.note(item.line, f"not an environment variable name: {item.value or name}")
            continue
        specs.append(_env_var(name, item.value if item.key is not None else "", item.line, service, sink))
    return tuple(specs)


def _env_var(name: str, written: str, line: int, service: str, sink: Collector) -> EnvVarSpec:
    """A written value counts as documented only when it is one token, not a description."""
    written = written.strip()
    placeholder = is_placeholder(written) or bool(re.match(r"^\s*(\[[^\]]*\]|<[^>]*>)", written))
    concrete = without_remark(written)
    looks_concrete = bool(concrete) and " " not in concrete and not placeholder
    marked_secret = bool(re.search(r"\bsecret\b", written, re.IGNORECASE))
    secret = marked_secret or is_secret(name, concrete if looks_concrete else None)
    if placeholder and not secret:
        sink.placeholder(line, service, f"value of {name}", written)
    return EnvVarSpec(
        name=name,
        value=concrete if looks_concrete and not secret else None,
        description="" if looks_concrete else written,
        secret=secret,
        placeholder=placeholder,
        line=line,
    )


def _restart_policy(entry: Entry | None, service: str, sink: Collector) -> Fact[str] | None:
    fact = _scalar(entry, service, "restart policy", sink)
    if fact is None or not fact.value:
        return None
    return Fact(fact.value.split()[0].lower(), fact.line)


def _volumes(entry: Entry | None) -> tuple[VolumeSpec, ...]:
    if entry is None:
        return ()
    volumes: list[VolumeSpec] = []
    pending_source: tuple[str, int] | None = None
    for item in entry.items:
        key = normalize_key(item.key or "")
        value = without_remark(item.value)
        if is_placeholder(item.value) or not value:
            continue
        if key in ("volume", "name", "source"):
            pending_source = (value, item.line)
        elif key in ("mount", "path", "target", "mountpath"):
            source, line = pending_source if pending_source else (None, item.line)
            volumes.append(VolumeSpec(source, value, line))
            pending_source = None
        elif item.key is None and ":" in value:
            source, _, target = value.partition(":")
            volumes.append(VolumeSpec(source or None, target.split(":")[0] or None, item.line))
    if pending_source is not None:
        volumes.append(VolumeSpec(pending_source[0], None, pending_source[1]))
    return tuple(volumes)


def _limits(entry: Entry | None, service: str, sink: Collector) -> LimitsSpec | None:
    if entry is None:
        return None
    cpu_value: float | None = None
    memory_value: int | None = None
    for item in entry.items:
        key = normalize_key(item.key or "")
        if is_placeholder(item.value):
            sink.placeholder(item.line, service, f"resource limit ({item.key})", item.value)
        elif key in ("cpu", "cpus"):
            cpu_value = cpus(item.value)
        elif key in ("memory", "mem", "memorylimit", "ram"):
            memory_value = memory_bytes(item.value)
    if cpu_value is None and memory_value is None:
        return None
    return LimitsSpec(cpu_value, memory_value, entry.line)


def _init_scripts(entry: Entry | None, service: str, sink: Collector) -> tuple[Fact[str], ...]:
    if entry is None:
        return ()
    scripts = []
    for item in entry.items:
        if is_placeholder(item.value):
            continue
        if normalize_key(item.key or "script") in ("script", "scripts", "path", "file"):
            scripts.append(Fact(without_remark(item.value), item.line))
    return tuple(scripts)
