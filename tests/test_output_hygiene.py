"""Output hygiene: a probed service, a document or a baseline file never takes over a report, the
terminal it is read in, the CI log it is printed to or the pull request comment it becomes.

One hostile report, every format, to a string and to a real file: fast, no Docker.
"""
from __future__ import annotations

import io
import json
import os
import re
import stat
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from types import MappingProxyType

import pytest

from reports import RENDERERS, RenderOptions
from tests.conftest import DEMO_DOCUMENT
from verifier import cli
from verifier.baseline import compare, load_baseline
from verifier.errors import InputError
from verifier.findings import Change, Comparison, Finding, Report, ServiceNode, SourceRef, Status, Target
from verifier.output import Outputs, deliver
from verifier.progress import describe, progress_display
from verifier.sanitize import (
    line_start,
    markdown_code,
    markdown_text,
    mermaid_label,
    no_surrogates,
    plain,
    safe_report,
    visible,
)

SCHEMAS = Path(__file__).parent / "schemas"
SUFFIX = {"terminal": "txt", "json": "json", "markdown": "md", "junit": "xml", "sarif": "sarif", "html": "html"}

OSC8 = "\x1b]8;;http://evil\x1b\\text\x1b]8;;\x1b\\"
CLEAR = "\x1b[2J\x1b[H\x1b[31mred"
HOSTILE = (
    OSC8, CLEAR, "a\rb", "line\n::error file=x::pwned", "##[error]legacy ##vso[task.x]azure", "  ::warning::indented",
    "@channel @someone", "[link=https://evil]x[/link]", "api[/]", "[click](https://evil/x)",
    "![img](https://evil/i.png)",
    "<https://evil/auto>", "https://evil.example/bare www.evil.example mail@evil.example",
    "<img src=x onerror=alert(1)>", "```\nfenced", '"]<script>alert(1)</script>', "%%{init: {}}%%", "lone \udc80 one",
    "\u202egnp.exe", "zero\u200bwidth", "pipe | and \\| and `tick`", "&#64;entity #12 owner/repo#3", "\x9b2J\x7f\x00",
)
SERVICE = "api[/]\x1b[2J@someone\n::error::svc\"]<script>\udc80\u202e"
OTHER_SERVICE = "[link=https://evil]db[/link]"


def hostile_finding(index: int, text: str, status: Status, service: str = SERVICE, layer: str = "live") -> Finding:
    return Finding(f"{service}/check.{index}/{text}", f"check.{index}", service, status, f"expected {text}",
                   text, f"{text} (message)", SourceRef(f"docs/\udcff{text}.md", index + 1), layer, 1.0, 1)


STATUSES = (Status.FAIL, Status.WARN, Status.ERROR, Status.SKIP, Status.PASS)
FINDINGS = tuple(hostile_finding(i, text, STATUSES[i % len(STATUSES)], layer=("live", "compose", "document")[i % 3])
                 for i, text in enumerate(HOSTILE)) + (hostile_finding(99, OSC8, Status.FAIL, service=OTHER_SERVICE),)


def hostile_report() -> Report:
    resolved = hostile_finding(100, "\n::error::resolved @someone <img src=x>", Status.FAIL)
    comparison = Comparison("nightly/\udc80\x1b[2J.json", "2026\n::error::at",
                            MappingProxyType({FINDINGS[0].key: Change.NEW, FINDINGS[1].key: Change.STILL}), (resolved,))
    return Report("0.1.0", "docs/\udcffarchitecture\x1b]0;title\x07.md", "0" * 64,
                  Target("compose", "shop\n::error::project @someone", "unix:///var/run/docker.sock",
                         ("compose\udc80.yaml",), "staging"),
                  "2026-11-26T02:00:00.000+00:00", 10.0, FINDINGS,
                  (ServiceNode(SERVICE, 10, ('5000->5000"]<b>',), (OTHER_SERVICE,)),
                   ServiceNode(OTHER_SERVICE, 20, (), ())),
                  comparison)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def rendered(name: str, report: Report | None = None) -> str:
    stream = io.StringIO()
    RENDERERS[name](report or hostile_report(), stream, RenderOptions())
    return stream.getvalue()


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, str]:
    """Every format written to a real file by deliver (and one to standard output), as bytes read back."""
    out = tmp_path_factory.mktemp("hostile")
    files = tuple((name, out / f"report.{SUFFIX[name]}") for name in RENDERERS)
    stdout = io.StringIO()
    real_stdout, sys.stdout = sys.stdout, stdout
    try:
        deliver(hostile_report(), Outputs("terminal", files))
    finally:
        sys.stdout = real_stdout
    texts = {name: path.read_bytes().decode("utf-8") for name, path in files}  # strict: valid UTF-8
    texts["stdout"] = stdout.getvalue()
    return texts


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_every_format_is_written_whole_to_a_string_and_to_a_file(name, written):
    text = rendered(name)
    assert text.encode("utf-8")  # no lone surrogate left: it would raise here
    if name != "markdown":  # whose links are relative to where the file is written
        assert written[name] == text


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_no_escape_byte_no_control_no_bidi_in_any_format(name, written):
    for text in (rendered(name), written[name], written["stdout"]):
        assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text and "\x00" not in text
        assert "\r" not in text and "\u202e" not in text and "\u200b" not in text
        assert not re.search("[\ud800-\udfff]", text)


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_no_line_of_any_format_is_a_ci_log_command(name, written):
    for text in (rendered(name), written["stdout"]):
        for line in text.splitlines():
            assert not line.lstrip().startswith("::"), line  # GitHub Actions: `::error ...` after leading spaces
        assert "##[" not in text and "##vso[" not in text.lower()  # GitHub's legacy form and Azure's, anywhere


