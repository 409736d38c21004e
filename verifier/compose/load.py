"""Loading a compose project the way `docker compose config` does."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from verifier.compose.interpolate import MissingVariable, interpolate, parse_env_file
from verifier.compose.merge import (
    merge_files,
    merge_mapping,
    service_as_mappings,
    strip_markers,
)
from verifier.compose.model import ComposePort, ComposeProject, ComposeService
from verifier.compose.services import read_service
from verifier.compose.yamlfile import ExpansionBudget, Override, Reset, read_yaml
from verifier.errors import InputError
from verifier.secrets import Redactor, secret_values_of

TOP_LEVEL_KEYS = {"version", "name", "services", "networks", "volumes", "secrets", "configs", "include", "models"}


def load_compose(files: Sequence[Path], *, environ: Mapping[str, str] | None = None,
                 env_files: Sequence[Path] | None = None, profiles: Sequence[str] = (),
                 project_name: str | None = None) -> ComposeProject:
    if not files:
        raise InputError("no compose file given")
    files = [Path(f).absolute() for f in files]
    directory = files[0].parent
    variables = _variables(directory, env_files, os.environ if environ is None else environ)
    secrets = secret_values_of(variables)  # interpolation may put any of them anywhere: masked in every error
    redact = Redactor(secrets)
    raws = [read_yaml(path) for path in files]
    for raw, path in zip(raws, files):
        _check_top_level(raw, path)
    project = _project_name(project_name, variables, raws, files, directory)
    variables.setdefault("COMPOSE_PROJECT_NAME", project)  # Compose offers the final name to interpolation
    documents = []
    for raw, path in zip(raws, files):
        document = _interpolated(raw, variables, path)
        _check_types(document, path, redact)
        documents.append(_as_mappings(_with_extends(document, path, variables, depth=0)))
    merged = merge_files(documents)
    services = merged.get("services") or {}
    if not isinstance(services, dict):
        raise InputError(f"{files[0]}: 'services' must be a mapping of service names")
    active = set(profiles) or {p.strip() for p in variables.get("COMPOSE_PROFILES", "").split(",") if p.strip()}
    read = {}
    network_modes = {}
    for name, definition in services.items():
        if not isinstance(definition, dict):
            raise InputError(f"{_file_of(name, files, documents)}: service '{name}' must be a mapping, "
                             f"not {type(definition).__name__}")
        try:
            service = read_service(str(name), definition, directory, variables, _file_of(name, files, documents))
        except InputError as error:  # its sentence may quote an interpolated value
            raise InputError(redact(str(error))) from None
        if not service.profiles or set(service.profiles) & active or "*" in active:
            read[str(name)] = service
            network_modes[str(name)] = str(definition.get("network_mode") or "")
    _check_dependencies(read, services, files[0])
    read = _with_shared_namespaces(read, network_modes)
    return ComposeProject(
        name=project,
        files=tuple(files),
        directory=directory,
        services=dict(sorted(read.items())),
        secrets=tuple(secrets),
    )


def _with_shared_namespaces(read: dict[str, ComposeService], network_modes: Mapping[str, str]) -> dict[str, ComposeService]:
    """`network_mode: service:X` joins X's network namespace, and so X's networks."""
    shared = {}
    for name, service in read.items():
        mode = network_modes[name]
        host = read.get(mode.removeprefix("service:")) if mode.startswith("service:") else None
        shared[name] = replace(service, networks=host.networks) if host is not None else service
    return shared


def normalized(project: ComposeProject) -> dict[str, Any]:
    """The project in the shape tests compare with `docker compose config --format json`."""
    services = {}
    for name, s in project.services.items():
        health = s.healthcheck
        services[name] = {
            "image": s.image,
            "build": None if s.build_context is None else {"context": s.build_context, "dockerfile": s.dockerfile},
            "ports": sorted(_port_rows(s.ports), key=_sort_key),
            "environment": dict(s.environment),
            "depends_on": dict(s.depends_on),
            "healthcheck": None if health is None else ({"disable": True} if health.disabled else {
                "test": list(health.test), "interval_s": health.interval_s, "timeout_s": health.timeout_s,
                "retries": health.retries, "start_period_s": health.start_period_s}),
            "restart": s.restart,
            "cpus": s.cpus,
            "memory_bytes": s.memory_bytes,
            "volumes": sorted(([v.type, v.source, v.target, v.read_only] for v in s.volumes), key=_sort_key),
            "networks": sorted(s.networks),
            "profiles": sorted(s.profiles),
        }
    return {"name": project.name, "services": services}


def _port_rows(ports: Sequence[ComposePort]) -> list[list[Any]]:
    """Ports as `docker compose config` prints them: a container range one row per port (so this, for
    tests against Compose only, is as long as the ranges), a host range for one port as `"9000-9010"`."""
    rows: dict[tuple[Any, ...], None] = {}
    for port in ports:
        for target in range(port.target, port.last_target + 1):
            host = port.host_ports_for(target)
            published = None if not host else host.start if len(host) == 1 else f"{host.start}-{host[-1]}"
            rows[(target, published, port.host_ip, port.protocol)] = None  # Compose drops a row written twice
    return [list(row) for row in rows]


def _sort_key(row: list[Any]) -> tuple:
    return tuple((value is None, str(value)) for value in row)


def _variables(directory: Path, env_files: Sequence[Path] | None, environ: Mapping[str, str]) -> dict[str, str]:
    """`.env` (or --env-file) values, overridden by the shell's: Compose's precedence."""
    values: dict[str, str] = {}
    paths = list(env_files) if env_files else [directory / ".env"]
    for path in paths:
        if env_files is None and not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"{path}: no such env file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot be read as an env file ({exc})") from None
        values.update(parse_env_file(text, environ))
    values.update(environ)
    return values


def _check_top_level(raw: dict[str, Any], path: Path) -> None:
    unknown = sorted(str(k) for k in raw if str(k) not in TOP_LEVEL_KEYS and not str(k).startswith("x-"))
    if unknown:
        raise InputError(f"{path}: unknown top-level key '{unknown[0]}' (Compose allows "
                         f"{', '.join(sorted(TOP_LEVEL_KEYS))} and x- extensions)")


def _interpolated(value: Any, variables: Mapping[str, str], path: Path) -> Any:
    if isinstance(value, str):
        try:
            return interpolate(value, variables)
        except MissingVariable as missing:
            # The message as written when it interpolates (`${A:?${TOKEN}}`): never a variable's value.
            interpolates = re.search(r"(?<!\$)\$(\{|[A-Za-z_])", missing.written) is not None
            message = missing.written if interpolates else missing.message
            detail = f": {Redactor(secret_values_of(variables))(message)}" if message else ""
            raise InputError(f"{path}: required variable {missing.name} is missing a value{detail}") from None
        except ValueError as exc:
            raise InputError(f"{path}: {exc}") from None
    if isinstance(value, dict):
        return {k: _interpolated(v, variables, path) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolated(v, variables, path) for v in value]
    if hasattr(value, "value") and type(value).__name__ == "Override":
        return type(value)(_interpolated(value.value, variables, path))
    return value


def _with_extends(document: dict[str, Any], path: Path, variables: Mapping[str, str], depth: int) -> dict[str, Any]:
    services = document.get("services")
    if not isinstance(services, dict):
        return document
    budget = ExpansionBudget(path)  # each service extending another is a copy of it: bounded here
    resolved = {name: budget.spend(_extended(name, services, path, variables, depth, ())) for name in services}
    return {**document, "services": resolved}


def _extended(name: Any, services: dict[str, Any], path: Path, variables: Mapping[str, str],
              depth: int, chain: tuple[str, ...]) -> Any:
    service = services[name]
    if not isinstance(service, dict) or "extends" not in service:
        return service
    if name in chain or depth > 10:
        raise InputError(f"{path}: service '{name}' extends itself through {' -> '.join(map(str, chain))}")
    extends = service["extends"]
    if isinstance(extends, str):
        extends = {"service": extends}
    if not isinstance(extends, dict) or "service" not in extends:
        raise InputError(f"{path}: service '{name}' has an 'extends' without a 'service'")
    if "file" in extends:
        other = (path.parent / str(extends["file"])).absolute()
        other_document = _interpolated(read_yaml(other), variables, other)
        other_services = other_document.get("services") or {}
        if extends["service"] not in other_services:
            raise InputError(f"{other}: has no service '{extends['service']}' for '{name}' to extend")
        base = _extended(extends["service"], other_services, other, variables, depth + 1, (*chain, str(name)))
        base = _rebased(base, other.parent)
    else:
        if extends["service"] not in services:
            raise InputError(f"{path}: service '{name}' extends '{extends['service']}', which is not defined")
        base = _extended(extends["service"], services, path, variables, depth + 1, (*chain, str(name)))
    local = {k: v for k, v in service.items() if k != "extends"}
    merged = merge_mapping({"services": {"x": service_as_mappings(base)}},
                            {"services": {"x": service_as_mappings(local)}}, ())
    return strip_markers(merged["services"]["x"])


def _rebased(service: Any, directory: Path) -> Any:
    """Paths in a service taken from another file are relative to that file's folder, not ours."""
    if not isinstance(service, dict):
        return service

    def absolute(path: Any) -> Any:
        text = str(path)
        if "://" in text or text.startswith(("/", "~", "git@")):
            return path
        return str((directory / text).resolve())

    result = dict(service)
    build = result.get("build")
    if isinstance(build, str):
        result["build"] = absolute(build)
    elif isinstance(build, dict) and "context" in build:
        result["build"] = {**build, "context": absolute(build["context"])}
    env_file = result.get("env_file")
    if env_file is not None:
        entries = env_file if isinstance(env_file, list) else [env_file]
        result["env_file"] = [{**e, "path": absolute(e["path"])} if isinstance(e, dict) and "path" in e
                              else absolute(e) for e in entries]
    volumes = result.get("volumes")
    if isinstance(volumes, list):
        result["volumes"] = [_rebased_volume(v, absolute) for v in volumes]
    return result


