"""Document findings: placeholders left unfilled, and facts the document states two ways."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from verifier.findings import Finding, SourceRef, Status
from verifier.model import AccessPoint, External, HealthSpec, PortSpec, ServiceSpec
from verifier.reading.collect import Placeholder
from verifier.reading.env_section import DocumentedVariable
from verifier.reading.links import Arrow, DiagramPort
from verifier.reading.monitoring import MonitoredHealth
from verifier.reading.overview import InspectedComponent
from verifier.reading.resolve import Resolver
from verifier.reading.targets import explicit_port

LAYER = "document"
DOCUMENT = "document"


class FindingWriter:
    """Findings the reader makes about the document itself, all on one path and layer."""

    def __init__(self, path: str, layer: str = LAYER) -> None:
        self.path = path
        self.layer = layer

    def finding(self, check: str, service: str | None, status: Status, expected: str, observed: str,
                message: str, line: int, detail: str, related: Iterable[int] = ()) -> Finding:
        subject = service or DOCUMENT
        return Finding(
            id=f"{subject}/{check}/{detail}".rstrip("/"), check=check, service=subject, status=status,
            expected=expected, observed=observed, message=message, source=SourceRef(self.path, line),
            layer=self.layer, duration_ms=0.0, attempts=1, related_lines=tuple(sorted(set(related) - {line})),
        )


def placeholder_findings(writer: FindingWriter, placeholders: Iterable[Placeholder]) -> Iterator[Finding]:
    for item in placeholders:
        yield writer.finding(
            "doc.placeholder", item.service, Status.FAIL if item.needed else Status.WARN,
            "a filled-in value", item.text or "(empty)",
            f"{item.field} is still a template placeholder: {item.text}", item.line, f"L{item.line}",
        )


def dependency_findings(writer: FindingWriter, services: Iterable[ServiceSpec], resolver: Resolver,
                        external: Iterable[External]) -> Iterator[Finding]:
    outside = {e.name for e in external}
    for service in services:
        for dependency in service.dependencies:
            if resolver.is_service(dependency.service) or dependency.service.lower() in outside:
                continue
            yield writer.finding(
                "doc.consistency", service.name, Status.FAIL, "a service specified in this document",
                dependency.service,
                f"{service.name} depends on '{dependency.service}', which has no Service Specifications section",
                dependency.line, f"depends_on/{dependency.service}", [service.line],
            )


def arrow_findings(writer: FindingWriter, arrows: Iterable[Arrow], services: dict[str, ServiceSpec]) -> Iterator[Finding]:
    listed = {name: {d.service for d in service.dependencies} for name, service in services.items()}
    for arrow in arrows:
        if arrow.source is None or arrow.target is None:
            continue
        source = services[arrow.source]
        if arrow.target in listed[arrow.source]:
            continue
        yield writer.finding(
            "doc.consistency", source.name, Status.WARN, f"{arrow.target} among {source.name}'s dependencies",
            "not listed",
            f"the Dependency List says {arrow.source_label} → {arrow.target_label}, "
            f"but {source.name}'s specification does not list {arrow.target}",
            arrow.line, f"arrow/{arrow.target}", [source.line],
        )


def inspected_port_findings(writer: FindingWriter, inspected: Iterable[InspectedComponent],
                            services: dict[str, ServiceSpec], resolver: Resolver) -> Iterator[Finding]:
    documented = _documented_ports(services)
    for claim in inspected:
        service = services.get(component_service(claim, resolver) or "")
        if service is None or not service.ports or not claim.ports:
            continue
        yield from _port_claim(writer, service, documented[service.name], claim.ports, claim.fields["port"].line,
                               "Code Inspection", "inspection")


def diagram_port_findings(writer: FindingWriter, claims: Iterable[DiagramPort],
                          services: dict[str, ServiceSpec]) -> Iterator[Finding]:
    documented = _documented_ports(services)
    for claim in claims:
        service = services[claim.service]
        if service.ports:
            yield from _port_claim(writer, service, documented[service.name], (claim.port,), claim.line,
                                   "the dependency diagram", "diagram")


@dataclass(frozen=True)
class _DocumentedPorts:
    """Every port a service's specification names, container or host, and how a message shows them."""

    ports: frozenset[int]
    text: str


