"""Every replica of a scaled service is checked; one-off `compose run` containers are not part of the stack."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid

from tests.conftest import ROOT

FIXTURE = ROOT / "compose-fixtures" / "config"


def test_one_bad_replica_fails_and_one_offs_are_ignored():
    project = f"vt-{uuid.uuid4().hex[:8]}"
    compose = ["docker", "compose", "-f", str(FIXTURE / "compose.yaml"), "-p", project]
    try:
        subprocess.run([*compose, "up", "-d", "--wait", "--scale", "worker=2"], check=True, capture_output=True,
                       timeout=120)
        subprocess.run([*compose, "run", "-d", "--name", f"{project}-oneoff", "worker", "sleep", "300"],
                       check=True, capture_output=True, timeout=60)
        replicas = subprocess.run(["docker", "ps", "-q", "--filter", f"label=com.docker.compose.project={project}",
                                   "--filter", "label=com.docker.compose.oneoff=False"],
                                  capture_output=True, text=True, check=True).stdout.split()
        assert len(replicas) == 2
        subprocess.run(["docker", "stop", "-t", "1", replicas[0]], check=True, capture_output=True)
        stopped = subprocess.run(["docker", "inspect", "-f", "{{.Name}}", replicas[0]], capture_output=True,
                                 text=True, check=True).stdout.strip().lstrip("/")
        result = subprocess.run([sys.executable, "-m", "verifier", "check", str(FIXTURE / "deployment-architecture.md"),
                                 "-p", project, "--format", "json"], capture_output=True, text=True, cwd=ROOT,
                                timeout=120)
        findings = {f["id"]: f for f in json.loads(result.stdout)["findings"]}
        running = findings["worker/container.running"]
        assert running["status"] == "fail" and stopped in running["message"]
        assert f"{project}-oneoff" not in result.stdout
        assert "2 containers" == findings["worker/service.missing"]["observed"]
    finally:
        subprocess.run([*compose, "down", "-v", "-t", "1", "--remove-orphans"], capture_output=True, timeout=120)
        subprocess.run(["docker", "rm", "-f", f"{project}-oneoff"], capture_output=True, timeout=60)