def _rebased_volume(volume: Any, absolute: Any) -> Any:
    if isinstance(volume, str) and volume.startswith("."):
        source, _, rest = volume.partition(":")
        return f"{absolute(source)}:{rest}" if rest else volume
    if isinstance(volume, dict) and volume.get("type") == "bind" and str(volume.get("source", "")).startswith("."):
        return {**volume, "source": absolute(volume["source"])}
    return volume


def _project_name(explicit: str | None, variables: Mapping[str, str], raws: list[dict[str, Any]],
                  files: list[Path], directory: Path) -> str:
    """-p, else COMPOSE_PROJECT_NAME, else the last file's top-level `name:`, else the folder."""
    if explicit:
        return _normalize_name(explicit)
    if variables.get("COMPOSE_PROJECT_NAME"):
        return _normalize_name(variables["COMPOSE_PROJECT_NAME"])
    for raw, path in reversed(list(zip(raws, files))):
        if isinstance(raw.get("name"), str) and raw["name"]:
            return _normalize_name(_interpolated(raw["name"], variables, path))
    return _normalize_name(directory.name)


_FIELD_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "image": ((str,), "a string"), "restart": ((str,), "a string"), "build": ((str, dict), "a path or a mapping"),
    "ports": ((list,), "a list"), "volumes": ((list,), "a list"), "profiles": ((list,), "a list"),
    "environment": ((list, dict), "a list or a mapping"), "labels": ((list, dict), "a list or a mapping"),
    "depends_on": ((list, dict), "a list or a mapping"), "networks": ((list, dict), "a list or a mapping"),
    "env_file": ((str, list), "a path or a list"), "healthcheck": ((dict,), "a mapping"),
    "deploy": ((dict,), "a mapping"),
}


