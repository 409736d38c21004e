"""The compose layer: documented services matched to compose services, and `verifier diff`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import DEMO_COMPOSE, DEMO_DOCUMENT, DRIFT_OVERRIDE, ROOT
from verifier.compose import load_compose
from verifier.compose_checks import compose_findings
from verifier.document import read_document
from verifier.mapping import map_services


def verifier(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verifier", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=60)


def compose_file(tmp_path: Path, text: str) -> Path:
    (tmp_path / "engine").mkdir(exist_ok=True)
    path = tmp_path / "compose.yaml"
    path.write_text(text)
    return path


DOC = """## Service Specifications
### Backend API (engine/)
```yaml
Service Name: backend
Build:
  - Context: ./engine
```
### Cache
```yaml
Service Name: cache
Image: redis:7
```
"""


def test_services_are_matched_by_name_then_folder_then_image(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(DOC)
    compose = compose_file(tmp_path, "services:\n  api:\n    build: ./engine\n  kv:\n    image: redis:7\n"
                                     "  worker:\n    image: busybox\n")
    mapping = map_services(read_document(doc), load_compose([compose], environ={}))
    assert [(m.documented.name, m.compose.name if m.compose else None, m.how) for m in mapping.matches] == [
        ("backend", "api", "folder"), ("cache", "kv", "image")]
    assert [s.name for s in mapping.undocumented] == ["worker"]


def test_an_undocumented_service_points_at_where_the_services_are_specified(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(DOC)
    compose = compose_file(tmp_path, "services:\n  api:\n    build: ./engine\n  kv:\n    image: redis:7\n"
                                     "  worker:\n    image: busybox\n")
    findings = compose_findings(read_document(doc), load_compose([compose], environ={}),
                                map_services(read_document(doc), load_compose([compose], environ={})))
    (undocumented,) = [f for f in findings if f.check == "service.undocumented"]
    first = min(s.line for s in read_document(doc).services)
    assert first > 1 and undocumented.source.line == first
    assert f"specified from line {first}" in undocumented.message


def test_two_candidates_are_a_finding_not_a_guess(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(DOC)
    compose = compose_file(tmp_path, "services:\n  api:\n    build: ./engine\n  kv:\n    image: redis:7\n"
                                     "  kv2:\n    image: redis:7\n")
    result = verifier("diff", str(doc), "--compose", str(compose), "--format", "json")
    assert result.returncode == 1, result.stderr
    findings = {f["id"]: f for f in json.loads(result.stdout)["findings"]}
    assert findings["cache/service.missing"]["status"] == "fail"
    assert findings["cache/service.missing"]["observed"] == "kv, kv2"
    assert "service.undocumented" not in {f["check"] for f in findings.values()}


def test_diff_reports_the_drift_override_without_an_engine():
    result = verifier("diff", str(DEMO_DOCUMENT), "-f", str(DEMO_COMPOSE), "-f", str(DRIFT_OVERRIDE),
                      "--format", "json", env={"DOCKER_HOST": "unix:///nonexistent.sock"})
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    failing = {(f["layer"], f["id"], f["observed"]) for f in report["findings"] if f["status"] != "pass"}
    assert failing == {
        ("compose", "api/port.published/5000:5000", "5001->5000"),
        ("compose", "web/env.present/API_URL", "not set"),
        ("compose", "neuron/env.value/ENGINE_INTERNAL_API_URL", "http://api:5000/api/missing"),
    }
    everything = result.stdout + result.stderr
    assert "demo-pg-password-7f3a91" not in everything and "demo-jwt-secret-c2d84e" not in everything


def test_diff_of_the_demo_against_its_own_compose_file_passes():
    result = verifier("diff", str(DEMO_DOCUMENT), "-f", str(DEMO_COMPOSE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "compose layer: No drift" in result.stdout


def test_in_production_a_dev_only_port_the_compose_file_publishes_is_drift():
    result = verifier("diff", str(DEMO_DOCUMENT), "-f", str(DEMO_COMPOSE), "--environment", "prod", "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["target"]["environment"] == "production"
    drift = [(f["id"], f["expected"], f["source"]["line"]) for f in report["findings"] if f["status"] != "pass"]
    assert drift == [("postgres/port.exposure/5432", "5432 not published in production", 111)]


def test_an_unknown_environment_is_a_usage_error():
    result = verifier("diff", str(DEMO_DOCUMENT), "--environment", "qa")
    assert result.returncode == 2
    assert "unknown environment 'qa'" in result.stderr


def test_malformed_compose_files_give_one_sentence_and_exit_2():
    bad = ROOT / "compose-fixtures" / "syntax-bad"
    for case in ("alias-bomb", "yaml-syntax-error", "required-variable-unset", "unknown-top-level-key"):
        started = time.monotonic()
        files = json.loads((bad / case / "case.json").read_text())["files"]
        result = verifier("diff", str(DEMO_DOCUMENT), *[a for f in files for a in ("-f", str(bad / case / f))])
        assert time.monotonic() - started < 20
        assert result.returncode == 2, (case, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("verifier: ") and "Traceback" not in result.stderr, case


def test_a_dependency_on_another_network_is_compose_drift(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("## Service Specifications\n```\nService Name: api\nDependencies:\n  - postgres (wait for healthy)\n"
                   "```\n```\nService Name: postgres\n```\n")
    compose = compose_file(tmp_path, "services:\n  api:\n    image: x\n    networks: [back]\n"
                                     "    depends_on: {postgres: {condition: service_healthy}}\n"
                                     "  postgres:\n    image: y\n    networks: [db]\n"
                                     "networks:\n  back: {}\n  db: {}\n")
    result = verifier("diff", str(doc), "-f", str(compose), "--format", "json")
    failing = {(f["id"], f["observed"], f["source"]["line"]) for f in json.loads(result.stdout)["findings"]
               if f["status"] == "fail"}
    assert failing == {("api/dependency.network/postgres", "back vs db", 5)}


def test_the_compose_hash_step_is_bounded_by_the_time_it_is_given(tmp_path):
    from verifier.cli import _hash_seconds
    from verifier.redeploy import compose_hashes

    compose = compose_file(tmp_path, "services:\n  api:\n    image: busybox\n")
    assert compose_hashes(load_compose([compose], environ={}), {"PATH": "/usr/bin:/bin"}, timeout=0.001) is None
    assert _hash_seconds(time.monotonic(), 3.0) <= 3.0 and _hash_seconds(time.monotonic() - 60, 3.0) == 0.1
