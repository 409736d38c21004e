"""Reading one compose file: YAML with Compose's `!reset` / `!override` tags, refused when hostile."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from verifier.errors import InputError
from verifier.textfile import read_text_file

MAX_COMPOSE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000  # far beyond any real compose file; stops alias bombs before they expand


@dataclass(frozen=True)
class Reset:
    """`!reset`: the value is removed from what earlier files said."""


@dataclass(frozen=True)
class Override:
    """`!override`: the value replaces what earlier files said instead of merging with it."""

    value: Any


# libyaml's parser where PyYAML was built with it: five times the pure-Python one on a large file.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[misc,valid-type]
    """YAML as Compose (a YAML 1.2 parser) reads it: `no`, `on`, `12:30` and `2222:22` stay text,
    and a key written twice in one mapping is an error rather than a silent overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key '{key_node.value}' is written twice in one mapping",
                        key_node.start_mark)
                seen[key_node.value] = key_node
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int",
                              re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|0[0-7_]+)$"),
                              list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def _reset(loader: yaml.SafeLoader, node: yaml.Node) -> Reset:
    return Reset()


def _override(loader: yaml.SafeLoader, node: yaml.Node) -> Override:
    if isinstance(node, yaml.MappingNode):
        return Override(loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return Override(loader.construct_sequence(node, deep=True))
    return Override(loader.construct_scalar(node))


_Loader.add_constructor("!reset", _reset)
_Loader.add_constructor("!override", _override)


def read_yaml(path: Path) -> dict[str, Any]:
    _, text = read_text_file(path, "a compose file", MAX_COMPOSE_BYTES)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError(f"{path}: the compose file is empty")
        _refuse_expansion(node, path)  # before anything is built from the nodes
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise InputError(_yaml_problem(path, exc)) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise InputError(f"{path}: a compose file must be a mapping at the top level, not {_kind(data)}")
    return data


def _refuse_expansion(root: yaml.Node, path: Path) -> None:
    """Counts nodes as if every alias were expanded, without expanding anything."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 1  # a cycle counts once instead of forever
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item) for item in node.value)
        else:
            total = 1
        sizes[id(node)] = total
        if total > MAX_NODES:
            raise InputError(f"{path}: expands to more than {MAX_NODES:,} values "
                             "(YAML aliases nested too deeply?)")
        return total

    size(root)


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or "not valid YAML"
    return f"{where}: {problem}"


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), type(value).__name__)
