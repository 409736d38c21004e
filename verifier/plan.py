"""Turns the document model into the list of checks to run. Pure: no I/O."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from verifier.compose.model import ComposeService
from verifier.model import DEVELOPMENT, DocumentModel, ServiceSpec
from verifier.redeploy import ComposeHashes


@dataclass(frozen=True)
class ContainerTarget:
    """The service's containers themselves."""


@dataclass(frozen=True)
class PortTarget:
    container_port: int
    host_port: int
    protocol: str = "tcp"


@dataclass(frozen=True)
class HttpTarget:
    method: str
    path: str
    expected_status: int
    container_port: int
    body_contains: str | None = None


@dataclass(frozen=True)
class PostgresTarget:
    container_port: int
    user: str | None  # documented values; the container's environment fills the gaps
    database: str | None
    major_version: str | None = None  # from Infrastructure Requirements, e.g. "15"


@dataclass(frozen=True)
class LatencyCheckTarget:
    path: str
    container_port: int
    percentile: int | None  # None: every request must be under the limit
    max_ms: float
    samples: int = 10


@dataclass(frozen=True)
class EnvTarget:
    name: str


@dataclass(frozen=True)
class ImageTarget:
    image: str


@dataclass(frozen=True)
class RestartTarget:
    policy: str


@dataclass(frozen=True)
class CpuTarget:
    cpus: float


@dataclass(frozen=True)
class MemoryTarget:
    bytes: int


@dataclass(frozen=True)
class VolumeTarget:
    source: str | None
    target: str


@dataclass(frozen=True)
class EnvValueTarget:
    name: str
    value: str  # never a secret: secret values are not planned for comparison by value


class HealthTiming(Protocol):
    interval_s: float | None
    timeout_s: float | None
    retries: int | None
    start_period_s: float | None


@dataclass(frozen=True)
class HealthConfigTarget:
    interval_s: float | None
    timeout_s: float | None
    retries: int | None
    start_period_s: float | None

    def stated_part_of(self, timing: HealthTiming) -> HealthConfigTarget:
        """`timing` (a container's, or a compose file's) reduced to the fields this target states."""
        return HealthConfigTarget(*(None if mine is None else theirs for mine, theirs in (
            (self.interval_s, timing.interval_s), (self.timeout_s, timing.timeout_s),
            (self.retries, timing.retries), (self.start_period_s, timing.start_period_s))))

    def text(self) -> str:
        parts = [f"interval {self.interval_s:g}s" if self.interval_s is not None else "",
                 f"timeout {self.timeout_s:g}s" if self.timeout_s is not None else "",
                 f"retries {self.retries}" if self.retries is not None else "",
                 f"start period {self.start_period_s:g}s" if self.start_period_s is not None else ""]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class HealthCommandTarget:
    mentions: str  # the documented endpoint path or program that the container's healthcheck should run


@dataclass(frozen=True)
class ExposureTarget:
    container_port: int  # documented as internal only: no host binding expected


@dataclass(frozen=True)
class ListenTarget:
    container_port: int


@dataclass(frozen=True)
class ReachTarget:
    dependency: str  # documented name
    host: str  # the name the dependent resolves: the dependency's compose service name
    port: int


@dataclass(frozen=True)
class OrderTarget:
    dependency: str  # the name its containers carry in the com.docker.compose.service label
    condition: str  # "healthy" or "started"


@dataclass(frozen=True)
class HashTarget:
    config_hash: str
    compose_version: str


CheckTarget = (ContainerTarget | PortTarget | HttpTarget | PostgresTarget | LatencyCheckTarget | EnvTarget
               | HashTarget | OrderTarget | ListenTarget | ReachTarget | ImageTarget
               | RestartTarget | CpuTarget | MemoryTarget | VolumeTarget | EnvValueTarget | HealthConfigTarget
               | HealthCommandTarget | ExposureTarget)


