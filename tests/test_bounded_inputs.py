"""Bounded by construction: reading a hostile input costs what its size says, and no more.

No assertion here is on wall-clock time. Hostile documents (tests/hostile_documents.py) are read
in a child process, each under the reader's own deadline (the --timeout backstop) of 10 s: a linear
reader needs a fraction of a second at these sizes, a quadratic one minutes to hours, so only a
quadratic reader can miss it; the child is killed at 120 s, so a reader stuck in one long regex
(which holds the GIL, so no deadline can fire) fails the test instead of hanging it. Memory is
asserted on as ru_maxrss of a child. The replaced regexes are kept below as the reference that
the linear code must agree with, on short inputs where they are fast.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import hostile_documents
from tests.conftest import DEMO_DOCUMENT, ROOT
from verifier.compose import load_compose
from verifier.compose.model import ComposePort, host_ports, host_ports_text
from verifier.deadline import ReadingDeadline
from verifier.document import MAX_DOCUMENT_BYTES, MAX_DOCUMENT_LINES, read_document
from verifier.errors import InputError

KIB = 1024
READ_BUDGET_S = 10.0  # per document, in the child: 8 x what the slowest kind needs at these sizes
CHILD_LIMIT_S = 120.0


def _run(args: list[str], timeout: float = 60.0, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=cwd or ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    except subprocess.TimeoutExpired:
        pytest.fail(f"killed after {timeout:g} s: {' '.join(args[:6])}")


# --- every hostile kind, read within a budget no quadratic reader meets --------------------------

_READ_EVERY_KIND = """
import json, sys, tempfile
from pathlib import Path
from tests.hostile_documents import KINDS, LONG_LINE_KINDS, largest_allowed
from verifier.deadline import ReadingDeadline, read_document_within
from verifier.errors import InputError

budget, sizes = float(sys.argv[1]), json.loads(sys.argv[2])
folder = Path(tempfile.mkdtemp())
for kind in KINDS:
    for max_bytes, max_lines in sizes["line" if kind in LONG_LINE_KINDS else "block"]:
        path = folder / f"{kind}.md"
        path.write_text(largest_allowed(kind, max_bytes, max_lines), encoding="utf-8")
        try:
            outcome = f"{len(read_document_within(path, ReadingDeadline.after(budget)).services)} services"
        except InputError as error:
            outcome = f"InputError: {error}"
        except Exception as error:
            outcome = f"{type(error).__name__}: {error}"[:300]
        print(json.dumps([kind, path.stat().st_size, outcome]), flush=True)
