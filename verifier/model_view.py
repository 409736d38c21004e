"""Shows what was read from a document (`verifier model`): JSON per schemas/verifier.model.v1, or a table."""
from __future__ import annotations

import json
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from verifier.model import DocumentModel, Fact, HealthSpec, ServiceSpec
from verifier.secrets import MASK

SCHEMA = "verifier.model/v1"


def model_as_dict(model: DocumentModel) -> dict[str, Any]:
    infrastructure = model.infrastructure
    database = infrastructure.database
    return {
        "schema": SCHEMA,
        "document": {"path": model.path, "sha256": model.sha256},
        "pattern": _fact(model.pattern),
        "services": [_service(s) for s in model.services],
        "external": [{"name": e.name, "line": e.line, "reason": e.reason} for e in model.external],
        "infrastructure": {
            "database": None if database is None else {
                "type": database.type, "version": database.version, "port": database.port, "line": database.line},
            "cache": _fact(infrastructure.cache),
            "queue": _fact(infrastructure.queue),
        },
        "links": [{"from": k.source, "to": k.target, "port": k.port, "line": k.line} for k in model.links],
        "access": [{"environment": a.environment, "service": a.service, "url": a.url, "port": a.port, "line": a.line}
                   for a in model.access],
        "nfr": {
            "latency": [{"service": t.service, "percentile": t.percentile, "max_ms": t.max_ms, "line": t.line}
                        for t in model.nfr.latency],
            "https_required": None if model.nfr.https_required is None else {
                "environment": model.nfr.https_required.value, "line": model.nfr.https_required.line},
            "isolation": [{"service": i.service, "environment": i.environment, "line": i.line}
                          for i in model.nfr.isolation],
        },
        "findings": [f.as_dict() for f in model.findings],
    }


def _fact(fact: Fact[str] | None) -> dict[str, Any] | None:
    return None if fact is None else {"value": fact.value, "line": fact.line}


def _service(service: ServiceSpec) -> dict[str, Any]:
    lines = {"name": service.line}
    for key, fact in (("image", service.image), ("restart", service.restart_policy)):
        if fact is not None:
            lines[key] = fact.line
    if service.build is not None:
        lines["build"] = service.build.line
    if service.limits is not None:
        lines["limits"] = service.limits.line
    if service.health is not None:
        lines["health"] = service.health.block_line
    return {
        "name": service.name,
        "line": service.line,
        "heading": service.heading or None,
        "source_dir": service.source_dir,
        "image": service.image.value if service.image else None,
        "build": None if service.build is None else {"context": service.build.context,
                                                     "dockerfile": service.build.dockerfile},
        "ports": [{"container": p.container_port, "host": p.host_port, "exposure": p.exposure,
                   "environment": p.environment, "line": p.line} for p in service.ports],
        "health": _health(service.health),
        "env": [{"name": e.name, "value": e.value, "secret": e.secret, "placeholder": e.placeholder, "line": e.line}
                for e in service.environment],
        "depends_on": [{"service": d.service, "condition": d.condition, "line": d.line} for d in service.dependencies],
        "restart": service.restart_policy.value if service.restart_policy else None,
        "volumes": [{"source": v.source, "target": v.target, "line": v.line} for v in service.volumes],
        "limits": None if service.limits is None else {"cpus": service.limits.cpus,
                                                       "memory_bytes": service.limits.memory_bytes},
        "init_scripts": [{"path": s.value, "line": s.line} for s in service.init_scripts],
        "code": None if service.code is None else {
            "language": service.code.language, "framework": service.code.framework,
            "database": service.code.database, "config": service.code.config,
            "ports": list(service.code.ports), "line": service.code.line},
        "lines": lines,
    }


def _health(health: HealthSpec | None) -> dict[str, Any] | None:
    if health is None:
        return None
    return {"kind": health.kind, "method": health.method, "path": health.path, "port": health.port,
            "status": health.expected_status, "body_contains": health.body_contains, "command": health.command,
            "interval_s": health.interval_s, "timeout_s": health.timeout_s, "retries": health.retries,
            "start_period_s": health.start_period_s,
            "line": health.block_line, "probe_line": health.line}


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
    for finding in model.findings:
        line = finding.source.line if finding.source else "?"
        console.print(f"line {line}: {finding.status.value} {finding.check}: {finding.message}", markup=False)
    for note in model.notes:
        console.print(f"line {note.line}: note: {note.message}", markup=False)


def _facts(service: ServiceSpec) -> list[tuple[int, str, str]]:
    rows = [(service.line, "service name", service.name)]
    if service.source_dir:
        rows.append((service.line, "source folder", service.source_dir))
    rows += [(f.line, label, f.value) for label, f in
             (("image", service.image), ("restart policy", service.restart_policy)) if f is not None]
    if service.build is not None:
        rows.append((service.build.line, "build", " ".join(
            x for x in (service.build.context, service.build.dockerfile and f"(Dockerfile {service.build.dockerfile})") if x)))
    for port in service.ports:
        published = f"{port.host_port}->{port.container_port}" if port.host_port else f"{port.container_port}"
        scope = f" [{port.environment}]" if port.environment else ""
        rows.append((port.line, "port", f"{published} {port.exposure}{scope}"))
    for dependency in service.dependencies:
        rows.append((dependency.line, "depends on", f"{dependency.service} ({dependency.condition})"))
    for env in service.environment:
        shown = MASK if env.secret else (env.value or env.description or "")
        rows.append((env.line, "environment", f"{env.name}={shown}" + (" [secret]" if env.secret else "")))
    health = service.health
    if health is not None:
        text = (f"{health.method} {health.path} -> {health.expected_status}" if health.kind == "http"
                else f"{health.kind}: {health.command}")
        rows.append((health.line, "health check", text))
    for volume in service.volumes:
        rows.append((volume.line, "volume", f"{volume.source or ''}:{volume.target or ''}"))
    if service.limits is not None:
        rows.append((service.limits.line, "limits", f"cpus={service.limits.cpus} memory={service.limits.memory_bytes}"))
    rows += [(s.line, "init script", s.value) for s in service.init_scripts]
    return rows
