"""Every report format from one real run on the demo drift stack, and the nightly comparison."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tests.conftest import DEMO_COMPOSE, DEMO_SECRETS, DRIFT_OVERRIDE, ROOT, free_port
from tests.headless import load_page

SCHEMAS = Path(__file__).parent / "schemas"
FILES = {"terminal": "report.txt", "json": "report.json", "markdown": "report.md", "junit": "report.xml",
         "sarif": "report.sarif", "html": "report.html"}


def verifier(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verifier", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=180)


@pytest.fixture(scope="module")
def drift_run(tmp_path_factory, start_module_stack):
    """One check of the drift stack, every format written at once, both layers (the compose files given)."""
    drift_port = free_port()
    stack = start_module_stack(DRIFT_OVERRIDE, extra_env={"DEMO_API_DRIFT_PORT": str(drift_port)})
    env = {**stack.environment, "DEMO_API_DRIFT_PORT": str(drift_port)}
    out = tmp_path_factory.mktemp("reports")
    outputs = [arg for name, file in FILES.items() for arg in ("--output", f"{name}={out / file}")]
    result = verifier("check", str(stack.document), "--project", stack.project, "--compose", str(DEMO_COMPOSE),
                      "--compose", str(DRIFT_OVERRIDE), "--format", "json", *outputs, env=env)
    return stack, env, out, result


def test_every_format_is_written_in_one_run(drift_run):
    _, _, out, result = drift_run
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout) == json.loads((out / FILES["json"]).read_text())
    assert "NOT CONFORMANT" in (out / FILES["terminal"]).read_text()


def test_junit_and_sarif_validate_against_their_schemas(drift_run):
    import jsonschema
    import xmlschema

    _, _, out, _ = drift_run
    xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd")).validate(str(out / FILES["junit"]))
    schema = json.loads((SCHEMAS / "sarif-2.1.0.schema.json").read_text())
    log = json.loads((out / FILES["sarif"]).read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    lines = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in log["runs"][0]["results"]}
    assert 188 in lines  # web's API_URL, on the document's own line


def test_markdown_links_the_document_lines_and_draws_the_graph(drift_run):
    stack, _, out, _ = drift_run
    text = (out / FILES["markdown"]).read_text()
    assert "```mermaid" in text and "class s2 fail" in text  # web, the third service, drifted
    link = f"{Path(stack.document).name}#L188"
    assert link in text


def test_the_html_page_renders_its_graph_without_console_errors(drift_run):
    _, _, out, _ = drift_run
    page = load_page(out / FILES["html"], out / "report.png")
    assert page.console_errors == ()
    assert page.title.startswith("Deployment verification")
    # The graph is in the picture: postgres, which conforms, is the only thing filled with the pass green.
    green = _pixels_of((out / "report.png").read_bytes(), (0xD4, 0xF7, 0xDC))
    assert green > 180 * 56 // 2
    assert "<svg" in (out / FILES["html"]).read_text()
    assert "<script" not in (out / FILES["html"]).read_text()


def test_no_secret_in_any_format(drift_run):
    _, _, out, result = drift_run
    everything = result.stdout + result.stderr + "".join((out / f).read_text() for f in FILES.values())
    assert "POSTGRES_PASSWORD" in everything
    for secret in DEMO_SECRETS:
        assert secret not in everything


def test_a_nightly_comparison_tells_new_from_still_failing_and_resolved(drift_run, tmp_path):
    stack, env, out, _ = drift_run
    previous = json.loads((out / FILES["json"]).read_text())
    previous["started_at"] = "2026-11-25T02:00:00.000+00:00"
    # Yesterday the API_URL finding was not there yet, and a restart policy drifted that is fine now.
    previous["findings"] = [f for f in previous["findings"] if f["id"] != "web/env.present/API_URL"]
    previous["findings"].append({**previous["findings"][0], "id": "web/restart.policy", "check": "restart.policy",
                                 "service": "web", "status": "fail", "layer": "live", "observed": "always"})
    baseline = tmp_path / "yesterday.json"
    baseline.write_text(json.dumps(previous))
    arguments = ("check", str(stack.document), "--project", stack.project, "--compose", str(DEMO_COMPOSE),
                 "--compose", str(DRIFT_OVERRIDE), "--baseline", str(baseline))
    result = verifier(*arguments, "--format", "json", env=env)
    report = json.loads(result.stdout)
    changes = {(f["layer"], f["id"]): f.get("change") for f in report["findings"] if f["status"] != "pass"}
    assert changes[("compose", "web/env.present/API_URL")] == "new"  # the drift override removed it
    assert changes[("live", "neuron/http.health/GET /health")] == "still failing"
    assert [f["id"] for f in report["comparison"]["resolved"]] == ["web/restart.policy"]
    assert "1 resolved since 2026-11-25T02:00:00.000+00:00" in report["comparison"]["summary"]
    assert verifier(*arguments, "--fail-on", "new", env=env).returncode == 1  # API_URL is new drift
    unchanged = tmp_path / "unchanged.json"
    unchanged.write_text((out / FILES["json"]).read_text())
    quiet = verifier(*arguments[:-1], str(unchanged), "--fail-on", "new", "--quiet", env=env)
    assert quiet.returncode == 0, quiet.stdout  # the same drift as last night: not new
    assert "PASS" not in quiet.stdout and "0 new" in quiet.stdout.splitlines()[-1]


def test_a_baseline_that_is_not_a_report_is_one_sentence_and_exit_2(tmp_path):
    not_a_report = tmp_path / "notes.json"
    not_a_report.write_text('{"hello": 1}')
    result = verifier("lint", str(ROOT / "compose-fixtures" / "demo" / "deployment-architecture.md"),
                      "--baseline", str(not_a_report))
    assert result.returncode == 2
    assert result.stderr.strip() == f"verifier: {not_a_report}: not a verifier JSON report (verifier.report/v1); " \
                                    "write one with --output json=PATH"
    assert io.StringIO(result.stderr).read().count("\n") == 1


def _pixels_of(png: bytes, color: tuple[int, int, int]) -> int:
    """How many pixels of an 8-bit RGB or RGBA PNG (what Chromium writes) have exactly this color."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    position, chunks = 8, {}
    while position < len(png):
        length = int.from_bytes(png[position:position + 4], "big")
        kind = png[position + 4:position + 8]
        chunks.setdefault(kind, []).append(png[position + 8:position + 8 + length])
        position += length + 12
    header = chunks[b"IHDR"][0]
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, color_type, interlace = header[8], header[9], header[12]
    assert depth == 8 and color_type in (2, 6) and interlace == 0, "an 8-bit, non-interlaced RGB(A) PNG"
    size = 3 if color_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
    stride, previous, count = width * size, bytearray(width * size), 0
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                nearest = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[i] = (line[i] + nearest[2]) & 0xFF
        count += sum(1 for x in range(0, stride, size) if tuple(line[x:x + 3]) == color)
        previous = line
    return count