"""

# Kinds made of long lines at 1 and 2 MiB (their cost is per character), kinds made of many lines at
# 5,000 and 10,000 lines (their cost is per line): two sizes each, the second twice the first. The
# regexes replaced took from 15 s (a comma list of names) to hours (runs of spaces) at 2 MiB.
_SIZES = {"line": [(1024 * KIB, MAX_DOCUMENT_LINES), (2048 * KIB, MAX_DOCUMENT_LINES)],
          "block": [(MAX_DOCUMENT_BYTES, 5_000), (MAX_DOCUMENT_BYTES, 10_000)]}


def test_every_hostile_kind_at_two_sizes_is_read_within_a_budget_no_quadratic_reader_meets():
    result = _run([sys.executable, "-c", _READ_EVERY_KIND, str(READ_BUDGET_S), json.dumps(_SIZES)],
                  timeout=CHILD_LIMIT_S)
    assert result.returncode == 0, result.stderr[-2000:]
    outcomes = [json.loads(line) for line in result.stdout.splitlines()]
    assert {kind for kind, _, _ in outcomes} == set(hostile_documents.KINDS)
    assert len(outcomes) == 2 * len(hostile_documents.KINDS)
    for kind, size, outcome in outcomes:
        # Each kind keeps the demo's four services readable (service-blocks adds its own).
        assert re.fullmatch(r"\d+ services", outcome) and int(outcome.split()[0]) >= 4, (kind, size, outcome)


# --- the largest documents allowed, through the command line --------------------------------------

@pytest.fixture(scope="module")
def largest_documents(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("largest")
    documents = {
        "long lines": hostile_documents.fitting(hostile_documents.every_line_kind, MAX_DOCUMENT_BYTES,
                                                MAX_DOCUMENT_LINES),
        "many lines": hostile_documents.largest_allowed("table-rows", MAX_DOCUMENT_BYTES, MAX_DOCUMENT_LINES),
    }
    paths = {}
    for name, text in documents.items():
        paths[name] = folder / f"{name.replace(' ', '-')}.md"
        paths[name].write_text(text, encoding="utf-8")
        assert paths[name].stat().st_size <= MAX_DOCUMENT_BYTES and text.count("\n") <= MAX_DOCUMENT_LINES
    assert paths["long lines"].stat().st_size > 0.9 * MAX_DOCUMENT_BYTES
    return paths


@pytest.mark.parametrize("which", ["long lines", "many lines"])
def test_lint_reports_on_the_largest_hostile_document_allowed(largest_documents, which):
    result = _run([sys.executable, "-m", "verifier", "lint", str(largest_documents[which]), "--format", "json",
                   "--timeout", "30"])
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["document"]["path"] == str(largest_documents[which])


@pytest.mark.parametrize(("command", "timeout"), [("lint", "0.01"), ("model", "0.01"), ("diff", "0.01"),
                                                   ("check", "0.2")])
def test_a_document_not_read_within_timeout_ends_the_run_in_one_sentence(largest_documents, tmp_path, command,
                                                                        timeout):
    """check finds its stack first (imports included, within the same --timeout), hence 0.2 s there:
    still a tenth of what reading this document takes."""
    document = largest_documents["many lines"]
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  api:\n    image: x\n")
    extra = {"diff": ["-f", str(compose)], "check": ["--project", "bounded-nothing", "--no-exec"]}.get(command, [])
    result = _run([sys.executable, "-m", "verifier", command, str(document), *extra, "--timeout", timeout],
                  cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    size = document.stat().st_size
    assert result.stderr == (f"verifier: {document}: could not be read within {timeout} s ({size:,} bytes); "
                             "allow more time with --timeout SECONDS, or make it smaller\n")


def test_a_document_of_too_many_lines_is_refused_without_parsing_it(tmp_path):
    path = tmp_path / "long.md"
    path.write_text(DEMO_DOCUMENT.read_text() + "x\n" * MAX_DOCUMENT_LINES)
    with pytest.raises(InputError, match=rf"long.md: [\d,]+ lines is too many .*the limit is {MAX_DOCUMENT_LINES:,}"):
        read_document(path)


def _deadline_outcomes() -> list[str]:
    deadline = ReadingDeadline.after(5.0)
    outcomes = [str(deadline.run(lambda: 42, lambda s: "unused"))]
    try:
        deadline.run(lambda: (_ for _ in ()).throw(InputError("not a document")), lambda s: "unused")
    except InputError as error:
        outcomes.append(str(error))
    never = threading.Event()
    started = time.monotonic()
    try:
        ReadingDeadline.after(0.05).run(never.wait, lambda seconds: f"too slow after {seconds:g}")
    except InputError as error:
        outcomes.append(str(error))
    outcomes.append("abandoned at the deadline" if time.monotonic() - started < 5.0 else "waited for")
    never.set()
    return outcomes


_EXPECTED_OUTCOMES = ["42", "not a document", "too slow after 0.05", "abandoned at the deadline"]


def test_the_deadline_in_the_main_thread_interrupts_the_read():
    assert _deadline_outcomes() == _EXPECTED_OUTCOMES


def test_the_deadline_in_another_thread_abandons_the_read():
    outcomes: list[list[str]] = []
    worker = threading.Thread(target=lambda: outcomes.append(_deadline_outcomes()))
    worker.start()
    worker.join(10)
    assert outcomes == [_EXPECTED_OUTCOMES]


# --- compose: a port range is one entry ----------------------------------------------------------

def _compose(tmp_path: Path, ports: list[str]) -> Path:
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  api:\n    image: x\n    ports:\n" + "".join(f'      - "{p}"\n' for p in ports))
    return path


def test_a_port_range_is_read_as_one_entry_and_tested_by_membership(tmp_path):
    ports = load_compose([_compose(tmp_path, ["1-10001:1-10001", "9000-9010:80", "7000-7001"])],
                         environ={}).services["api"].ports
    assert ports == (ComposePort(1, 1, None, "tcp", target_end=10001, published_end=10001),
                     ComposePort(80, 9000, None, "tcp", published_end=9010),
                     ComposePort(7000, None, None, "tcp", target_end=7001))
    assert host_ports(ports, 5000) == (range(5000, 5001),)
    assert host_ports(ports, 80) == (range(80, 81), range(9000, 9011))
    assert host_ports(ports, 7000) == (range(7000, 7001),)  # from 1-10001; 7000-7001 has no known host port
    assert host_ports(ports, 20000) == ()
    assert host_ports_text(host_ports(ports, 80), 80) == "80->80, 9000-9010->80"


def _api_document(tmp_path: Path, external: str) -> Path:
    text = DEMO_DOCUMENT.read_text(encoding="utf-8")
    assert "  - External: 5000:5000\n" in text
    path = tmp_path / "doc.md"
    path.write_text(text.replace("  - External: 5000:5000\n", f"  - External: {external}\n"))
    return path


@pytest.mark.parametrize(("external", "compose_port", "status", "observed"), [
    ("5000:5000", "4990-5010:4990-5010", "pass", "5000->5000"),
    ("5001:5000", "5000-5002:5000", "pass", "5000-5002->5000"),
    ("6000:5000", "5000-5002:5000", "fail", "5000-5002->5000"),
    ("5000:5000", "5001-5010:5001-5010", "fail", "not published"),
])
def test_a_documented_port_is_matched_against_a_published_range(tmp_path, external, compose_port, status, observed):
    from verifier.cli import diff

    report = diff(_api_document(tmp_path, external), [_compose(tmp_path, [compose_port])], "bounded")
    host, container = external.split(":")
    finding = next(f for f in report.findings if f.id == f"api/port.published/{host}:{container}")
    assert (finding.status.value, finding.observed) == (status, observed)


def test_the_live_check_expects_the_first_port_of_a_host_range_the_document_misses(tmp_path):
    from verifier.checks import PortTarget
    from verifier.plan import build_plan

    document = read_document(_api_document(tmp_path, "6000:5000"))
    compose = load_compose([_compose(tmp_path, ["5000-5002:5000"])], environ={}).services["api"]
    check = next(c for c in build_plan(document, {"api": compose}).checks if c.kind == "port.published"
                 and c.service == "api")
    assert check.target == PortTarget(5000, 5000) and "as the compose file says" in check.expected


_PEAK_RSS_OF_CHILD = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # KiB on Linux
print(done.stderr[-1000:], file=sys.stderr)
"""