@dataclass(frozen=True)
class Check:
    id: str
    kind: str
    service: str
    expected: str
    line: int
    target: CheckTarget
    requires: tuple[str, ...] = ()  # ids of checks that must pass first, else this one is skipped
    compose_service: str | None = None  # the Compose service's name, when the document names it otherwise
    skip_reason: str | None = None  # planned but not to be probed, and why
    quiet: bool = False  # a measurement: run once every other check is done, so that their work does not skew it

    @property
    def runs_as(self) -> str:
        """The name the containers carry in their com.docker.compose.service label."""
        return self.compose_service or self.service


@dataclass(frozen=True)
class Plan:
    document_path: str
    checks: tuple[Check, ...]

    def __post_init__(self) -> None:
        # The runner relies on this: every prerequisite is planned, and planned earlier.
        seen: set[str] = set()
        for check in self.checks:
            unknown = [r for r in check.requires if r not in seen]
            if unknown:
                raise ValueError(f"{check.id} requires {unknown[0]}, which is not planned before it")
            if check.id in seen:
                raise ValueError(f"{check.id} is planned twice")
            seen.add(check.id)


POSTGRES_DEFAULT_PORT = 5432
AS_COMPOSED = " (as the compose file says)"  # marks an expectation the compose file set, not the document


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
            check = _as_composed(check, definition) if definition is not None else check
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


def _as_composed(check: Check, definition: ComposeService) -> Check:
    check = replace(check, compose_service=definition.name)
    target = check.target
    if isinstance(target, PortTarget):
        published = sorted({p.published for p in definition.ports
                            if p.target == target.container_port and p.published and p.protocol == target.protocol})
        if not published:
            return replace(check, skip_reason="the compose file does not publish this port (see the compose layer)")
        if target.host_port not in published:
            return replace(check, target=replace(target, host_port=published[0]),
                           expected=f"{published[0]}->{target.container_port}/{target.protocol}{AS_COMPOSED}")
    if isinstance(target, ExposureTarget) and any(p.target == target.container_port and p.published
                                                  for p in definition.ports):
        return replace(check, skip_reason="the compose file publishes this port (see the compose layer)")
    if isinstance(target, EnvTarget) and target.name not in definition.environment:
        return replace(check, skip_reason="the compose file does not set it (see the compose layer)")
    composed = _composed_target(target, definition)
    if composed is not None and composed != target:
        return replace(check, target=composed, expected=f"{_expected_text(composed)}{AS_COMPOSED}")
    return check


def _composed_target(target: CheckTarget, definition: ComposeService) -> CheckTarget | None:
    """The compose file's value for a fact it states too: the running stack should match it."""
    if isinstance(target, ImageTarget) and definition.image:
        return ImageTarget(definition.image)
    if isinstance(target, RestartTarget):
        return RestartTarget(definition.restart or "no")
    if isinstance(target, CpuTarget) and definition.cpus is not None:
        return CpuTarget(definition.cpus)
    if isinstance(target, MemoryTarget) and definition.memory_bytes is not None:
        return MemoryTarget(definition.memory_bytes)
    if isinstance(target, EnvValueTarget) and definition.environment.get(target.name) is not None:
        return EnvValueTarget(target.name, str(definition.environment[target.name]))
    if isinstance(target, HealthConfigTarget) and definition.healthcheck and not definition.healthcheck.disabled:
        return target.stated_part_of(definition.healthcheck)
    return None


def _expected_text(target: CheckTarget) -> str:
    if isinstance(target, ImageTarget):
        return target.image
    if isinstance(target, RestartTarget):
        return target.policy
    if isinstance(target, CpuTarget):
        return f"{target.cpus:g} CPUs"
    if isinstance(target, MemoryTarget):
        return f"{target.bytes} bytes"
    if isinstance(target, EnvValueTarget):
        return target.value
    if isinstance(target, HealthConfigTarget):
        return target.text()
    return ""


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
