"""Shows what was read from a document (`verifier model`), with the line of every fact."""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from verifier.model import DocumentModel, Fact, ServiceSpec
from verifier.secrets import MASK


def model_as_dict(model: DocumentModel) -> dict[str, Any]:
    data = asdict(model)
    for service in data["services"]:
        for env in service["environment"]:
            if env["secret"] and env["value"] is not None:
                env["value"] = MASK  # a secret written into a document is still a secret
    return data


def render_json(model: DocumentModel, stream: TextIO) -> None:
    json.dump(model_as_dict(model), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def render_table(model: DocumentModel, stream: TextIO) -> None:
    console = Console(file=stream, highlight=False, width=None if stream.isatty() else 160)
    table = Table(title=f"{model.path} (sha256 {model.sha256[:12]})", title_justify="left")
    for column in ("line", "service", "fact", "value"):
        table.add_column(column, overflow="fold")
    for service in model.services:
        for line, fact, value in sorted(_facts(service)):
            # Text, not markup: documents are full of [brackets] that rich would swallow.
            table.add_row(str(line), service.name, fact, Text(value))
    console.print(table)
    for note in model.notes:
        console.print(f"line {note.line}: {note.message}", markup=False)


def _facts(service: ServiceSpec) -> list[tuple[int, str, str]]:
    rows = [(service.line, "service name", service.name)]
    rows += [(f.line, label, f.value) for label, f in
             (("image", service.image), ("build context", service.build_context),
              ("restart policy", service.restart_policy)) if isinstance(f, Fact)]
    for port in service.ports:
        published = f"{port.host_port}->{port.container_port}" if port.host_port else f"{port.container_port} (internal)"
        scope = f" [{port.scope}]" if port.scope else ""
        remark = f" ({port.remark})" if port.remark else ""
        rows.append((port.line, "port", published + scope + remark))
    for dependency in service.dependencies:
        rows.append((dependency.line, "depends on", f"{dependency.service} ({dependency.condition})"))
    for env in service.environment:
        shown = MASK if env.secret and env.value else (env.value or env.description or "")
        rows.append((env.line, "environment", f"{env.name}={shown}" + (" [secret]" if env.secret else "")))
    if service.health is not None:
        probe = service.health.probe
        text = getattr(probe, "command", None) or f"{probe.method} {probe.path} -> {probe.expected_status}"
        rows.append((probe.line, "health check", text))
        for label, fact in (("health interval", service.health.interval),
                            ("health timeout", service.health.timeout),
                            ("health retries", service.health.retries)):
            if fact is not None:
                rows.append((fact.line, label, str(fact.value)))
    return rows
