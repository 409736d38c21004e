"""Reads a deployment architecture document into a DocumentModel.

Markdown structure (sections, fenced blocks, lists, tables and their lines) comes from
`verifier.markdown`; each template section has its reader in `verifier.reading`; here they
are put together into one model per service, and the document is checked against itself.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from verifier.errors import InputError
from verifier.markdown import parse_structure
from verifier.model import CodeFacts, DocumentModel, External, ServiceSpec
from verifier.reading import consistency
from verifier.reading.collect import Collector
from verifier.reading.env_section import DocumentedVariable, read_env_section
from verifier.reading.links import (
    Arrow,
    links_from_arrows,
    read_communication,
    read_dependency_arrows,
    read_diagram_ports,
)
from verifier.reading.monitoring import MonitoredHealth, read_monitoring_health
from verifier.reading.nfr import read_nfr
from verifier.reading.overview import (
    InspectedComponent,
    read_code_inspection,
    read_infrastructure,
    read_pattern,
)
from verifier.reading.resolve import Resolver
from verifier.reading.services import read_services
from verifier.reading.targets import read_access
from verifier.textfile import read_text_file

# What a document may cost to read: reading is linear in its size (tests/test_bounded_inputs.py), and
# markdown-it spends most per line (a table row costs about 40 us and 3 KB of tokens), so both are
# capped: 5 MiB of long lines read in under a second, 50,000 short ones in about two; the template
# is 17 KB and 600 lines.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_DOCUMENT_LINES = 50_000
_KNOWN_EXTERNAL = re.compile(
    r"keycloak|auth0|okta|cognito|entra|anthropic|openai|azure|ollama|bedrock|vertex|s3|vault|stripe|"
    r"sendgrid|smtp|twilio|datadog|sentry", re.IGNORECASE)
_URL_HOST = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/\s]+@)?(?P<host>[A-Za-z0-9_.-]+)(?::\d+)?(?:/|$)")
_NOT_A_SYSTEM = re.compile(r"^(localhost|host\.docker\.internal|[\d.]+|\+|0|\*)$")


def read_document(path: str | Path) -> DocumentModel:
    path = Path(path)
    raw, text = read_text_file(path, "a Markdown document", MAX_DOCUMENT_BYTES)
    if not text.strip():
        raise InputError(f"{path}: the document is empty")
    _refuse_too_many_lines(text, path)
    try:
        root = parse_structure(text)
    except RecursionError:
        raise InputError(f"{path}: the Markdown nests too deeply to read") from None
    sink = Collector()
    services = read_services(root, sink)
    if not services:
        raise InputError(
            f"{path}: no services found: expected a 'Service Specifications' section with a fenced "
            "block per service containing 'Service Name: ...'"
        )
    _refuse_duplicates(services, path)
    resolver = Resolver(services)
    services = _with_resolved_dependencies(services, resolver)
    monitored = read_monitoring_health(root, resolver)
    services = _with_monitored_health(services, monitored)
    arrows = read_dependency_arrows(root, resolver)
    variables = read_env_section(root, resolver)
    external = _externals(services, variables, arrows, resolver)
    access = read_access(root, resolver)
    nfr = read_nfr(root, resolver, sink)
    inspected = read_code_inspection(root, sink)
    services = _with_code_facts(services, inspected, resolver)
    model = DocumentModel(
        path=str(path),
        sha256=hashlib.sha256(raw).hexdigest(),
        services=tuple(services),
        notes=tuple(sorted(sink.notes, key=lambda n: n.line)),
        pattern=read_pattern(root, sink),
        infrastructure=read_infrastructure(root, sink),
        links=tuple(links_from_arrows(arrows) + read_communication(root, resolver)),
        access=tuple(access),
        nfr=nfr,
        external=tuple(external),
    )
    by_name = {s.name: s for s in services}
    writer = consistency.FindingWriter(str(path))
    findings = [
        *consistency.placeholder_findings(writer, sink.placeholders),
        *consistency.dependency_findings(writer, services, resolver, external),
        *consistency.arrow_findings(writer, arrows, by_name),
        *consistency.inspected_port_findings(writer, inspected, by_name, resolver),
        *consistency.diagram_port_findings(writer, read_diagram_ports(root, resolver), by_name),
        *consistency.access_findings(writer, access, by_name),
        *consistency.health_findings(writer, monitored, by_name),
        *consistency.env_section_findings(writer, variables, by_name),
    ]
    unique = {f.id: f for f in sorted(findings, key=lambda f: (f.source.line if f.source else 0, f.check))}
    return dataclasses.replace(model, findings=tuple(unique.values()))


def _refuse_too_many_lines(text: str, path: Path) -> None:
    # Lines as markdown-it counts them: \r\n, \r and \n each end one.
    lines = text.count("\n") + text.count("\r") - text.count("\r\n") + (not text.endswith(("\n", "\r")))
    if lines > MAX_DOCUMENT_LINES:
        raise InputError(f"{path}: {lines:,} lines is too many for a Markdown document "
                         f"(the limit is {MAX_DOCUMENT_LINES:,})")


def _refuse_duplicates(services: list[ServiceSpec], path: Path) -> None:
    seen: dict[str, int] = {}
    for service in services:
        if service.name in seen:
            raise InputError(f"{path}:{service.line}: service '{service.name}' is specified twice "
                             f"(first at line {seen[service.name]})")
        seen[service.name] = service.line


def _with_resolved_dependencies(services: list[ServiceSpec], resolver: Resolver) -> list[ServiceSpec]:
    """Dependencies written as labels ("Order Processing Backend") named by their service."""
    def named(label: str) -> str:
        if resolver.is_service(label):
            return label
        return resolver.resolve(label) or label.split()[0]

    return [dataclasses.replace(s, dependencies=tuple(dataclasses.replace(d, service=named(d.service))
                                                      for d in s.dependencies)) for s in services]


def _with_code_facts(services: list[ServiceSpec], components: Iterable[InspectedComponent],
                     resolver: Resolver) -> list[ServiceSpec]:
    facts: dict[str, CodeFacts] = {}
    for component in components:
        name = consistency.component_service(component, resolver)
        if name is None or name in facts:
            continue
        fields = {key: fact.value for key, fact in component.fields.items()}
        facts[name] = CodeFacts(
            language=fields.get("language"), framework=fields.get("framework") or fields.get("runtime"),
            database=fields.get("database"),
            config=fields.get("configurationfiles") or fields.get("configuration") or fields.get("config"),
            ports=component.ports, line=component.line,
        )
    return [dataclasses.replace(s, code=facts[s.name]) if s.name in facts else s for s in services]


def _with_monitored_health(services: list[ServiceSpec], monitored: Iterable[MonitoredHealth]) -> list[ServiceSpec]:
    """A health check stated only under Monitoring is still the service's health check."""
    stated = {m.service: m.health for m in monitored}
    return [s if s.health is not None or s.name not in stated else dataclasses.replace(s, health=stated[s.name])
            for s in services]


