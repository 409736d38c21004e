"""Turns the document model into the list of checks to run. Pure: no I/O."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from verifier.as_composed import as_composed
from verifier.checks import (
    Check,
    ContainerTarget,
    CpuTarget,
    EnvTarget,
    EnvValueTarget,
    ExposureTarget,
    HashTarget,
    HealthCommandTarget,
    HealthConfigTarget,
    HttpTarget,
    ImageTarget,
    LatencyCheckTarget,
    ListenTarget,
    MemoryTarget,
    OrderTarget,
    Plan,
    PortTarget,
    PostgresTarget,
    ReachTarget,
    RestartTarget,
    VolumeTarget,
)
from verifier.compose.model import ComposeService
from verifier.model import DEVELOPMENT, DocumentModel, ServiceSpec
from verifier.redeploy import ComposeHashes

POSTGRES_DEFAULT_PORT = 5432


def build_plan(document: DocumentModel, compose: Mapping[str, ComposeService] | None = None,
               environment: str = DEVELOPMENT) -> Plan:
    """Checks of the running stack. With a compose definition (documented name -> compose service),
    a fact the compose file states differently is checked as the compose file states it: that
    drift is the compose layer's to report, and the live layer reports only what the running
    stack itself changed. `environment` decides which ports must and must not be published."""
    checks: dict[str, Check] = {}
    database_version = _documented_postgres_major(document)
    for service in document.services:
        definition = compose.get(service.name) if compose else None
        for check in [*_service_checks(service, environment, database_version), *_latency_checks(service, document),
                      *_order_checks(service, document)]:
            check = as_composed(check, definition) if definition is not None else check
            if isinstance(check.target, OrderTarget) and compose and check.target.dependency in compose:
                check = replace(check, target=replace(check.target, dependency=compose[check.target.dependency].name))
            if isinstance(check.target, ReachTarget) and compose and check.target.dependency in compose:
                check = replace(check, target=replace(check.target, host=compose[check.target.dependency].name))
            checks.setdefault(check.id, check)  # a fact written twice is checked once
    return Plan(document.path, tuple(checks.values()))


def with_outdated_checks(plan: Plan, document: DocumentModel, compose: Mapping[str, ComposeService] | None,
                         hashes: ComposeHashes | None) -> Plan:
    """The plan with container.outdated after each service's checks, where Compose hashed its definition.
    Apart from build_plan because Compose takes a while to answer, and nothing else waits for it."""
    if not compose or hashes is None:
        return plan
    outdated = {}
    for service in document.services:
        definition = compose.get(service.name)
        if definition is not None and definition.name in hashes.by_service:
            outdated[service.name] = Check(
                f"{service.name}/container.outdated", "container.outdated", service.name,
                "created from the current compose definition", service.line,
                HashTarget(hashes.by_service[definition.name], hashes.version),
                (f"{service.name}/service.missing",), compose_service=definition.name)
    last_check_of = {check.service: index for index, check in enumerate(plan.checks)}
    checks = []
    for index, check in enumerate(plan.checks):
        checks.append(check)
        if last_check_of[check.service] == index and check.service in outdated:
            checks.append(outdated.pop(check.service))
    return Plan(plan.document_path, (*checks, *outdated.values()))


def _documented_postgres_major(document: DocumentModel) -> str | None:
    database = document.infrastructure.database
    if database is None or not database.version or "postgres" not in f"{database.type} {database.version}".lower():
        return None
    match = re.search(r"\d+", database.version)
    return match.group(0) if match else None


def _latency_checks(service: ServiceSpec, document: DocumentModel) -> list[Check]:
    """A documented response-time target, measured on the service's documented HTTP endpoint."""
    health = service.health
    port = (health.port or service.primary_port) if health is not None else None
    if health is None or health.kind != "http" or not health.path or port is None:
        return []
    checks = []
    for target in document.nfr.latency:
        if target.service != service.name:
            continue
        label = f"p{target.percentile}" if target.percentile else "every request"
        checks.append(Check(f"{service.name}/nfr.latency", "nfr.latency", service.name,
                            f"{label} < {target.max_ms:g} ms", target.line,
                            LatencyCheckTarget(health.path, port, target.percentile, target.max_ms),
                            (f"{service.name}/container.running",), quiet=True))
    return checks


def _order_checks(service: ServiceSpec, document: DocumentModel) -> list[Check]:
    """Each documented dependency started (and was healthy, where documented) before the service."""
    documented = {s.name for s in document.services}
    checks = [Check(f"{service.name}/dependency.order/{d.service}", "dependency.order", service.name,
                    f"{d.service} {'healthy' if d.condition == 'healthy' else 'started'} first", d.line,
                    OrderTarget(d.service, d.condition), (f"{service.name}/service.missing",))
              for d in service.dependencies if d.service in documented and d.service != service.name]
    by_name = {s.name: s for s in document.services}
    for dependency in service.dependencies:
        other = by_name.get(dependency.service)
        if other is None or other.primary_port is None or other.name == service.name:
            continue
        checks.append(Check(
            f"{service.name}/dependency.reachable/{other.name}", "dependency.reachable", service.name,
            f"{other.name}:{other.primary_port} connects", dependency.line,
            ReachTarget(other.name, other.name, other.primary_port), (f"{service.name}/container.running",)))
    return checks