def test_diff_reads_a_thousand_port_ranges_in_little_memory(tmp_path):
    """Each "1-10001:1-10001" was 10,001 entries: 1,000 of them took 2.3 GB (now about 30 MB)."""
    compose = _compose(tmp_path, [f"10.0.{i // 250}.{i % 250 + 1}:1-10001:1-10001" for i in range(1000)])
    result = _run([sys.executable, "-c", _PEAK_RSS_OF_CHILD, sys.executable, "-m", "verifier", "diff",
                   str(DEMO_DOCUMENT), "-f", str(compose), "--format", "json"])
    code, peak_kib = (int(x) for x in result.stdout.split())
    assert code in (0, 1), result.stderr
    assert peak_kib < 100 * 1024, f"peak RSS {peak_kib / 1024:.0f} MB"


_LOAD_AND_COUNT_PORTS = """
import sys
from pathlib import Path
from verifier.compose import load_compose
print(len(load_compose([Path(p) for p in sys.argv[1:]], environ={}).services["a"].ports))
"""


def test_merging_two_files_of_many_ports_is_linear(tmp_path):
    """Each port of the second file was looked for in a list of the first's: 70,000 x 70,000
    comparisons, about 50 s; now a set, about two seconds, so the child is killed at 30 s."""
    first, second = tmp_path / "compose.yaml", tmp_path / "compose.override.yaml"
    count = 70_000
    first.write_text("services:\n  a:\n    image: x\n    ports: [" + ",".join(
        str(i % 65535 + 1) + ("/udp" if i >= 65535 else "") for i in range(count)) + "]\n")
    second.write_text("services:\n  a:\n    ports: [" + ",".join(
        f"1.2.3.4::{i % 65535 + 1}" + ("/udp" if i >= 65535 else "") for i in range(count)) + "]\n")
    result = _run([sys.executable, "-c", _LOAD_AND_COUNT_PORTS, str(first), str(second)], timeout=30)
    assert result.returncode == 0, result.stderr[-1000:]
    assert int(result.stdout) == 2 * count


@settings(max_examples=300, deadline=None)
@given(base=st.lists(st.sampled_from([1, 1.0, True, "1", "a", None, {"a": 1}, {"a": 1.0}, ["x"], [1]])),
       update=st.lists(st.sampled_from([1, "1", "b", None, {"a": 1}, {"a": 2}, ["x"], [2]])))
def test_concatenated_lists_keep_what_the_item_by_item_scan_kept(base, update):
    from verifier.compose.merge import _concatenated

    assert _concatenated(base, update) == base + [item for item in update if item not in base]


# --- compose: what YAML aliases, extends and numbers could expand to ------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ('x-big: &a "' + "x" * 100_000 + '"\nservices:\n  a:\n    image: x\n    x-list: [' + ", ".join(["*a"] * 200)
     + "]\n", "characters of text"),
    ("services:\n  a:\n    image: x\n    x-deep: " + "[" * 900 + "]" * 900 + "\n", "nests more than 64 levels"),
    ("services:\n  a:\n    image: x\n    x-n: " + "1" * 5000 + "\n", "a number of more than 1,000 digits"),
    ('services:\n  a:\n    image: x\n    ports: ["' + "1" * 5000 + '"]\n', "port out of range"),
    ('services:\n  a:\n    image: x\n    mem_limit: "' + "9" * 400 + 'm"\n', "is not a size"),
    ("services:\n  base:\n    image: x\n    environment:\n" + "".join(f"      V{i}: x\n" for i in range(2000))
     + "".join(f"  s{i}:\n    extends: base\n" for i in range(200)), "expand to more than 200,000 values"),
])
def test_compose_input_that_would_expand_is_refused_in_one_sentence(tmp_path, text, message):
    path = tmp_path / "compose.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(message)) as refused:
        load_compose([path], environ={})
    assert str(path) in str(refused.value) and len(str(refused.value)) < 400


