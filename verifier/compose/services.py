"""One merged service definition -> ComposeService, normalized as `docker compose config` shows it."""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifier.compose.interpolate import parse_env_file
from verifier.compose.merge import as_mapping
from verifier.compose.model import (
    ComposeHealthcheck,
    ComposePort,
    ComposeService,
    ComposeVolume,
)
from verifier.errors import InputError

_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)b?\s*$", re.IGNORECASE)


class _Service:
    """Reading helpers that know which file and service an error is about."""

    def __init__(self, name: str, file: Path) -> None:
        self.name = name
        self.file = file

    def error(self, field: str, problem: str) -> InputError:
        return InputError(f"{self.file}: service '{self.name}': '{field}' {problem}")

    def expect(self, value: Any, kinds: tuple[type, ...], field: str, description: str) -> Any:
        if value is not None and not isinstance(value, kinds):
            raise self.error(field, f"must be {description}, not {type(value).__name__} {value!r}"[:200])
        return value


def read_service(name: str, definition: dict[str, Any], directory: Path, variables: Mapping[str, str],
                 file: Path) -> ComposeService:
    reader = _Service(name, file)
    build_context, dockerfile = _build(definition.get("build"), directory, reader)
    return ComposeService(
        name=name,
        image=_text(reader.expect(definition.get("image"), (str,), "image", "a string")),
        build_context=build_context,
        dockerfile=dockerfile,
        ports=_ports(reader.expect(definition.get("ports"), (list,), "ports", "a list"), reader),
        environment=_environment(definition, directory, variables, reader),
        depends_on=_depends_on(definition.get("depends_on"), reader),
        healthcheck=_healthcheck(reader.expect(definition.get("healthcheck"), (dict,), "healthcheck", "a mapping"),
                                 reader),
        restart=_text(reader.expect(definition.get("restart"), (str,), "restart", "a string")),
        cpus=_cpus(definition, reader),
        memory_bytes=_memory(definition, reader),
        volumes=_volumes(reader.expect(definition.get("volumes"), (list,), "volumes", "a list"), directory, reader),
        networks=_networks(definition, reader),
        profiles=tuple(str(p) for p in reader.expect(definition.get("profiles") or [], (list,), "profiles", "a list")),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _build(value: Any, directory: Path, reader: _Service) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, str):
        value = {"context": value}
    reader.expect(value, (dict,), "build", "a path or a mapping")
    context = str(value.get("context", "."))
    if "://" not in context and not context.startswith("git@"):
        context = str((directory / context).resolve()) if not Path(context).is_absolute() else context
    return context, str(value.get("dockerfile", "Dockerfile"))


def _ports(entries: list[Any] | None, reader: _Service) -> tuple[ComposePort, ...]:
    ports: list[ComposePort] = []
    for entry in entries or ():
        if isinstance(entry, dict):
            ports.append(_long_port(entry, reader))
        elif isinstance(entry, (int, str)) and not isinstance(entry, bool):
            ports.append(_short_port(str(entry), reader))
        else:
            raise reader.error("ports", f"has an entry that is neither a string nor a mapping: {entry!r}"[:200])
    return tuple(dict.fromkeys(ports))  # Compose drops a mapping written twice


@dataclass(frozen=True)
class _Span:
    """`8000` or `8000-8010` as written in a port entry."""

    first: int
    last: int

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def end(self) -> int | None:
        return None if self.last == self.first else self.last


def _short_port(text: str, reader: _Service) -> ComposePort:
    spec, _, protocol = text.strip().partition("/")
    host_ip = None
    bracketed = re.match(r"^\[([^\]]+)\]:(.*)$", spec)
    if bracketed:
        host_ip, spec = bracketed.group(1), bracketed.group(2)
    parts = spec.split(":")
    if len(parts) > 3 or not parts[-1]:
        raise reader.error("ports", f"has an entry Compose cannot read: {text!r}")
    if len(parts) == 3:
        host_ip, published, target = parts
    elif len(parts) == 2:
        published, target = parts
    else:
        published, target = "", parts[0]
    targets = _port_span(target, text, reader)
    publisheds = _port_span(published, text, reader) if published else None
    return _port(targets, publisheds, host_ip or None, protocol or "tcp", text, reader)