def test_the_plain_terminal_shows_what_it_escapes():
    text = rendered("terminal")
    assert "\\x1b]8;;http://evil\\x1b\\text" in text  # shown, not swallowed
    assert "line\\n\\x3a:error file=x::pwned" not in text  # the \n keeps it inside its line already
    assert "line\\n::error file=x::pwned" in text
    assert "\\x3a:warning::indented" in text  # a message that would begin its line with `::`
    assert "\\u202egnp.exe" in text and "lone \ufffd one" in text


def test_the_terminal_on_a_tty_writes_only_its_own_colours(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    stream = FakeTerminal()
    RENDERERS["terminal"](hostile_report(), stream, RenderOptions())
    text = stream.getvalue()
    colours = re.findall(r"\x1b\[[0-9;]*m", text)
    assert colours, "the tty path ran, with colours"
    assert "\x1b" not in re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert "[link=https://evil]db[/link]" in text and "api[/]" in text  # markup shown as text, not obeyed


def test_markdown_has_no_mention_link_image_html_or_reference():
    text = rendered("markdown")
    # What GitHub reads as markup: neither an escaped character nor a code span (literal text, where
    # GitHub makes no mention, link or HTML either).
    outside_code = re.sub(r"\\[!-/:-@[-`{-~]|`[^`]*`", " ", text)
    assert not re.search(r"@[A-Za-z0-9]", outside_code)  # @someone would notify
    assert not re.search(r"<(img|script|b|http)", outside_code, re.IGNORECASE)
    assert not re.search(r"https?://", outside_code) and "www.evil" not in outside_code  # GFM autolinks
    assert "![" not in outside_code and "&#64;" not in outside_code and not re.search(r"#\d", outside_code)
    links = re.findall(r"(?<!\\)\]\(([^)]*)\)", outside_code)
    assert links and all(link.startswith("docs/") for link in links)  # the report's own, relative links only


def _cells(row: str) -> int:
    """How many `|` a GFM table row splits at: a backslash escapes the next ASCII punctuation (a `\\` too)."""
    count, position = 0, 0
    while position < len(row):
        if row[position] == "\\" and position + 1 < len(row) and not row[position + 1].isalnum():
            position += 2
            continue
        count += row[position] == "|"
        position += 1
    return count


def test_markdown_tables_keep_their_columns_and_the_mermaid_block_its_shape():
    lines = rendered("markdown").splitlines()
    rows = [line for line in lines if line.startswith("| ")]
    assert rows and all(_cells(row) == 7 for row in rows), [row for row in rows if _cells(row) != 7]
    fences = [i for i, line in enumerate(lines) if line.startswith("```")]
    assert [lines[i] for i in fences] == ["```mermaid", "```"]
    graph = lines[fences[0] + 1:fences[1]]
    grammar = re.compile(r'flowchart LR|  s\d+\["[^"%`<>]*"\]|  s\d+ --> s\d+|  classDef \w+ [\w:#,]+|  class s\d+ \w+')
    assert all(grammar.fullmatch(line.replace("<br/>", "")) for line in graph), graph
    assert "  s0 --> s1" in graph  # the hostile names still drew their dependency


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def test_html_makes_no_element_attribute_or_link_from_a_value():
    text = rendered("html")
    parser = _Tags()
    parser.feed(text)
    assert parser.tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "code", "svg",
                           "defs", "marker", "path", "g", "rect", "text", "table", "tr", "th", "td", "details",
                           "summary", "span", "dl", "dt", "dd", "ul", "li"}
    assert not {"href", "src", "onerror", "onload", "style"} & parser.attributes
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_junit_is_well_formed_and_valid():
    import xmlschema

    text = rendered("junit")
    root = ET.fromstring(text)
    assert len(list(root.iter("testcase"))) == len(FINDINGS)
    xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd")).validate(io.StringIO(text))


@pytest.mark.parametrize("name", ["json", "sarif"])
def test_json_and_sarif_parse_and_keep_the_data(name):
    import jsonschema

    data = json.loads(rendered(name))
    if name == "json":
        messages = [f["message"] for f in data["findings"]]
        assert messages == [no_surrogates(f.message) for f in FINDINGS]  # ESC, CR, bidi kept as data
        assert data["target"]["project"] == "shop\n::error::project @someone"
    else:
        schema = json.loads((SCHEMAS / "sarif-2.1.0.schema.json").read_text())
        jsonschema.validators.validator_for(schema)(schema).validate(data)
        assert any(OSC8 in r["message"]["text"] for r in data["runs"][0]["results"])