def _documented_ports(services: dict[str, ServiceSpec]) -> dict[str, _DocumentedPorts]:
    """Built once per service, not per claim: a document of many claims stays linear."""
    found = {}
    for name, service in services.items():
        ports = frozenset({p.container_port for p in service.ports} | {p.host_port for p in service.ports if p.host_port})
        found[name] = _DocumentedPorts(ports, _ports_text(ports))
    return found


def _port_claim(writer: FindingWriter, service: ServiceSpec, documented: _DocumentedPorts, ports: tuple[int, ...],
                line: int, where: str, detail: str) -> Iterator[Finding]:
    if not documented.ports.isdisjoint(ports):
        return
    spec_line = service.ports[0].line
    yield writer.finding(
        "doc.consistency", service.name, Status.FAIL, documented.text, _ports_text(ports),
        f"{where} gives {service.name} port {_ports_text(ports)} (line {line}); "
        f"its specification gives {documented.text} (line {spec_line})",
        max(line, spec_line), f"port/{detail}", [line, spec_line],
    )


def component_service(component: InspectedComponent, resolver: Resolver) -> str | None:
    return resolver.resolve(component.folder or "") or resolver.resolve(component.label)


def access_findings(writer: FindingWriter, access: Iterable[AccessPoint], services: dict[str, ServiceSpec]) -> Iterator[Finding]:
    published_in: dict[tuple[str, str], tuple[list[PortSpec], set[int], str]] = {}  # once per service and environment
    for point in access:
        service = services.get(point.service or "")
        # Only a port written in the URL: https://app.example.com is a proxy's 443, not the service's port.
        if service is None or explicit_port(point.url) is None:
            continue
        key = (service.name, point.environment)
        if key not in published_in:
            ports = [p for p in service.ports if p.host_port is not None and p.environment in (None, point.environment)]
            hosts = {p.host_port for p in ports if p.host_port}
            published_in[key] = (ports, hosts, _ports_text(hosts))
        published, hosts, hosts_text = published_in[key]
        if not published or point.port in hosts:
            continue
        yield writer.finding(
            "doc.consistency", service.name, Status.FAIL, hosts_text, str(point.port),
            f"the {point.environment} access URL {point.url} (line {point.line}) uses port {point.port}; "
            f"the specification publishes {service.name} on {hosts_text} (line {published[0].line})",
            max(point.line, published[0].line), f"port/access/{point.environment}", [point.line, published[0].line],
        )


def health_findings(writer: FindingWriter, monitored: Iterable[MonitoredHealth],
                    services: dict[str, ServiceSpec]) -> Iterator[Finding]:
    for claim in monitored:
        spec = services[claim.service].health
        if spec is None or spec.line == claim.health.line or _same_health(spec, claim.health):
            continue
        yield writer.finding(
            "doc.consistency", claim.service, Status.FAIL, _health_text(spec), _health_text(claim.health),
            f"Monitoring gives {claim.service}'s health check as {_health_text(claim.health)} (line {claim.health.line}); "
            f"its specification says {_health_text(spec)} (line {spec.line})",
            max(spec.line, claim.health.line), "health/monitoring", [spec.line, claim.health.line],
        )


def env_section_findings(writer: FindingWriter, variables: Iterable[DocumentedVariable],
                         services: dict[str, ServiceSpec]) -> Iterator[Finding]:
    specified = {e.name for s in services.values() for e in s.environment}
    for variable in variables:
        service = services.get(variable.service or "")
        # Grouped by topic rather than by service (DATABASE_URL under "Database Variables") is fine.
        if service is None or variable.name in specified:
            continue
        yield writer.finding(
            "doc.consistency", service.name, Status.WARN, f"{variable.name} in {service.name}'s specification",
            "not listed",
            f"the Environment Variables section lists {variable.name} for {service.name} (line {variable.line}); "
            f"its specification does not",
            variable.line, f"env/{variable.name}", [service.line],
        )


def _same_health(a: HealthSpec, b: HealthSpec) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "http":
        return (a.path, a.expected_status, a.method) == (b.path, b.expected_status, b.method)
    return True


def _health_text(health: HealthSpec) -> str:
    if health.kind == "http":
        return f"{health.method} {health.path} -> {health.expected_status}"
    return health.command or health.kind


def _ports_text(ports: Iterable[int | None]) -> str:
    return ", ".join(str(p) for p in sorted(p for p in ports if p))
