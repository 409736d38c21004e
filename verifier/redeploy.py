"""Compose's own hash of each service definition, to tell a container that predates its compose file.

The hash is Compose's (`docker compose config --hash`), so it is exact only for containers
created by the same Compose version; other containers are compared field by field instead.
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from verifier.compose.model import ComposeProject


@dataclass(frozen=True)
class ComposeHashes:
    version: str  # without a distribution's revision suffix: 2.26.1-4 -> 2.26.1
    by_service: Mapping[str, str]


def compose_hashes(project: ComposeProject, environ: Mapping[str, str], timeout: float = 10.0) -> ComposeHashes | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    files = [arg for path in project.files for arg in ("-f", str(path))]
    try:
        # Both at once: each is a Go program's start-up, most of the time this takes.
        asking_version = subprocess.Popen([docker, "compose", "version", "--short"], stdout=subprocess.PIPE,
                                          stderr=subprocess.DEVNULL, text=True)
        with asking_version:
            output = subprocess.run([docker, "compose", *files, "-p", project.name, "config", "--hash", "*"],
                                    capture_output=True, text=True, timeout=timeout, check=True,
                                    env=dict(environ), cwd=project.directory).stdout
            version = asking_version.communicate(timeout=timeout)[0].strip()
        if asking_version.returncode != 0:
            return None
    except (OSError, subprocess.SubprocessError):
        return None
    hashes = dict(line.split(None, 1) for line in output.splitlines() if len(line.split()) == 2)
    return ComposeHashes(base_version(version), {k: v.strip() for k, v in hashes.items()})


def base_version(version: str | None) -> str:
    return (version or "").lstrip("v").split("-", 1)[0].split("+", 1)[0]
