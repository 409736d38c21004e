"""`verifier demo`: brings the bundled demo stack up when it is not, then checks it."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from verifier.errors import UsageError

DEMO_PROJECT = "verifier-demo"
DEMO_DIR = Path(__file__).resolve().parent.parent / "compose-fixtures" / "demo"
DEMO_DOCUMENT = DEMO_DIR / "deployment-architecture.md"
DEMO_COMPOSE = DEMO_DIR / "compose.yaml"


def ensure_demo_running(services_up: set[str], documented: set[str]) -> None:
    """Runs `docker compose up -d --wait` unless every documented service is already up."""
    if not DEMO_COMPOSE.is_file():
        raise UsageError(f"the demo stack is not here ({DEMO_COMPOSE}); `verifier demo` runs from a source checkout")
    if documented <= services_up:
        return
    command = [*_compose_command(), "-f", str(DEMO_COMPOSE), "-p", DEMO_PROJECT, "up", "-d", "--wait"]
    print(f"verifier: starting the demo stack ({' '.join(command[:2])} up -d --wait)", file=sys.stderr)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = " ".join(result.stderr.strip().splitlines()[-1:]).strip()
        hint = ("; its images are built by scripts/build-images"
                if any(m in reason for m in ("pull access denied", "No such image", "failed to solve", "not found"))
                else "")
        raise UsageError(f"the demo stack did not come up: {reason}{hint}")


def _compose_command() -> list[str]:
    docker = shutil.which("docker")
    if docker is None:
        raise UsageError("the docker command is not installed; run scripts/install-system")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    if probe.returncode != 0:
        raise UsageError("Docker Compose v2 (`docker compose`) is not installed; run scripts/install-system")
    return [docker, "compose"]