def test_rendering_keeps_the_counts_the_changes_and_the_verdict():
    report = hostile_report()
    cleaned = safe_report(report, plain)
    assert cleaned.counts == report.counts and cleaned.conformant == report.conformant
    assert [cleaned.change_of(f) for f in cleaned.findings] == [report.change_of(f) for f in report.findings]
    assert "FAIL (new)" in rendered("terminal") and "WARN (still failing)" in rendered("terminal")


def test_the_progress_line_survives_any_service_name(monkeypatch):
    stderr = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    with progress_display(len(FINDINGS)) as advance:
        assert advance is not None
        for finding in FINDINGS:
            advance(finding)
    text = stderr.getvalue()
    assert "\x1b]" not in text and "\x1b[2J" not in text  # no hyperlink, no clear-screen of theirs
    assert "\x1b" not in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)  # only rich's own cursor and colours
    assert describe(FINDINGS[-1]).startswith("[link=https://evil]db[/link] ")


@pytest.mark.parametrize("umask", [0o077, 0o022, 0o002])
def test_a_report_file_gets_the_mode_the_umask_gives(tmp_path, umask):
    path = tmp_path / "report.json"
    path.write_text("yesterday's")
    os.chmod(path, 0o644)
    previous = os.umask(umask)
    try:
        deliver(hostile_report(), Outputs("json", (("json", path),)))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    assert json.loads(path.read_text())["schema"] == "verifier.report/v1"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary left behind


def test_a_baseline_with_lone_surrogates_loads_and_renders(tmp_path):
    previous = {"schema": "verifier.report/v1", "started_at": "2026\n::error::x",
                "findings": [{"id": "api/\udc80", "check": "c", "service": "api\x1b[2J", "status": "fail",
                              "expected": "e", "observed": "<img src=x>", "message": "@someone", "source": None}]}
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(previous))  # ensure_ascii: the surrogate as \udc80, which JSON allows
    baseline = load_baseline(path)
    report = hostile_report()
    comparison = compare(baseline, report.findings)
    for name in RENDERERS:
        rendered(name, Report(**{**report.__dict__, "comparison": comparison}))


@pytest.mark.parametrize("content", [b'{"schema": "\xed\xb2\x80"}', b"\xff\xfe not UTF-8", b"not json",
                                     b"[" * 100_000 + b"]" * 100_000, b'{"a": ' + b"1" * 5000 + b"}",
                                     b'{"schema": "verifier.report/v1", "started_at": "x", "findings": '
                                     b'[{"id": 1, "check": 1, "service": 1, "status": "fail", "expected": 1, '
                                     b'"observed": 1, "message": 1, "source": {"path": "p", "line": 1e400}}]}'])
def test_a_baseline_that_cannot_be_read_is_one_sentence_and_exit_2(tmp_path, capsys, content):
    path = tmp_path / "baseline\x1b[2J.json"
    path.write_bytes(content)
    with pytest.raises(InputError):
        load_baseline(path)
    assert cli.main(["lint", str(DEMO_DOCUMENT), "--baseline", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("verifier: ") and "\x1b" not in error
    assert "baseline\\x1b[2J.json" in error


def test_a_document_path_that_is_not_utf8_is_shown_with_replacement_characters():
    path = os.fsdecode(b"docs/\xff\xfe.md")  # as Python reads a path that is not UTF-8: surrogateescape
    finding = Finding("api/doc.placeholder", "doc.placeholder", "api", Status.WARN, "a value", "[e.g. 1]", "left",
                      SourceRef(path, 3), "document", 0.0, 0)
    report = Report("0.1.0", path, "0" * 64, Target("document", "", ""), "2026-11-26T02:00:00.000+00:00", 1.0,
                    (finding,))
    for name in RENDERERS:
        assert "docs/\ufffd\ufffd.md" in rendered(name, report)


def test_the_sanitizer_functions():
    assert visible("a\x1b[31mb\r\n\t\x7f\x85\u202e\U000e0041") == "a\\x1b[31mb\\r\\n\\t\\x7f\\x85\\u202e\\U000e0041"
    assert visible("\ud800") == "\ufffd"
    assert visible("emoji 👨‍👩‍👧 and ZWNJ \u200c stay") == "emoji 👨‍👩‍👧 and ZWNJ \u200c stay"
    assert plain("##[error]x ##VSO[task]") == "#\\x23[error]x #\\x23VSO[task]"
    assert line_start(" ::error::x") == " \\x3a:error::x" and line_start("a ::b") == "a ::b"
    assert line_start("[::]") == "[::]"  # an IPv6 address is not a command
    for function in (visible, plain, line_start):
        assert function(function(HOSTILE[0])) == function(HOSTILE[0])
    assert "\u2060" in markdown_text("@someone") and "\\|" in markdown_text("|")
    assert markdown_code("a|b", in_table=True) == "a\\|b" and markdown_code("a\\|b", in_table=True) == "a\\\\\\|b"
    assert mermaid_label('x"]<b>#1%`') == "x#quot;]#lt;b#gt;#35;1#37;#96;"
