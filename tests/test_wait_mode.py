"""Wait mode on real stacks: it sees a stack come up, and it gives up early on one that cannot."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

from tests.conftest import (
    DEMO_COMPOSE,
    DEMO_PORT_VARIABLES,
    ROOT,
    demo_document_with_ports,
    free_port,
)

CONFIG = ROOT / "compose-fixtures" / "config"


def compose(files: list, project: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    flags = [a for f in files for a in ("-f", str(f))]
    return subprocess.run(["docker", "compose", *flags, "--project-directory", str(files[0].parent), "-p", project,
                           *args], capture_output=True, text=True, env=env, timeout=300)


def test_wait_sees_the_stack_come_up_and_exits_0(tmp_path):
    ports = {documented: free_port() for documented in DEMO_PORT_VARIABLES}
    env = {**os.environ, **{DEMO_PORT_VARIABLES[d]: str(p) for d, p in ports.items()}}
    document = demo_document_with_ports(ports, tmp_path)
    project = f"vt-{uuid.uuid4().hex[:8]}"
    verifier = subprocess.Popen([sys.executable, "-m", "verifier", "check", str(document), "-p", project,
                                 "--wait", "180", "--format", "json"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        up = compose([DEMO_COMPOSE], project, "up", "-d", env=env)
        assert up.returncode == 0, up.stderr
        out, err = verifier.communicate(timeout=240)
        assert verifier.returncode == 0, out[-2000:] + err
        report = json.loads(out)
        assert report["summary"]["conformant"] is True
        assert report["summary"]["fail"] == 0 and report["summary"]["pass"] > 40
    finally:
        verifier.kill()
        compose([DEMO_COMPOSE], project, "down", "-v", "-t", "1", env=env)


def test_wait_gives_up_early_on_a_stack_that_cannot_converge():
    project = f"vt-{uuid.uuid4().hex[:8]}"
    files = [CONFIG / "compose.yaml", CONFIG / "crash.override.yaml"]
    env = dict(os.environ)
    try:
        assert compose(files, project, "up", "-d", env=env).returncode == 0
        result = subprocess.run([sys.executable, "-m", "verifier", "check", str(CONFIG / "deployment-architecture.md"),
                                 "-p", project, "--wait", "300", "--format", "json"], capture_output=True, text=True,
                                env=env, cwd=ROOT, timeout=200)
        assert result.returncode == 1, result.stderr
        running = next(f for f in json.loads(result.stdout)["findings"] if f["id"] == "worker/container.running")
        assert running["status"] == "fail"
        assert "gave up waiting" in running["message"] and "exited with code 3" in running["message"]
    finally:
        compose(files, project, "down", "-v", "-t", "1", env=env)


def test_wait_without_a_value_gives_each_service_its_healthcheck_budget(tmp_path):
    """--wait alone: a service whose drift outlasts its own healthcheck budget is not waited for longer."""
    project = f"vt-{uuid.uuid4().hex[:8]}"
    health = tmp_path / "health.override.yaml"
    health.write_text("services:\n  worker:\n    healthcheck:\n"
                      "      test: [\"CMD\", \"python3\", \"-c\", \"import socket; socket.create_connection(('127.0.0.1', 8080))\"]\n"
                      "      interval: 1s\n      retries: 2\n")
    files = [CONFIG / "compose.yaml", CONFIG / "drift.override.yaml", health]
    env = {**os.environ, "CONFIG_WORKER_PORT": str(free_port())}
    try:
        assert compose(files, project, "up", "-d", env=env).returncode == 0
        # Checked against the files without the drift: the running worker differs from them for good.
        flags = [a for f in (CONFIG / "compose.yaml", health) for a in ("--compose", str(f))]
        result = subprocess.run([sys.executable, "-m", "verifier", "check", str(CONFIG / "deployment-architecture.md"),
                                 "-p", project, *flags, "--wait", "--format", "json"], capture_output=True, text=True,
                                env=env, cwd=ROOT, timeout=200)
        assert result.returncode == 1, result.stderr
        findings = {f["id"]: f for f in json.loads(result.stdout)["findings"] if f["layer"] == "live"}
        mode = findings["worker/env.value/MODE"]
        assert mode["status"] == "fail"
        assert "still so after worker's healthcheck budget" in mode["message"]
    finally:
        compose(files, project, "down", "-v", "-t", "1", env=env)


def test_wait_mode_wakes_when_a_container_of_the_project_changes():
    """The Engine's events end a pause between rounds early; another project's containers do not."""
    from verifier.changes import StackChanges

    project = f"vt-{uuid.uuid4().hex[:8]}"
    started: list[str] = []

    def start_container(in_project: str) -> None:
        started.append(subprocess.run(["docker", "run", "-d", "--rm", "--label",
                                       f"com.docker.compose.project={in_project}",
                                       "verifier-fixture-base:bookworm", "sleep", "60"],
                                      capture_output=True, text=True, check=True).stdout.strip())

    try:
        with StackChanges(project) as changes:
            assert not changes.pause(1.0)  # nothing of this project changed
            start_container(project + "-other")
            assert not changes.pause(1.0)
            start_container(project)
            assert changes.pause(60)
    finally:
        if started:
            subprocess.run(["docker", "rm", "-f", *started], capture_output=True, check=False)
