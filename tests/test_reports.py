"""Every report format on one fixed report, held to a golden file; JUnit and SARIF to their schemas.

After a deliberate change of a format: UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_reports.py
and read the diff of tests/golden/ before committing it.
"""
from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path
from types import MappingProxyType

import pytest

from reports import RENDERERS, RenderOptions
from verifier.findings import Change, Comparison, Finding, Report, ServiceNode, SourceRef, Status, Target

GOLDEN = Path(__file__).parent / "golden"
SCHEMAS = Path(__file__).parent / "schemas"
DOCUMENT = "docs/deployment-architecture.md"
SUFFIX = {"terminal": "txt", "json": "json", "markdown": "md", "junit": "xml", "sarif": "sarif", "html": "html"}


def finding(finding_id: str, status: Status, line: int, layer: str = "live", expected: str = "ok",
            observed: str = "ok", message: str = "as documented") -> Finding:
    service, check = finding_id.split("/")[:2]
    return Finding(finding_id, check, service, status, expected, observed, message, SourceRef(DOCUMENT, line),
                   layer, 12.5, 1)


FINDINGS = (
    finding("postgres/postgres.ready", Status.PASS, 104, observed="accepting connections; SELECT 1 answers"),
    finding("api/port.published/5000:5000", Status.FAIL, 142, expected="5000->5000/tcp", observed="5001->5000/tcp",
            message="api publishes 5000 on 5001 <not 5000> & \"quoted\" | piped"),
    finding("api/port.published/5000:5000", Status.FAIL, 142, layer="compose", expected="5000->5000",
            observed="5001->5000", message="the document says 5000, the compose file says 5001"),
    finding("web/env.present/API_URL", Status.WARN, 188, expected="set", observed="not set",
            message="API_URL is not set in verifier-demo-web-1"),
    finding("web/env.value/API_URL", Status.SKIP, 188, observed="not checked",
            message="skipped because web/env.present/API_URL is warn"),
    finding("neuron/http.health/GET /health", Status.ERROR, 229, expected="200", observed="timed out",
            message="the run's --timeout ended before this check finished"),
    Finding("api/doc.placeholder/port", "doc.placeholder", "api", Status.WARN, "a value", "[e.g., 5000]",
            "the template's placeholder is still there", SourceRef(DOCUMENT, 30), "document", 0.0, 0),
)
SERVICES = (
    ServiceNode("postgres", 100, ("5432->5432",), ()),
    ServiceNode("api", 138, ("5000->5000",), ("postgres",)),
    ServiceNode("web", 180, ("3000->80",), ("api",)),
    ServiceNode("neuron", 215, (), ("api", "postgres")),
)
RESOLVED = finding("web/restart.policy", Status.FAIL, 190, expected="unless-stopped", observed="always")


def fixed_report(compared: bool = True) -> Report:
    comparison = Comparison(
        "nightly/2026-11-25.json", "2026-11-25T02:00:00.000+00:00",
        MappingProxyType({FINDINGS[1].key: Change.NEW, FINDINGS[2].key: Change.STILL, FINDINGS[3].key: Change.STILL,
                          FINDINGS[5].key: Change.NEW, FINDINGS[6].key: Change.STILL}),
        (RESOLVED,))
    return Report("0.1.0", DOCUMENT, "0" * 64,
                  Target("compose", "shop", "unix:///var/run/docker.sock", ("compose.yaml",), "staging"),
                  "2026-11-26T02:00:00.000+00:00", 1234.5, FINDINGS, SERVICES,
                  comparison if compared else None)


def rendered(format_name: str, quiet: bool = False) -> str:
    stream = io.StringIO()
    RENDERERS[format_name](fixed_report(), stream, RenderOptions(quiet=quiet))
    return stream.getvalue()


@pytest.mark.parametrize("format_name", sorted(SUFFIX))
def test_each_format_matches_its_golden_file(format_name):
    text = rendered(format_name)
    golden = GOLDEN / f"report.{SUFFIX[format_name]}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text(), f"{golden} differs (UPDATE_GOLDEN=1 after a deliberate change)"


def test_every_registered_format_has_a_golden_file():
    assert set(RENDERERS) == set(SUFFIX)


def test_junit_validates_against_the_junit_schema():
    import xmlschema

    schema = xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))
    schema.validate(io.StringIO(rendered("junit")))


def test_junit_names_each_testcase_by_its_finding_id_and_classes_it_by_layer():
    import xml.etree.ElementTree as ET

    root = ET.fromstring(rendered("junit"))
    cases = {(case.get("classname"), case.get("name")): case for case in root.iter("testcase")}
    failed = cases[("live.api", "api/port.published/5000:5000")]
    assert failed.find("failure").get("message") == "expected 5000->5000/tcp, observed 5001->5000/tcp"
    assert cases[("live.neuron", "neuron/http.health/GET /health")].find("error") is not None
    assert cases[("live.web", "web/env.value/API_URL")].find("skipped") is not None
    assert root.get("tests") == "7" and root.get("failures") == "2" and root.get("errors") == "1"


def test_sarif_validates_against_the_sarif_schema_and_points_at_document_lines():
    import jsonschema

    log = json.loads(rendered("sarif"))
    schema = json.loads((SCHEMAS / "sarif-2.1.0.schema.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    results = log["runs"][0]["results"]
    assert len(results) == 5  # fail, fail, warn, error, warn: never pass or skip
    located = {(r["partialFingerprints"]["verifierFindingId/v1"], r["properties"]["layer"]):
               r["locations"][0]["physicalLocation"] for r in results}
    where = located[("api/port.published/5000:5000", "live")]
    assert where == {"artifactLocation": {"uri": DOCUMENT, "uriBaseId": "SRCROOT"}, "region": {"startLine": 142}}


def test_markdown_links_lines_and_draws_the_dependency_graph():
    text = rendered("markdown")
    assert f"[L142]({DOCUMENT}#L142)" in text
    assert "```mermaid" in text and "s1 --> s0" in text and "class s1 fail" in text
    assert "1 resolved since 2026-11-25T02:00:00.000+00:00" in text


def test_quiet_shows_only_what_did_not_pass_and_the_verdict():
    text = rendered("terminal", quiet=True)
    assert "postgres.ready" not in text
    assert "port.published" in text and "NOT CONFORMANT" in text.splitlines()[-1]


def test_the_nightly_summary_counts_new_still_failing_and_resolved():
    assert fixed_report().comparison.summary() == (
        "2 new, 3 still failing, 1 resolved since 2026-11-25T02:00:00.000+00:00")


def test_sarif_says_the_run_was_not_successful_only_when_a_check_could_not_run():
    with_error = fixed_report()
    assert any(f.status is Status.ERROR for f in with_error.findings)
    without = dataclasses.replace(with_error, findings=tuple(f for f in with_error.findings
                                                             if f.status is not Status.ERROR))
    for report, successful in ((with_error, False), (without, True)):
        stream = io.StringIO()
        RENDERERS["sarif"](report, stream, RenderOptions())
        assert json.loads(stream.getvalue())["runs"][0]["invocations"][0]["executionSuccessful"] is successful