def _long_port(entry: dict[str, Any], reader: _Service) -> ComposePort:
    if "target" not in entry:
        raise reader.error("ports", f"has a long-syntax entry without 'target': {entry!r}"[:200])
    targets = _port_span(str(entry["target"]), str(entry), reader)
    published = entry.get("published")
    publisheds = _port_span(str(published), str(entry), reader) if published not in (None, "") else None
    return _port(targets, publisheds, entry.get("host_ip") or None, str(entry.get("protocol") or "tcp"),
                 str(entry), reader)


def _port(targets: _Span, published: _Span | None, host_ip: str | None, protocol: str, whole: str,
          reader: _Service) -> ComposePort:
    """One entry, its ranges kept as ranges: a container range maps one to one onto a host range of
    the same length, and a single container port onto one port of a host range."""
    if published is not None and published.size != targets.size and targets.size != 1:
        raise reader.error("ports", f"has ranges of different lengths: {whole!r}"[:200])
    return ComposePort(targets.first, published.first if published else None, host_ip, protocol,
                       target_end=targets.end, published_end=published.end if published else None)


def _port_span(text: str, whole: str, reader: _Service) -> _Span:
    match = re.fullmatch(r"\s*(\d+)(?:-(\d+))?\s*", text)
    if match is None:
        raise reader.error("ports", f"has a port that is not a number: {whole!r}"[:200])
    if max(len(match.group(1)), len(match.group(2) or "")) > 5:  # and int() of 5,000 digits is an error
        raise reader.error("ports", f"has a port out of range: {whole!r}"[:200])
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else first
    if not 0 < first <= last < 65536:
        raise reader.error("ports", f"has a port out of range: {whole!r}"[:200])
    return _Span(first, last)


def _environment(definition: dict[str, Any], directory: Path, variables: Mapping[str, str],
                 reader: _Service) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for env_file in _env_files(definition.get("env_file"), reader):
        path, required = env_file
        full = path if path.is_absolute() else (directory / path)
        try:
            values.update(parse_env_file(full.read_text(encoding="utf-8"), variables))
        except FileNotFoundError:
            if required:
                raise reader.error("env_file", f"names {full}, which does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise reader.error("env_file", f"names {full}, which cannot be read ({exc})") from None
    environment = as_mapping(definition.get("environment"), "environment")
    reader.expect(environment, (dict,), "environment", "a list or a mapping")
    for key, value in (environment or {}).items():
        if value is None:
            values[str(key)] = variables.get(str(key))
        elif isinstance(value, bool):
            values[str(key)] = "true" if value else "false"
        elif isinstance(value, float):
            values[str(key)] = str(int(value)) if value.is_integer() else repr(value)  # as Go prints it
        elif isinstance(value, (str, int)):
            values[str(key)] = str(value)
        else:
            raise reader.error("environment", f"has a value for {key} that is not a scalar")
    return values


def _env_files(value: Any, reader: _Service) -> list[tuple[Path, bool]]:
    if value is None:
        return []
    entries = value if isinstance(value, list) else [value]
    found = []
    for entry in entries:
        if isinstance(entry, str):
            found.append((Path(entry), True))
        elif isinstance(entry, dict) and "path" in entry:
            found.append((Path(str(entry["path"])), bool(entry.get("required", True))))
        else:
            raise reader.error("env_file", f"has an entry Compose cannot read: {entry!r}"[:200])
    return found


def _depends_on(value: Any, reader: _Service) -> dict[str, str]:
    mapping = as_mapping(value, "depends_on") if value is not None else {}
    reader.expect(mapping, (dict,), "depends_on", "a list or a mapping")
    result = {}
    for name, options in mapping.items():
        condition = (options or {}).get("condition", "service_started") if isinstance(options, dict) else "service_started"
        result[str(name)] = str(condition)
    return dict(sorted(result.items()))


def _healthcheck(value: dict[str, Any] | None, reader: _Service) -> ComposeHealthcheck | None:
    if value is None:
        return None
    test = value.get("test")
    if value.get("disable") is True or test == ["NONE"] or test == "NONE":
        return ComposeHealthcheck(True, (), None, None, None, None)
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if test is not None and not isinstance(test, list):
        raise reader.error("healthcheck", "test must be a string or a list")
    retries = value.get("retries")
    if isinstance(retries, str) and retries.strip().isdigit() and len(retries.strip()) < 10:  # interpolated: text
        retries = int(retries)
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int)):
        raise reader.error("healthcheck", f"retries must be a whole number, not {retries!r}"[:200])
    return ComposeHealthcheck(
        disabled=False,
        test=tuple(str(t) for t in test or ()),
        interval_s=_duration(value.get("interval"), "interval", reader),
        timeout_s=_duration(value.get("timeout"), "timeout", reader),
        retries=retries,
        start_period_s=_duration(value.get("start_period"), "start_period", reader),
    )