def _service_checks(service: ServiceSpec, environment: str, database_version: str | None = None) -> list[Check]:
    name = service.name
    exists = Check(f"{name}/service.missing", "service.missing", name,
                   "at least one container", service.line, ContainerTarget())
    running = Check(f"{name}/container.running", "container.running", name,
                    "running", service.line, ContainerTarget(), (exists.id,))
    checks = [exists, running]
    checks += _port_checks(service, running.id, exists.id, environment)
    checks += _health_checks(service, running.id, database_version)
    checks += [
        Check(f"{name}/env.present/{env.name}", "env.present", name, "set", env.line,
              EnvTarget(env.name), (exists.id,))
        for env in service.environment
    ]
    checks += [
        Check(f"{name}/env.value/{env.name}", "env.value", name, env.value, env.line,
              EnvValueTarget(env.name, env.value), (f"{name}/env.present/{env.name}",))
        for env in service.environment if env.value is not None and not env.secret
    ]
    checks += _configuration_checks(service, exists.id)
    return checks


def _configuration_checks(service: ServiceSpec, exists_id: str) -> list[Check]:
    """Facts read from the container's configuration: no probing needed, only the snapshot."""
    name = service.name
    checks = []
    if service.image is not None:
        checks.append(Check(f"{name}/image", "image", name, service.image.value, service.image.line,
                            ImageTarget(service.image.value), (exists_id,)))
    if service.restart_policy is not None:
        checks.append(Check(f"{name}/restart.policy", "restart.policy", name, service.restart_policy.value,
                            service.restart_policy.line, RestartTarget(service.restart_policy.value), (exists_id,)))
    limits = service.limits
    if limits is not None and limits.cpus is not None:
        checks.append(Check(f"{name}/limits.cpu", "limits.cpu", name, f"{limits.cpus:g} CPUs", limits.line,
                            CpuTarget(limits.cpus), (exists_id,)))
    if limits is not None and limits.memory_bytes is not None:
        checks.append(Check(f"{name}/limits.memory", "limits.memory", name, f"{limits.memory_bytes} bytes",
                            limits.line, MemoryTarget(limits.memory_bytes), (exists_id,)))
    for volume in service.volumes:
        if volume.target:
            checks.append(Check(f"{name}/volume.mount/{volume.target}", "volume.mount", name,
                                f"{volume.source or '(any)'} at {volume.target}", volume.line,
                                VolumeTarget(volume.source, volume.target), (exists_id,)))
    health = service.health
    target = HealthConfigTarget(health.interval_s, health.timeout_s, health.retries, health.start_period_s) \
        if health is not None else None
    if target is not None and target.text():
        checks.append(Check(f"{name}/healthcheck.config", "healthcheck.config", name, target.text(),
                            health.block_line, target, (exists_id,)))
    mentions = health.path if health is not None and health.kind == "http" else (
        health.command.split()[0] if health is not None and health.command else None)
    if health is not None and mentions:
        checks.append(Check(f"{name}/healthcheck.config/command", "healthcheck.config", name,
                            f"runs {mentions}" if health.kind != "http" else f"checks {mentions}", health.line,
                            HealthCommandTarget(mentions), (exists_id,)))
    return checks


def _port_checks(service: ServiceSpec, running_id: str, exists_id: str, environment: str) -> list[Check]:
    name = service.name
    checks = [Check(f"{name}/port.listening/{port}", "port.listening", name,
                    f"something accepts connections on {port}", next(p.line for p in service.ports
                                                                      if p.container_port == port),
                    ListenTarget(port), (running_id,))
              for port in dict.fromkeys(p.container_port for p in service.ports)]
    published = {p.container_port for p in service.ports if p.published_in(environment)}
    for port in service.ports:
        wanted = port.published_in(environment)
        if wanted:
            mapping = f"{port.host_port}:{port.container_port}"
            checks.append(Check(
                f"{name}/port.published/{mapping}", "port.published", name,
                f"{port.host_port}->{port.container_port}/tcp", port.line,
                PortTarget(port.container_port, port.host_port), (running_id,),
            ))
        elif wanted is False and port.container_port not in published:
            where = "" if port.host_port is None else f" in {environment}"
            checks.append(Check(f"{name}/port.exposure/{port.container_port}", "port.exposure", name,
                                f"not published on the host{where}", port.line,
                                ExposureTarget(port.container_port), (exists_id,)))
    return checks


def _health_checks(service: ServiceSpec, running_id: str, database_version: str | None) -> list[Check]:
    health = service.health
    if health is None:
        return []
    name = service.name
    checks = [Check(f"{name}/container.health", "container.health", name, "healthy",
                    health.block_line, ContainerTarget(), (running_id,))]
    if health.kind == "http" and health.path:
        port = health.port or service.primary_port
        method = health.method or "GET"
        status = health.expected_status or 200
        if port is not None:
            body = f' with "{health.body_contains}" in the body' if health.body_contains else ""
            checks.append(Check(
                f"{name}/http.health/{method} {health.path}", "http.health", name, f"{status}{body}", health.line,
                HttpTarget(method, health.path, status, port, health.body_contains), (running_id,),
            ))
    elif health.kind == "postgres":
        documented = {env.name: env.value for env in service.environment}
        version = f" (PostgreSQL {database_version})" if database_version else ""
        checks.append(Check(
            f"{name}/postgres.ready", "postgres.ready", name,
            f"accepting connections; SELECT 1 answers{version}", health.line,
            PostgresTarget(service.primary_port or POSTGRES_DEFAULT_PORT,
                           documented.get("POSTGRES_USER"), documented.get("POSTGRES_DB"), database_version),
            (running_id,),
        ))
    return checks
