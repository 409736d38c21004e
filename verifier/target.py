"""Which stack to check: the Compose project, named or derived the way Compose itself derives it,
and its compose definition when a compose file is given or found."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from verifier.compose import ComposeProject, load_compose
from verifier.errors import UsageError

COMPOSE_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


@dataclass(frozen=True)
class StackTarget:
    project: str
    reason: str  # how the name was chosen, for messages
    compose: ComposeProject | None  # what the compose file says should run, when there is one


def choose_target(
    explicit: str | None,
    compose_files: Sequence[Path],
    document_path: Path,
    environ: Mapping[str, str] = os.environ,
) -> StackTarget:
    """--project, else COMPOSE_PROJECT_NAME, else the compose file's `name:`, else its folder."""
    files = list(compose_files) or discover_compose_files(document_path)
    if files:
        definition = load_compose(files, environ=environ, project_name=explicit or None)
        return StackTarget(definition.name, _reason(explicit, definition, environ), definition)
    if explicit:
        return StackTarget(normalize_project_name(explicit), "--project", None)
    if environ.get("COMPOSE_PROJECT_NAME"):
        return StackTarget(normalize_project_name(environ["COMPOSE_PROJECT_NAME"]), "COMPOSE_PROJECT_NAME", None)
    raise UsageError(
        "cannot tell which Compose project to check: pass --project NAME or --compose FILE "
        "(no compose.yaml or docker-compose.yml found here or beside the document)"
    )


def normalize_project_name(name: str) -> str:
    """Compose's own rule: lower case, only [a-z0-9_-], not starting with - or _."""
    return re.sub(r"[^-_a-z0-9]+", "", name.lower()).lstrip("-_")


def discover_compose_files(document_path: Path) -> list[Path]:
    """Compose looks in the working folder and its parents; the document's folder is a good second guess."""
    for start in (Path.cwd(), document_path.resolve().parent):
        for folder in (start, *start.parents):
            for file_name in COMPOSE_FILE_NAMES:
                candidate = folder / file_name
                if candidate.is_file():
                    return [candidate]
    return []


def _reason(explicit: str | None, definition: ComposeProject, environ: Mapping[str, str]) -> str:
    if explicit:
        return "--project"
    if environ.get("COMPOSE_PROJECT_NAME") and normalize_project_name(environ["COMPOSE_PROJECT_NAME"]) == definition.name:
        return "COMPOSE_PROJECT_NAME"
    if definition.name == normalize_project_name(definition.directory.name):
        return f"folder of {definition.files[0]}"
    return f"name: in {definition.files[0]}"
