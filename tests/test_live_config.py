"""The configuration checks on a real container: limits, restart policy, volume, env value, exposure."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, wait_for_containers

FIXTURE = ROOT / "compose-fixtures" / "config"
DOCUMENT = FIXTURE / "deployment-architecture.md"


@pytest.fixture
def worker_stack() -> Iterator:
    started: list[tuple[str, list[str], dict[str, str]]] = []

    def start(*overrides: Path, env: dict[str, str] | None = None) -> str:
        project = f"vt-{uuid.uuid4().hex[:8]}"
        files = [arg for f in (FIXTURE / "compose.yaml", *overrides) for arg in ("-f", str(f))]
        environment = {**os.environ, **(env or {})}
        started.append((project, files, environment))
        subprocess.run(["docker", "compose", *files, "-p", project, "up", "-d", "--wait"], check=True,
                       capture_output=True, env=environment, timeout=120)
        return project

    yield start
    for project, files, environment in started:
        subprocess.run(["docker", "compose", *files, "-p", project, "down", "-v", "-t", "1"],
                       capture_output=True, env=environment, timeout=120)


def check(project: str) -> tuple[int, dict]:
    result = subprocess.run([sys.executable, "-m", "verifier", "check", str(DOCUMENT), "-p", project,
                             "--format", "json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.stderr == ""
    return result.returncode, json.loads(result.stdout)


def test_configuration_as_documented_passes(worker_stack):
    code, report = check(worker_stack())
    assert code == 0, [f for f in report["findings"] if f["status"] != "pass"]
    kinds = {f["check"] for f in report["findings"]}
    assert {"limits.cpu", "limits.memory", "restart.policy", "volume.mount", "env.value", "port.exposure",
            "image"} <= kinds


def test_every_configuration_drift_is_found_on_its_line(worker_stack):
    port = free_port()
    project = worker_stack(FIXTURE / "drift.override.yaml", env={"CONFIG_WORKER_PORT": str(port)})
    code, report = check(project)
    assert code == 1
    drift = {(f["id"], f["observed"], f["source"]["line"]) for f in report["findings"] if f["status"] != "pass"}
    assert drift == {
        ("worker/port.exposure/8080", f"published on 127.0.0.1:{port}", 12),
        ("worker/env.value/MODE", "stream", 15),
        ("worker/restart.policy", "always", 17),
        ("worker/limits.cpu", "1 CPUs", 19),
        ("worker/limits.memory", "536870912 bytes", 19),
        ("worker/volume.mount//data", "not mounted", 24),
        ("worker/healthcheck.config", "interval 2s, timeout 2s, retries 3, start period 1s", 27),
        # compose.yaml beside the document is found: the container was not created from it
        ("worker/container.outdated", "created from an older definition", 8),
    }
    assert {f["layer"] for f in report["findings"] if f["status"] != "pass"} == {"live"}


def _start_without_waiting(worker_stack_files: list[Path], project: str) -> None:
    files = [arg for f in worker_stack_files for arg in ("-f", str(f))]
    subprocess.run(["docker", "compose", *files, "-p", project, "up", "-d"], check=True, capture_output=True,
                   timeout=120)


def test_crash_looping_and_oom_killed_services_are_named_as_such():
    started = []
    try:
        for override, ready in (("crashloop.override.yaml", lambda states: states[0]["RestartCount"] >= 3),
                                ("oom.override.yaml", lambda states: states[0]["State"]["Status"] == "exited")):
            project = f"vt-{uuid.uuid4().hex[:8]}"
            files = [FIXTURE / "compose.yaml", FIXTURE / override]
            started.append((project, files))
            _start_without_waiting(files, project)
            wait_for_containers(project, ready, timeout=60)
        (crashing, _), (oom, _) = started
        code, report = check(crashing)
        running = next(f for f in report["findings"] if f["id"] == "worker/container.running")
        # Caught between restarts it is "running" for an instant: a warning that says how often it restarted.
        assert (running["status"], "restart" in running["observed"]) in {("fail", True), ("warn", True)}
        waited = subprocess.run([sys.executable, "-m", "verifier", "check", str(DOCUMENT), "-p", crashing,
                                 "--wait", "300", "--format", "json"], capture_output=True, text=True, cwd=ROOT,
                                timeout=200)
        assert "crash-looping" in waited.stdout
        code, report = check(oom)
        running = next(f for f in report["findings"] if f["id"] == "worker/container.running")
        assert running["status"] == "fail"
        assert running["observed"] == "exited (code 137, killed for using too much memory)"
    finally:
        for project, files in started:
            flags = [arg for f in files for arg in ("-f", str(f))]
            subprocess.run(["docker", "compose", *flags, "-p", project, "down", "-v", "-t", "1"],
                           capture_output=True, timeout=120)


UNMET_DOCUMENT = """# Deployment Architecture

## Service Specifications

### Batch Worker (worker/)

```yaml
Service Name: worker
Image: verifier-probe:1

Ports:
  - External: {port}:8080
  - Internal: 9090

Dependencies:
  - ghost (must be running)

Health Check:
  - Endpoint: GET /
  - Expected Status: 200
```

### Ghost

```yaml
Service Name: ghost
Image: verifier-fixture-base:bookworm

Ports:
  - Internal: 7000
```

## Non-Functional Requirements

- **Worker Response Time:** p95 < 0.01ms
"""


def test_what_the_running_worker_does_not_do_is_found(worker_stack, tmp_path):
    """The image it runs, a port it does not listen on, a dependency that is not there, a latency it misses."""
    port = free_port()
    project = worker_stack(FIXTURE / "drift.override.yaml", env={"CONFIG_WORKER_PORT": str(port)})
    document = tmp_path / "deployment-architecture.md"
    document.write_text(UNMET_DOCUMENT.format(port=port))
    result = subprocess.run([sys.executable, "-m", "verifier", "check", str(document), "-p", project,
                             "--format", "json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1, result.stderr
    findings = {f["id"]: f for f in json.loads(result.stdout)["findings"]}
    unmet = {(i, f["status"]) for i, f in findings.items() if f["status"] not in ("pass", "skip")}
    assert unmet == {
        ("worker/image", "fail"),
        ("worker/port.listening/9090", "fail"),
        ("worker/dependency.reachable/ghost", "fail"),
        ("worker/nfr.latency", "fail"),
        ("ghost/service.missing", "fail"),
        ("worker/healthcheck.config/command", "warn"),  # its healthcheck opens a socket; it requests no path
    }
    assert findings["worker/image"]["observed"] == "verifier-fixture-base:bookworm"
    assert findings["worker/nfr.latency"]["observed"].startswith("p50 ")
    assert findings["worker/http.health/GET /"]["status"] == "pass"
    assert findings["worker/port.listening/8080"]["status"] == "pass"
