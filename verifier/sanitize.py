r"""Output hygiene: what a probed service or a document puts in a report is shown, never acted on.

A report carries strings that strangers wrote: an HTTP body, a container's name, a document's
headings, a `--baseline` file. None of them may take over the terminal the report is read in,
the CI log it is printed to, or the pull request comment it becomes. Every renderer passes its
report through `safe_report` first, so that no string can be forgotten, then escapes for its own
syntax with the functions below (each of which cleans its text again: they are idempotent).

- Control characters (C0, DEL, C1) are shown, never sent: ESC as `\x1b`, CR, LF and TAB as `\r`,
  `\n`, `\t`, the others as `\xNN`. An escape sequence, an OSC-8 hyperlink or a clear-screen
  becomes inert text, and a value can never start a line of its own.
- Bidi overrides, embeddings, isolates and marks (the "Trojan Source" characters) and invisible
  characters (zero-width space, word joiner, BOM, line and paragraph separators, tag characters)
  are shown as `\u202e`. ZWJ and ZWNJ stay: emoji and several scripts need them, and they
  neither reorder nor hide text.
- A lone surrogate (a path that is not UTF-8, which Python reads with surrogateescape, or a
  `\udc80` in a JSON file) becomes U+FFFD, so every report can be encoded as UTF-8.
- CI log commands: GitHub Actions obeys `::command::` at the start of a line (after leading
  spaces) and `##[command]` anywhere in it, Azure Pipelines `##vso[...]` anywhere. `plain` breaks
  the second `#` of `##[` and `##vso[`; `line_start`, for a value that begins a line, the first `:`.
"""
from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from verifier.findings import Change, Comparison, Finding, Report, ServiceNode, SourceRef, Target

_SURROGATE = re.compile("[\ud800-\udfff]")
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE = "\u200b\u2028\u2029\u2060-\u2064\ufeff\ufff9-\ufffb\ufffe\uffff\U000e0000-\U000e007f"
_UNSEEN = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}{_INVISIBLE}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_CI_COMMAND = re.compile(r"##(?=\[|vso\[)", re.IGNORECASE)
_LINE_COMMAND = re.compile(r"\A\s*:(?=:)")
WORD_JOINER = "\u2060"  # invisible, and breaks what GitHub would make a mention, a reference or a link


def no_surrogates(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def _shown(match: re.Match[str]) -> str:
    character = match.group()
    if character in _NAMED:
        return _NAMED[character]
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """Every control, bidi and invisible character shown as an escape; lone surrogates as U+FFFD."""
    return _UNSEEN.sub(_shown, no_surrogates(text))


def plain(text: str) -> str:
    """`visible`, and no CI log command anywhere in the line: the text for any human-read format."""
    return _CI_COMMAND.sub("#\\\\x23", visible(text))


def line_start(text: str) -> str:
    """`plain`, for a value that begins a line of output: it cannot be a `::command::` either."""
    return _LINE_COMMAND.sub(lambda m: m.group()[:-1] + "\\x3a", plain(text), count=1)


# Markdown, as GitHub renders it (CommonMark, GFM tables and autolinks, mentions, references).
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>#!|~$&])")
_MENTION_OR_REFERENCE = re.compile(r"([@#])")
_AUTOLINK = re.compile(r"(?=://)|(?<=www)(?=\.)", re.IGNORECASE)


def markdown_text(text: str) -> str:
    """Plain text anywhere in Markdown, table cells included: no markup, HTML, entity, link, image,
    autolink, mention (`@someone`) or issue reference (`#12`) can come out of it."""
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", plain(text))
    # A backslash does not stop GitHub from linking a URL or notifying `@someone`: a word joiner does.
    escaped = _MENTION_OR_REFERENCE.sub(rf"\1{WORD_JOINER}", escaped)
    return _AUTOLINK.sub(WORD_JOINER, escaped)


def markdown_code(text: str, in_table: bool = False) -> str:
    """The inside of a `code span`: literal text, where only its own backticks (and a table's `|`) count."""
    code = plain(text).replace("`", "'")
    return _TABLE_PIPE.sub(_escaped_pipe, code) if in_table else code


# GFM ends a cell at a `|` that no backslash escapes, and a backslash escapes a backslash there, even
# in a code span: a `|` after an odd run of backslashes takes two (the run then shows one more).
_TABLE_PIPE = re.compile(r"(\\*)\|")


def _escaped_pipe(match: re.Match[str]) -> str:
    backslashes = match.group(1)
    return backslashes + ("\\\\|" if len(backslashes) % 2 else "\\|")


def markdown_url(path: str) -> str:
    """A relative link's target: percent-encoded, so that it cannot become a scheme (`javascript:`),
    end the link, or carry a fragment or a query of its own."""
    return quote(no_surrogates(path), safe="/")


# Mermaid's own entity codes (`#quot;`, `#35;`): a label can neither end its quotes, nor hold HTML,
# a directive (`%%{init: ...}%%` is looked for anywhere in the diagram), or a markdown string.
_MERMAID = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;", "%": "#37;",
            # Mermaid's own stand-ins for entities while it parses end with `¶ß`: none may be forged.
            "¶": "#182;"}
