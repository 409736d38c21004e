"""Which Compose project to check: named, or derived the way Compose itself derives it."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from verifier.errors import InputError, UsageError

COMPOSE_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


@dataclass(frozen=True)
class ProjectChoice:
    name: str
    reason: str  # how the name was chosen, for messages


def choose_project(
    explicit: str | None,
    compose_files: Sequence[Path],
    document_path: Path,
    environ: Mapping[str, str] = os.environ,
) -> ProjectChoice:
    """--project, else COMPOSE_PROJECT_NAME, else the compose file's `name:`, else its folder."""
    if explicit:
        return ProjectChoice(normalize_project_name(explicit), "--project")
    if environ.get("COMPOSE_PROJECT_NAME"):
        return ProjectChoice(normalize_project_name(environ["COMPOSE_PROJECT_NAME"]), "COMPOSE_PROJECT_NAME")
    files = list(compose_files) or _discover(document_path)
    if not files:
        raise UsageError(
            "cannot tell which Compose project to check: pass --project NAME or --compose FILE "
            "(no compose.yaml or docker-compose.yml found here or beside the document)"
        )
    for path in files:
        name = _top_level_name(path)
        if name:
            return ProjectChoice(normalize_project_name(name), f"name: in {path}")
    first = files[0].resolve()
    return ProjectChoice(normalize_project_name(first.parent.name), f"folder of {files[0]}")


def normalize_project_name(name: str) -> str:
    """Compose's own rule: lower case, only [a-z0-9_-], not starting with - or _."""
    return re.sub(r"[^-_a-z0-9]+", "", name.lower()).lstrip("-_")


def _discover(document_path: Path) -> list[Path]:
    """Compose looks in the working folder and its parents; the document's folder is a good second guess."""
    for start in (Path.cwd(), document_path.resolve().parent):
        for folder in (start, *start.parents):
            for file_name in COMPOSE_FILE_NAMES:
                candidate = folder / file_name
                if candidate.is_file():
                    return [candidate]
    return []


def _top_level_name(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such compose file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a compose file") from None
    except PermissionError:
        raise UsageError(f"{path}: permission denied") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(f"{where}: {problem}") from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a compose file must be a mapping at the top level")
    name = data.get("name")
    if isinstance(name, str) and name and "$" not in name:
        return name
    return None