def _check_types(document: dict[str, Any], path: Path, redact: Redactor) -> None:
    """Compose validates each file before merging, so an error names the file that has it."""
    services = document.get("services")
    if services is None:
        return
    if not isinstance(services, dict):
        raise InputError(f"{path}: 'services' must be a mapping of service names, not {type(services).__name__}")
    for name, service in services.items():
        if service is None:
            continue
        if not isinstance(service, dict):
            raise InputError(f"{path}: service '{name}' must be a mapping, not {type(service).__name__}")
        for field, value in service.items():
            kinds, description = _FIELD_TYPES.get(field, ((object,), ""))
            if value is not None and not isinstance(value, (*kinds, Override, Reset)):
                raise InputError(f"{path}: service '{name}': '{field}' must be {description}, "
                                 f"not {type(value).__name__} {_quoted(value, redact)}")


def _quoted(value: Any, redact: Redactor, limit: int = 120) -> str:
    """A value for an error sentence: masked before it is shortened, so that no cut leaves a secret's
    beginning behind unrecognised."""
    shown = redact(repr(value))
    return shown if len(shown) <= limit else shown[:limit] + "..."


def _as_mappings(document: dict[str, Any]) -> dict[str, Any]:
    services = document.get("services")
    if not isinstance(services, dict):
        return document
    return {**document, "services": {n: service_as_mappings(s) if isinstance(s, dict) else s
                                     for n, s in services.items()}}


def _check_dependencies(read: dict[str, Any], defined: dict[str, Any], path: Path) -> None:
    for service in read.values():
        for dependency in service.depends_on:
            if dependency not in defined:
                raise InputError(f"{path}: service '{service.name}' depends on undefined service '{dependency}'")


def _normalize_name(name: str) -> str:
    return re.sub(r"[^-_a-z0-9]+", "", name.lower()).lstrip("-_")


def _file_of(name: Any, files: list[Path], documents: list[dict[str, Any]]) -> Path:
    for path, document in zip(files, documents):
        if isinstance(document.get("services"), dict) and name in document["services"]:
            return path
    return files[0]