_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(_MERMAID)) + "]")


def mermaid_label(text: str) -> str:
    """Text inside a quoted Mermaid label, `s0["..."]`."""
    return _MERMAID_SPECIAL.sub(lambda m: _MERMAID[m.group()], plain(text))


def html_text(text: str) -> str:
    """Text or an attribute's value in HTML: nothing in it can make an element, an attribute or a link."""
    return html.escape(plain(text), quote=True)


# JSON keeps the data: only what a reader of the file (a terminal, a CI log) could obey is written
# as a \u escape, which a JSON parser reads back as the same character.
_JSON_UNSEEN = re.compile(f"[\x7f-\x9f{_BIDI}{_INVISIBLE}]")


def _json_escape(match: re.Match[str]) -> str:
    units = match.group().encode("utf-16-be")
    return "".join(f"\\u{int.from_bytes(units[i:i + 2], 'big'):04x}" for i in range(0, len(units), 2))


def json_text(data: Any) -> str:
    """The JSON document for `data`, whose strings have passed `no_surrogates`: every control,
    bidi and invisible character is escaped (these only ever occur inside JSON strings)."""
    text = _JSON_UNSEEN.sub(_json_escape, json.dumps(data, indent=2, ensure_ascii=False))
    return _CI_COMMAND.sub("#\\\\u0023", text)


def safe_report(report: Report, clean: Callable[[str], str]) -> Report:
    """The report with every string it holds passed through `clean` (`plain`, or `no_surrogates`
    for the formats that keep the data). Counts, statuses and the verdict stay as they are."""
    return dataclasses.replace(
        report,
        tool_version=clean(report.tool_version), document_path=clean(report.document_path),
        document_sha256=clean(report.document_sha256), target=_target(report.target, clean),
        started_at=clean(report.started_at), findings=tuple(_finding(f, clean) for f in report.findings),
        services=tuple(_service(s, clean) for s in report.services),
        comparison=_comparison(report.comparison, clean))


def _finding(finding: Finding, clean: Callable[[str], str]) -> Finding:
    fields = {name: clean(getattr(finding, name))
              for name in ("id", "check", "service", "expected", "observed", "message", "layer")}
    source = finding.source
    if source is not None and clean(source.path) != source.path:
        fields["source"] = SourceRef(clean(source.path), source.line)
    if all(value == getattr(finding, name) for name, value in fields.items()):
        return finding  # the usual case, and a large report's thousands of findings are not copied
    return dataclasses.replace(finding, **fields)


def _target(target: Target, clean: Callable[[str], str]) -> Target:
    return Target(clean(target.kind), clean(target.project), clean(target.engine),
                  tuple(clean(f) for f in target.compose_files),
                  None if target.environment is None else clean(target.environment))


def _service(service: ServiceNode, clean: Callable[[str], str]) -> ServiceNode:
    return ServiceNode(clean(service.name), service.line, tuple(clean(p) for p in service.published),
                       tuple(clean(d) for d in service.depends_on))


def _comparison(comparison: Comparison | None, clean: Callable[[str], str]) -> Comparison | None:
    if comparison is None:
        return None
    return Comparison(clean(comparison.baseline_path), clean(comparison.baseline_started_at),
                      _changes(comparison.changes, clean), tuple(_finding(f, clean) for f in comparison.resolved))


def _changes(changes: Mapping[tuple[str, str], Change],
             clean: Callable[[str], str]) -> Mapping[tuple[str, str], Change]:
    """Keyed as the cleaned findings are, so that each finding still finds its change."""
    cleaned: dict[tuple[str, str], Change] = {}
    for (layer, finding_id), change in changes.items():
        key = (clean(layer), clean(finding_id))
        # Two ids that differ only by a lone surrogate become one: `new` wins, as it is the one that fails a run.
        if cleaned.get(key) is not Change.NEW:
            cleaned[key] = change
    return MappingProxyType(cleaned)