# --- the linear code agrees with the regexes it replaced -------------------------------------------

_PIECES = st.sampled_from([" ", "  ", "\t", "\u00a0", "a", "Z", "1", "80", ":", ": ", "-", "–", ".", ",", "(",
                           ")", "(x)", "[", "]", "<", ">", "#", " # ", "=", "|", "*", "**", "`", "→", "->", "=>",
                           " or ", "and", "/", "@", "$", "http://", "a:5000", "123456", "latency",
                           " response time", "Variables", "variable"])
_TEXT = st.lists(_PIECES, max_size=12).map("".join)


def _groups(pattern: str, flags: int = 0):
    compiled = re.compile(pattern, flags)

    def found(text: str, *names: str):
        match = compiled.match(text)
        return None if match is None else tuple(match.group(n) for n in names)
    return found


_OLD_KEY_VALUE = _groups(r"^(?P<key>[A-Za-z][\w .()/-]*?)\s*:(?:\s+(?P<value>.*))?$")
_OLD_ARROW = _groups(r"^(?P<source>.+?)\s*(?:→|->|=>|⟶)\s*(?P<target>.+?)\s*(?:\((?P<remark>.*)\))?\s*$")
_OLD_GROUP = _groups(r"^\s*#\s*(?P<label>[^=]+?)\s*$")
_OLD_PLACEHOLDER = re.compile(r"^\s*(\[[^\]]*\]|<[^>]*>)\s*(\(.*\))?\s*$")
_OLD_HOST_PORT = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?(?P<host>[A-Za-z0-9_.-]+):(?P<port>\d{1,5})\b")


@settings(max_examples=400, deadline=None)
@given(text=_TEXT)
def test_linear_readers_agree_with_the_regexes_they_replace(text):
    from verifier.reading import env_section, links, nfr, resolve, services, yamlish
    from verifier.reading import text as values

    old = _OLD_KEY_VALUE(text, "key", "value")
    assert yamlish.split_key(text) == ((None, text) if old is None else (old[0].strip(), (old[1] or "").strip()))
    old = _OLD_ARROW(text, "source", "target")
    assert links.split_arrow(text) == old
    host = _OLD_HOST_PORT.search(text)
    new_host = links._HOST_PORT.search(text)
    assert (host and host.group("host", "port")) == (new_host and new_host.group("host", "port"))
    old, new = _OLD_GROUP(text, "label"), env_section._group_label(text)
    assert (old is None, old and old[0].strip()) == (new is None, new and new.strip())
    assert env_section._without_variables(text) == re.sub(r"(?i)\s*variables?.*$", "", text)
    assert bool(_OLD_PLACEHOLDER.match(text)) == bool(values._PLACEHOLDER.match(text))
    old_remark = re.sub(r"\s*\([^()]*\)\s*$", "", re.sub(r"\s+#.*$", "", text)).strip().strip("`'\" ")
    assert values.without_remark(text) == old_remark
    assert resolve._without_parentheses(text) == re.sub(r"\s*\((.*?)\)\s*", " ", text)
    assert resolve._MEASURE_SUFFIX.sub("", text) == re.sub(
        r"\s+(response|load|query|request)\s+time.*$|\s+latency.*$", "", text, flags=re.IGNORECASE)
    assert nfr._LIST_SEPARATOR.split(text) == re.split(r"\s*(?:/|,|\band\b|&|\+)\s*", text)
    assert services.split_outside_parentheses(text) == re.split(r",(?![^(]*\))", text)
    assert services._SPACED_ARROW.split(text) == re.split(r"\s+(?:→|->)\s+", text)
    assert services._SPACED_DASH.split(text) == re.split(r"\s+[-–—:]\s+", text)
    assert services._ALTERNATIVES.split(text) == re.split(r"\s+or\s+|\s*\|\s*|,\s*", text)


@settings(max_examples=200, deadline=None)
@given(text=st.lists(st.sampled_from(["(", ")", "a", " ", "\n", "(x)"]), max_size=14).map("".join))
def test_parentheses_are_dropped_as_the_regex_did_across_lines(text):
    from verifier.reading import resolve

    assert resolve._without_parentheses(text) == re.sub(r"\s*\((.*?)\)\s*", " ", text)
