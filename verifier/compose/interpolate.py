"""Compose's variable interpolation: `${V}`, `${V:-d}`, `${V-d}`, `${V:?e}`, `${V?e}`, `${V:+a}`, `${V+a}`, `$V`, `$$`."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


@dataclass(frozen=True)
class MissingVariable(Exception):
    name: str
    message: str  # interpolated, as Compose prints it
    written: str = ""  # as the file writes it: what to show when it interpolates, perhaps a secret


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """One string with every variable replaced; raises MissingVariable for an unset required one and
    ValueError for a malformed expression (`${`, `${V:}`)."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "$":
            out.append(char)
            index += 1
            continue
        following = text[index + 1: index + 2]
        if following == "$":
            out.append("$")
            index += 2
        elif following == "{":
            value, index = _braced(text, index + 2, variables)
            out.append(value)
        else:
            name = _NAME.match(text, index + 1)
            if name is None:
                out.append("$")
                index += 1
            else:
                out.append(variables.get(name.group(0), ""))
                index = name.end()
    return "".join(out)


def _braced(text: str, start: int, variables: Mapping[str, str]) -> tuple[str, int]:
    """`${...}` from just after the brace; returns its value and the index after the closing brace."""
    name = _NAME.match(text, start)
    if name is None:
        raise ValueError(f"invalid interpolation format in {text!r}")
    position = name.end()
    operator = next((op for op in _OPERATORS if text.startswith(op, position)), None)
    end = _closing_brace(text, position)
    if operator is None:
        if position != end:
            raise ValueError(f"invalid interpolation format in {text!r}")
        return variables.get(name.group(0), ""), end + 1
    written = text[position + len(operator): end]
    argument = interpolate(written, variables)
    value = variables.get(name.group(0))
    unset_or_empty = value is None or (operator.startswith(":") and value == "")
    if operator in (":-", "-"):
        return (argument if unset_or_empty else value or ""), end + 1
    if operator in (":+", "+"):
        return ("" if unset_or_empty else argument), end + 1
    if unset_or_empty:
        raise MissingVariable(name.group(0), argument, written)
    return value or "", end + 1


def _closing_brace(text: str, position: int) -> int:
    depth = 1
    index = position
    while index < len(text):
        if text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise ValueError(f"unclosed ${{ in {text!r}")


def parse_env_file(text: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A `.env` file: KEY=VALUE lines, `export` allowed, quotes removed, `#` comments.

    Unquoted and double-quoted values may use `${...}` of earlier lines and of `environ`,
    as Compose allows; single-quoted values are literal."""
    values: dict[str, str] = {}
    environ = environ or {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not _NAME.fullmatch(key):
            continue
        if not sep:
            continue
        value = value.strip()
        quote = value[0] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else ""
        if quote:
            value = value[1:-1]
            if quote == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"')
        else:
            value = re.sub(r"\s+#.*$", "", value)
        if quote != "'":
            try:
                value = interpolate(value, {**values, **environ})  # the shell wins, as in Compose
            except (MissingVariable, ValueError):
                pass  # left as written: Compose reports such a line when the variable is used
        values[key] = value
    return values
