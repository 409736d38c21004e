"""Loading a compose project the way `docker compose config` does."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from verifier.compose.interpolate import MissingVariable, interpolate, parse_env_file
from verifier.compose.merge import merge_files, service_as_mappings, strip_markers, _merge_mapping
from verifier.compose.model import ComposeProject
from verifier.compose.services import read_service
from verifier.compose.yamlfile import read_yaml
from verifier.errors import InputError

TOP_LEVEL_KEYS = {"version", "name", "services", "networks", "volumes", "secrets", "configs", "include", "models"}


def load_compose(files: Sequence[Path], *, environ: Mapping[str, str] | None = None,
                 env_files: Sequence[Path] | None = None, profiles: Sequence[str] = (),
                 project_name: str | None = None) -> ComposeProject:
    if not files:
        raise InputError("no compose file given")
    files = [Path(f).absolute() for f in files]
    directory = files[0].parent
    variables = _variables(directory, env_files, os.environ if environ is None else environ)
    documents = []
    for path in files:
        raw = read_yaml(path)
        _check_top_level(raw, path)
        document = _interpolated(raw, variables, path)
        documents.append(_with_extends(document, path, variables, depth=0))
    merged = merge_files(documents)
    services = merged.get("services") or {}
    if not isinstance(services, dict):
        raise InputError(f"{files[0]}: 'services' must be a mapping of service names")
    active = _active_profiles(profiles, variables)
    read = {}
    for name, definition in services.items():
        if not isinstance(definition, dict):
            raise InputError(f"{_file_of(name, files, documents)}: service '{name}' must be a mapping, "
                             f"not {type(definition).__name__}")
        service = read_service(str(name), definition, directory, variables, _file_of(name, files, documents))
        if not service.profiles or set(service.profiles) & active or "*" in active:
            read[str(name)] = service
    return ComposeProject(
        name=_project_name(project_name, variables, merged, directory),
        files=tuple(files),
        directory=directory,
        services=dict(sorted(read.items())),
    )


def normalized(project: ComposeProject) -> dict[str, Any]:
    """The project in the shape tests compare with `docker compose config --format json`."""
    services = {}
    for name, s in project.services.items():
        health = s.healthcheck
        services[name] = {
            "image": s.image,
            "build": None if s.build_context is None else {"context": s.build_context, "dockerfile": s.dockerfile},
            "ports": sorted([p.target, p.published, p.host_ip, p.protocol] for p in s.ports),
            "environment": dict(s.environment),
            "depends_on": dict(s.depends_on),
            "healthcheck": None if health is None else ({"disable": True} if health.disabled else {
                "test": list(health.test), "interval_s": health.interval_s, "timeout_s": health.timeout_s,
                "retries": health.retries, "start_period_s": health.start_period_s}),
            "restart": s.restart,
            "cpus": s.cpus,
            "memory_bytes": s.memory_bytes,
            "volumes": sorted([v.type, v.source, v.target, v.read_only] for v in s.volumes),
            "networks": sorted(s.networks),
            "profiles": sorted(s.profiles),
        }
    return {"name": project.name, "services": services}


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
        values.update(parse_env_file(text))
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
            detail = f": {missing.message}" if missing.message else ""
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
    resolved = {name: _extended(name, services, path, variables, depth, ()) for name in services}
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
    else:
        if extends["service"] not in services:
            raise InputError(f"{path}: service '{name}' extends '{extends['service']}', which is not defined")
        base = _extended(extends["service"], services, path, variables, depth + 1, (*chain, str(name)))
    local = {k: v for k, v in service.items() if k != "extends"}
    merged = _merge_mapping({"services": {"x": service_as_mappings(base)}},
                            {"services": {"x": service_as_mappings(local)}}, ())
    return strip_markers(merged["services"]["x"])


def _active_profiles(profiles: Sequence[str], variables: Mapping[str, str]) -> set[str]:
    active = set(profiles)
    active |= {p.strip() for p in variables.get("COMPOSE_PROFILES", "").split(",") if p.strip()}
    return active


def _project_name(explicit: str | None, variables: Mapping[str, str], merged: dict[str, Any], directory: Path) -> str:
    for candidate in (explicit, variables.get("COMPOSE_PROJECT_NAME"), merged.get("name")):
        if isinstance(candidate, str) and candidate:
            return _normalize_name(candidate)
    return _normalize_name(directory.name)


def _normalize_name(name: str) -> str:
    return re.sub(r"[^-_a-z0-9]+", "", name.lower()).lstrip("-_")


def _file_of(name: Any, files: list[Path], documents: list[dict[str, Any]]) -> Path:
    for path, document in zip(files, documents):
        if isinstance(document.get("services"), dict) and name in document["services"]:
            return path
    return files[0]
