"""Merging compose files in order, with the Compose specification's rules per field.

Mappings merge key by key; `environment`, `labels`, `depends_on`, `networks` are merged as
mappings whatever form each file wrote them in; `ports` concatenate; `volumes` merge by
target path; `command`, `entrypoint` and `healthcheck.test` are replaced; `!reset` removes a
value and `!override` replaces it instead of merging.
"""
from __future__ import annotations

from typing import Any

from verifier.compose.yamlfile import Override, Reset

_AS_MAPPING = ("environment", "labels", "annotations", "depends_on", "networks", "sysctls", "extra_hosts")
_REPLACED = ("command", "entrypoint")
_CONCATENATED = ("ports", "expose", "dns", "dns_search", "dns_opt", "tmpfs", "env_file", "profiles",
                 "external_links", "cap_add", "cap_drop", "security_opt", "devices", "secrets", "configs")


def merge_files(documents: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for document in documents:
        merged = merge_mapping(merged, document, ())
    return strip_markers(merged)


def service_as_mappings(service: dict[str, Any]) -> dict[str, Any]:
    """The fields that merge by key, written as mappings (list forms converted)."""
    result = dict(service)
    for key in _AS_MAPPING:
        if key in result and not isinstance(result[key], (Reset, Override)):
            result[key] = as_mapping(result[key], key)
    if isinstance(result.get("build"), str):
        result["build"] = {"context": result["build"]}
    return result


def as_mapping(value: Any, key: str) -> Any:
    if isinstance(value, dict) or value is None:
        return value if value is not None else {}
    if not isinstance(value, list):
        return value  # a wrong type: reported when the service is read
    mapping: dict[str, Any] = {}
    for item in value:
        text = str(item)
        if key in ("environment", "labels", "annotations", "sysctls"):
            name, sep, rest = text.partition("=")
            mapping[name] = rest if sep else None
        elif key == "extra_hosts":
            name, _, rest = text.partition(":") if "=" not in text else text.partition("=")
            mapping[name] = rest
        elif key == "depends_on":
            mapping[text] = {"condition": "service_started"}
        else:
            mapping[text] = None
    return mapping


def merge_mapping(base: dict[str, Any], update: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    result = dict(base)
    for key, value in update.items():
        here = (*path, str(key))
        if _is_service_level(path) and key in _AS_MAPPING:
            value = as_mapping(value, key) if not isinstance(value, (Reset, Override)) else value
        if isinstance(value, Reset):
            result[key] = value  # kept as a marker so later files still see it removed
            continue
        if isinstance(value, Override):
            result[key] = value.value
            continue
        if key not in result or isinstance(result[key], Reset):
            result[key] = value
            continue
        result[key] = _merge_value(result[key], value, here)
    return result


def _is_service_level(path: tuple[str, ...]) -> bool:
    return len(path) == 2 and path[0] == "services"


def _merge_value(base: Any, update: Any, path: tuple[str, ...]) -> Any:
    key = path[-1]
    service_level = len(path) == 3 and path[0] == "services"
    if service_level and key == "build":
        base = {"context": base} if isinstance(base, str) else base
        update = {"context": update} if isinstance(update, str) else update
    if service_level and key in _REPLACED or path[-2:] == ("healthcheck", "test"):
        return update
    if isinstance(base, dict) and isinstance(update, dict):
        return merge_mapping(base, update, path)
    if isinstance(base, list) and isinstance(update, list):
        if service_level and key == "volumes":
            return _merge_volumes(base, update)
        if service_level and key in _CONCATENATED:
            return _concatenated(base, update)
        return update
    return update


def _concatenated(base: list[Any], update: list[Any]) -> list[Any]:
    """`base`, then each item of `update` not in `base`: looked up in a set, not by scanning `base` for
    each item (two files of 100,000 ports each would be 10^10 comparisons)."""
    in_base = {_identity(item) for item in base}
    return base + [item for item in update if _identity(item) not in in_base]


def _identity(value: Any) -> Any:
    """A hashable stand-in equal for equal values: mappings and lists by their contents."""
    if isinstance(value, dict):
        return ("mapping", frozenset((_identity(k), _identity(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_identity(item) for item in value))
    try:
        hash(value)
    except TypeError:  # a marker holding a mapping: compared by identity, so kept
        return ("object", id(value))
    return value


def _merge_volumes(base: list[Any], update: list[Any]) -> list[Any]:
    by_target: dict[str, Any] = {}
    for volume in [*base, *update]:
        by_target[_volume_target(volume)] = volume
    return list(by_target.values())


def _volume_target(volume: Any) -> str:
    if isinstance(volume, dict):
        return str(volume.get("target", ""))
    parts = str(volume).split(":")
    return parts[1] if len(parts) >= 2 else parts[0]


def strip_markers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_markers(v) for k, v in value.items() if not isinstance(v, Reset)}
    if isinstance(value, list):
        return [strip_markers(v) for v in value if not isinstance(v, Reset)]
    if isinstance(value, Override):
        return strip_markers(value.value)
    return value