def _duration(value: Any, field: str, reader: _Service) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    parts = _GO_DURATION.findall(text)
    if not parts or "".join(a + u for a, u in parts) != text.replace(" ", ""):
        raise reader.error(f"healthcheck.{field}", f"is not a duration: {value!r}")
    seconds = sum(float(amount) * _DURATION_UNITS[unit] for amount, unit in parts)
    return round(seconds, 9)


def _limits(definition: dict[str, Any]) -> dict[str, Any]:
    return (((definition.get("deploy") or {}).get("resources") or {}).get("limits") or {})


def _cpus(definition: dict[str, Any], reader: _Service) -> float | None:
    return _one_limit(_limits(definition).get("cpus"), definition.get("cpus"), "cpus", _number, reader)


def _memory(definition: dict[str, Any], reader: _Service) -> int | None:
    return _one_limit(_limits(definition).get("memory"), definition.get("mem_limit"), "memory", _size, reader)


def _one_limit(deploy: Any, legacy: Any, field: str, parse: Any, reader: _Service) -> Any:
    """deploy.resources.limits and the legacy key must agree when both are written, as Compose requires."""
    values = [parse(v, field, reader) for v in (deploy, legacy) if v is not None]
    if len(values) == 2 and values[0] != values[1]:
        raise reader.error(field, f"is set twice and differently: deploy.resources.limits says {deploy!r}, "
                                  f"the legacy key says {legacy!r}")
    return values[0] if values else None


def _number(value: Any, field: str, reader: _Service) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise reader.error(field, f"is not a number: {value!r}") from None


def _size(value: Any, field: str, reader: _Service) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE.match(str(value))
    if match is None:
        raise reader.error(field, f"is not a size: {value!r}")
    scale = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}[match.group(2).lower()]
    size = float(match.group(1)) * scale
    if not math.isfinite(size):  # 400 digits read as a float are infinite, which no int can hold
        raise reader.error(field, f"is not a size: {value!r}"[:200])
    return int(size)


def _volumes(entries: list[Any] | None, directory: Path, reader: _Service) -> tuple[ComposeVolume, ...]:
    volumes = []
    for entry in entries or ():
        if isinstance(entry, str):
            volumes.append(_short_volume(entry, directory))
        elif isinstance(entry, dict):
            kind = str(entry.get("type", "volume"))
            source = entry.get("source")
            if kind == "bind" and source is not None:
                source = _bind_source(str(source), directory)
            if "target" not in entry:
                raise reader.error("volumes", f"has a long-syntax entry without 'target': {entry!r}"[:200])
            volumes.append(ComposeVolume(kind, None if source is None else str(source), str(entry["target"]),
                                         bool(entry.get("read_only", False))))
        else:
            raise reader.error("volumes", f"has an entry Compose cannot read: {entry!r}"[:200])
    return tuple(volumes)


def _short_volume(text: str, directory: Path) -> ComposeVolume:
    parts = text.split(":")
    if len(parts) == 1:
        return ComposeVolume("volume", None, parts[0], False)
    source, target = parts[0], parts[1]
    options = parts[2].split(",") if len(parts) > 2 else []
    if source.startswith((".", "/", "~")):
        return ComposeVolume("bind", _bind_source(source, directory), target, "ro" in options)
    return ComposeVolume("volume", source, target, "ro" in options)


def _bind_source(source: str, directory: Path) -> str:
    path = Path(source).expanduser()
    return str(path if path.is_absolute() else (directory / path).resolve())


def _networks(definition: dict[str, Any], reader: _Service) -> tuple[str, ...]:
    if definition.get("network_mode"):
        return ()
    networks = as_mapping(definition.get("networks"), "networks") if "networks" in definition else None
    if networks is None:
        return ("default",)
    reader.expect(networks, (dict,), "networks", "a list or a mapping")
    return tuple(sorted(str(n) for n in networks)) or ("default",)
