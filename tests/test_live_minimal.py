"""A service whose image has no shell at all, on an unpublished port: seen from inside its namespace."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT

FIXTURE = ROOT / "compose-fixtures" / "minimal"


@pytest.fixture(scope="module")
def project() -> Iterator[str]:
    name = f"vt-{uuid.uuid4().hex[:8]}"
    compose = ["docker", "compose", "-f", str(FIXTURE / "compose.yaml"), "-p", name]
    try:
        subprocess.run([*compose, "up", "-d", "--wait"], check=True, capture_output=True, timeout=120)
        yield name
    finally:
        subprocess.run([*compose, "down", "-v", "-t", "1"], capture_output=True, timeout=120)


def check(project: str, *extra: str) -> tuple[int, dict[str, dict]]:
    result = subprocess.run([sys.executable, "-m", "verifier", "check", str(FIXTURE / "deployment-architecture.md"),
                             "-p", project, "--format", "json", *extra], capture_output=True, text=True,
                            cwd=ROOT, env=dict(os.environ), timeout=120)
    assert result.stderr == ""
    return result.returncode, {f["id"]: f for f in json.loads(result.stdout)["findings"]}


def test_a_shell_less_service_is_checked_from_inside_its_network(project):
    code, findings = check(project)
    # A scratch image cannot run a Docker healthcheck; the compose file beside the document has none,
    # which is drift against the documented health check, and is the only drift here.
    assert code == 1
    assert {(i, f["layer"], f["status"]) for i, f in findings.items() if f["status"] != "pass"} == {
        ("bare/healthcheck.config/defined", "compose", "fail"), ("bare/container.health", "live", "warn"),
        ("bare/healthcheck.config/command", "live", "skip")}
    listening = findings["bare/port.listening/8080"]
    assert listening["status"] == "pass" and "probe container" in listening["message"]
    health = findings["bare/http.health/GET /health"]
    assert health["status"] == "pass" and "bare's address on its network" in health["message"]
    assert health["observed"] == '200 with ""status":"ok"" in the body'
    assert findings["client/dependency.reachable/bare"]["status"] == "pass"
    leftovers = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=verifier.probe={project}"],
                               capture_output=True, text=True, check=True).stdout.split()
    assert leftovers == []  # the probe containers are gone once the run ends


def test_no_exec_skips_what_needs_the_inside_and_says_why(project):
    code, findings = check(project, "--no-exec")
    for finding_id in ("bare/port.listening/8080", "bare/http.health/GET /health", "client/dependency.reachable/bare"):
        assert findings[finding_id]["status"] == "skip"
        assert "--no-exec" in findings[finding_id]["message"]


def test_sigterm_mid_run_removes_the_probe_containers(project, tmp_path):
    """Terminated while a probe container looks into `bare`: it ends at once, says so, and leaves nothing."""
    import signal
    import time

    document = tmp_path / "deployment-architecture.md"  # bare documented on a port it never listens on
    document.write_text((FIXTURE / "deployment-architecture.md").read_text().replace("Internal: 8080", "Internal: 8099"))
    verifier = subprocess.Popen([sys.executable, "-m", "verifier", "check", str(document), "-p", project,
                                 "--wait", "120", "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=ROOT)
    try:
        for _ in range(600):  # the wait mode starts a probe container every round; catch one running
            if probe_containers(project, "--filter", "status=running"):
                break
            time.sleep(0.05)
        else:
            pytest.fail("no probe container was seen running")
        verifier.send_signal(signal.SIGTERM)
        _, err = verifier.communicate(timeout=60)
    finally:
        verifier.kill()
    assert verifier.returncode == 143
    assert err.strip() == "verifier: terminated"
    assert probe_containers(project) == []


def probe_containers(project: str, *filters: str) -> list[str]:
    return subprocess.run(["docker", "ps", "-aq", "--filter", f"label=verifier.probe={project}", *filters],
                          capture_output=True, text=True, check=True).stdout.split()