def _externals(services: list[ServiceSpec], variables: list[DocumentedVariable], arrows: list[Arrow],
               resolver: Resolver) -> list[External]:
    found: dict[str, External] = {}

    def add(name: str, line: int, reason: str) -> None:
        key = name.lower()
        if key not in found and not resolver.resolve(key) and not _NOT_A_SYSTEM.match(key):
            found[key] = External(key, line, reason)

    named_values = [(e.name, e.value or e.description, e.line) for s in services for e in s.environment]
    named_values += [(v.name, v.value, v.line) for v in variables]
    for name, value, line in named_values:
        host = _URL_HOST.match(value.strip("`'\" ")) if value else None
        if host:
            add(host.group("host"), line, f"{name} points at it")
        elif name.endswith("_PROVIDER") and value and re.fullmatch(r"[a-z][a-z0-9-]*", value):
            add(value, line, f"{name} names it")
    for service in services:
        for dependency in service.dependencies:
            if not resolver.is_service(dependency.service) and _KNOWN_EXTERNAL.search(dependency.service):
                add(dependency.service, dependency.line, f"{service.name} depends on it")
    for arrow in arrows:
        for label, resolved in ((arrow.source_label, arrow.source), (arrow.target_label, arrow.target)):
            bare = label.strip("`/ ")
            if resolved is None and _KNOWN_EXTERNAL.search(bare) and re.fullmatch(r"[\w.-]+", bare):
                add(bare, arrow.line, "the Dependency List names it")
    return sorted(found.values(), key=lambda e: e.line)
