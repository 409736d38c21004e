"""Reading one compose file: YAML with Compose's `!reset` / `!override` tags, refused when hostile."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from verifier.errors import InputError
from verifier.textfile import read_text_file

MAX_COMPOSE_BYTES = 2 * 1024 * 1024
# What a file may expand to, counted on the parsed nodes as if every alias were expanded, before
# anything is built: far beyond any real compose file (a few thousand values, tens of KB of text, ten
# levels), and what stops alias bombs, a long value repeated by aliases, and nesting that would
# exhaust the recursion of the YAML constructor.
MAX_NODES = 200_000
MAX_EXPANDED_CHARACTERS = 4 * MAX_COMPOSE_BYTES
MAX_DEPTH = 64
MAX_NUMBER_DIGITS = 1000  # Python refuses to read integers of more than 4,300 digits, with a ValueError


T = TypeVar("T")


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


def _integer(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    if len(str(node.value)) > MAX_NUMBER_DIGITS:
        raise yaml.constructor.ConstructorError(None, None, f"a number of more than {MAX_NUMBER_DIGITS:,} digits",
                                                node.start_mark)
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


_Loader.add_constructor("!reset", _reset)
_Loader.add_constructor("!override", _override)
_Loader.add_constructor("tag:yaml.org,2002:int", _integer)


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


@dataclass(frozen=True)
class _Expanded:
    """What a node would be with every alias in it expanded."""

    values: int
    characters: int
    depth: int


_ONCE = _Expanded(1, 0, 1)  # a node met again inside itself (a recursive anchor) counts once


def _refuse_expansion(root: yaml.Node, path: Path) -> None:
    """Counts values, text and depth as if every alias were expanded, without expanding anything:
    each node is visited once (aliases share their node), without recursion, so in linear time."""
    expanded: dict[int, _Expanded] = {}
    open_nodes: set[int] = set()  # the node being counted and those it is inside of
    pending: list[tuple[yaml.Node, bool]] = [(root, False)]
    while pending:
        node, children_counted = pending.pop()
        if children_counted:
            open_nodes.discard(id(node))
            expanded[id(node)] = _counted(node, [expanded.get(id(c), _ONCE) for c in _children(node)], path)
        elif id(node) not in expanded and id(node) not in open_nodes:
            open_nodes.add(id(node))
            pending.append((node, True))
            pending.extend((child, False) for child in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _counted(node: yaml.Node, children: list[_Expanded], path: Path) -> _Expanded:
    own_text = len(node.value) if isinstance(node, yaml.ScalarNode) else 0
    total = _Expanded(1 + sum(c.values for c in children), own_text + sum(c.characters for c in children),
                      1 + max((c.depth for c in children), default=0))
    if total.values > MAX_NODES:
        raise InputError(f"{path}: expands to more than {MAX_NODES:,} values (YAML aliases nested too deeply?)")
    if total.characters > MAX_EXPANDED_CHARACTERS:
        raise InputError(f"{path}: expands to more than {MAX_EXPANDED_CHARACTERS:,} characters of text "
                         "(YAML aliases repeating a long value?)")
    if total.depth > MAX_DEPTH:
        raise InputError(f"{path}:{node.start_mark.line + 1}: nests more than {MAX_DEPTH} levels deep")
    return total


class ExpansionBudget:
    """The same bounds for a file's services once `extends` is resolved: each service that extends
    another is a copy of it, so many services extending one large one would be many large copies.
    Counted as each service is resolved, so the copies stop at the bound instead of at the memory."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._values = 0
        self._characters = 0

    def spend(self, value: T) -> T:
        """`value`, once its values and text are added to the file's total; InputError past the bounds."""
        pending: list[Any] = [value]
        while pending:
            item = pending.pop()
            self._values += 1
            if isinstance(item, str):
                self._characters += len(item)
            elif isinstance(item, dict):
                pending.extend(item.keys())
                pending.extend(item.values())
            elif isinstance(item, (list, tuple)):
                pending.extend(item)
            elif isinstance(item, Override):
                pending.append(item.value)
            if self._values > MAX_NODES or self._characters > MAX_EXPANDED_CHARACTERS:
                raise InputError(f"{self._path}: its services expand to more than {MAX_NODES:,} values or "
                                 f"{MAX_EXPANDED_CHARACTERS:,} characters of text ('extends' or variables "
                                 "repeating a long value?)")
        return value


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or "not valid YAML"
    return f"{where}: {problem}"


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), type(value).__name__)
