"""The compose layer: every fact the document states that the compose file also states, compared.

No Docker Engine is needed. A finding here means the compose file differs from the
document: one of the two is stale.
"""
from __future__ import annotations

from collections.abc import Iterator

from verifier.compose.model import ComposeProject, ComposeService, host_ports, host_ports_text
from verifier.findings import Finding, Status
from verifier.mapping import ServiceMapping, ServiceMatch
from verifier.model import DEVELOPMENT, DocumentModel, ServiceSpec
from verifier.reading.consistency import FindingWriter
from verifier.secrets import NOT_SHOWN, is_secret, masked_command, secret_values_of

LAYER = "compose"
_CONDITIONS = {"healthy": "service_healthy", "started": "service_started"}


def compose_findings(document: DocumentModel, project: ComposeProject, mapping: ServiceMapping,
                     environment: str = DEVELOPMENT) -> tuple[Finding, ...]:
    write = FindingWriter(document.path, LAYER)
    found: list[Finding] = []
    for match in mapping.matches:
        if match.compose is None:
            found.append(_missing(write, match, project))
        else:
            found.extend(_service_findings(write, match.documented, match.compose, mapping, environment,
                                           _secrets_of(project, match.compose)))
    specified_from = min((s.line for s in document.services), default=1)  # where a section for it belongs
    for service in mapping.undocumented:
        found.append(write.finding(
            "service.undocumented", service.name, Status.WARN, "a section in the document", "none",
            f"the compose file defines '{service.name}', which the document never mentions "
            f"(its services are specified from line {specified_from})", specified_from, ""))
    return tuple(found)


def _missing(write: FindingWriter, match: ServiceMatch, project: ComposeProject) -> Finding:
    service = match.documented
    observed = ", ".join(match.candidates) if match.candidates else "none"
    message = (f"'{service.name}' could be any of {observed} in {project.files[0].name}: "
               "say which with its Service Name" if match.candidates
               else f"the compose file has no service for '{service.name}' ({match.how})")
    return write.finding("service.missing", service.name, Status.FAIL, "a compose service", observed,
                         message, service.line, "")


def _secrets_of(project: ComposeProject, compose: ComposeService) -> frozenset[str]:
    """Every secret value that may be in this service's definition: its environment's, and those of the
    variables the project interpolated (a healthcheck's `-a ${REDIS_PASSWORD}`)."""
    return frozenset(project.secrets) | frozenset(secret_values_of(compose.environment))


def _service_findings(write: FindingWriter, service: ServiceSpec, compose: ComposeService,
                      mapping: ServiceMapping, environment: str, secrets: frozenset[str]) -> Iterator[Finding]:
    yield from _image(write, service, compose)
    yield from _ports(write, service, compose, environment)
    yield from _environment(write, service, compose)
    yield from _dependencies(write, service, compose, mapping)
    yield from _healthcheck(write, service, compose, secrets)
    yield from _restart(write, service, compose)
    yield from _limits(write, service, compose)
    yield from _volumes(write, service, compose)


def _result(write: FindingWriter, check: str, service: ServiceSpec, same: bool, expected: str, observed: str,
            line: int, detail: str, what: str, fail: Status = Status.FAIL) -> Finding:
    status = Status.PASS if same else fail
    message = (f"{what}: the compose file agrees" if same
               else f"{what}: the document says {expected}, the compose file says {observed}")
    return write.finding(check, service.name, status, expected, observed, message, line, detail)


def _image(write: FindingWriter, service: ServiceSpec, compose: ComposeService) -> Iterator[Finding]:
    if service.image is not None:
        yield _result(write, "image", service, _image_key(service.image.value) == _image_key(compose.image or ""),
                      service.image.value, compose.image or "no image", service.image.line, "image", "image")
    if service.build is not None and service.build.context:
        wanted = service.build.context.strip("/").removeprefix("./")
        actual = compose.build_context or ""
        same = bool(actual) and (actual.rstrip("/").endswith("/" + wanted) or wanted in ("", "."))
        yield _result(write, "image", service, same, f"built from {service.build.context}",
                      f"built from {actual}" if actual else "not built", service.build.line, "build", "build context")


def _image_key(image: str) -> str:
    return image if not image or ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"


def _ports(write: FindingWriter, service: ServiceSpec, compose: ComposeService,
           environment: str) -> Iterator[Finding]:
    documented_published = {p.container_port for p in service.ports if p.published_in(environment)}
    for port in service.ports:
        published = host_ports(compose.ports, port.container_port)  # ranges: tested for membership, never listed
        shown = host_ports_text(published, port.container_port)
        wanted = port.published_in(environment)
        if wanted:
            yield _result(write, "port.published", service, any(port.host_port in r for r in published),
                          f"{port.host_port}->{port.container_port}", shown, port.line,
                          f"{port.host_port}:{port.container_port}", f"port {port.container_port}")
        elif wanted is False and port.container_port not in documented_published:
            expected = (f"{port.container_port} internal only" if port.host_port is None
                        else f"{port.container_port} not published in {environment}")
            yield _result(write, "port.exposure", service, not published, expected,
                          shown, port.line, f"{port.container_port}", f"port {port.container_port}")


def _environment(write: FindingWriter, service: ServiceSpec, compose: ComposeService) -> Iterator[Finding]:
    for variable in service.environment:
        present = variable.name in compose.environment
        yield _result(write, "env.present", service, present, "set", "set" if present else "not set",
                      variable.line, variable.name, variable.name)
        if present and variable.value is not None and not variable.secret:
            yield _env_value(write, service, variable.name, variable.value, compose.environment[variable.name],
                             variable.line)


def _env_value(write: FindingWriter, service: ServiceSpec, name: str, documented: str, actual: str | None,
               line: int) -> Finding:
    """Compared by equality; a value that looks secret (a URL with a password, a token) is never shown."""
    if actual not in (None, "") and actual != documented and is_secret(name, actual):
        return write.finding("env.value", service.name, Status.FAIL, documented, NOT_SHOWN,
                             f"{name}: the compose file's value differs from the document's "
                             f"({NOT_SHOWN}: it looks secret)", line, name)
    return _result(write, "env.value", service, actual == documented, documented,
                   "(empty)" if actual in (None, "") else str(actual), line, name, name)


def _dependencies(write: FindingWriter, service: ServiceSpec, compose: ComposeService,
                  mapping: ServiceMapping) -> Iterator[Finding]:
    for dependency in service.dependencies:
        name = mapping.compose_name(dependency.service) or dependency.service
        yield from _shared_network(write, service, compose, mapping.compose_service(name), dependency.line)
        condition = compose.depends_on.get(name)
        wanted = _CONDITIONS[dependency.condition]
        observed = f"depends_on {name}: {condition}" if condition else f"no depends_on {name}"
        same = condition == wanted or (dependency.condition == "started" and condition is not None)
        yield _result(write, "dependency.order", service, same, f"depends_on {name}: {wanted}", observed,
                      dependency.line, name, f"dependency on {name}")


def _shared_network(write: FindingWriter, service: ServiceSpec, compose: ComposeService,
                    other: ComposeService | None, line: int) -> Iterator[Finding]:
    """A documented dependency is only reachable when both services join a common network."""
    if other is None:
        return
    shared = sorted(set(compose.networks) & set(other.networks))
    yield _result(write, "dependency.network", service, bool(shared), f"a network shared with {other.name}",
                  ", ".join(shared) or f"{', '.join(compose.networks) or 'none'} vs {', '.join(other.networks) or 'none'}",
                  line, other.name, f"network to {other.name}")


def _healthcheck(write: FindingWriter, service: ServiceSpec, compose: ComposeService,
                 secrets: frozenset[str]) -> Iterator[Finding]:
    health = service.health
    if health is None:
        return
    check = compose.healthcheck
    if check is None or check.disabled:
        yield _result(write, "healthcheck.config", service, False, "a healthcheck",
                      "disabled" if check else "none", health.block_line, "defined", "healthcheck")
        return
    command = " ".join(check.test)
    shown = masked_command(check.test, secrets)[:120]  # masked before it is cut: `-a ${REDIS_PASSWORD}`
    if health.kind == "http" and health.path:
        yield _result(write, "healthcheck.config", service, health.path in command, f"checks {health.path}",
                      shown, health.line, "target", "healthcheck", fail=Status.WARN)
    elif health.command:
        program = health.command.split()[0]
        yield _result(write, "healthcheck.config", service, program in command, f"runs {program}",
                      shown, health.line, "target", "healthcheck", fail=Status.WARN)
    for label, documented, actual, unit in (("interval", health.interval_s, check.interval_s, "s"),
                                            ("timeout", health.timeout_s, check.timeout_s, "s"),
                                            ("retries", health.retries, check.retries, ""),
                                            ("start period", health.start_period_s, check.start_period_s, "s")):
        if documented is not None:
            yield _result(write, "healthcheck.config", service, actual is not None and float(documented) == float(actual),
                          f"{label} {documented:g}{unit}",
                          f"{label} {actual:g}{unit}" if actual is not None else f"no {label}",
                          health.block_line, label, f"healthcheck {label}")


def _restart(write: FindingWriter, service: ServiceSpec, compose: ComposeService) -> Iterator[Finding]:
    if service.restart_policy is not None:
        actual = compose.restart or "no"
        yield _result(write, "restart.policy", service, actual == service.restart_policy.value,
                      service.restart_policy.value, actual, service.restart_policy.line, "", "restart policy")


def _limits(write: FindingWriter, service: ServiceSpec, compose: ComposeService) -> Iterator[Finding]:
    limits = service.limits
    if limits is None:
        return
    if limits.cpus is not None:
        yield _result(write, "limits.cpu", service, compose.cpus is not None and abs(compose.cpus - limits.cpus) < 1e-9,
                      f"{limits.cpus:g} CPUs", f"{compose.cpus:g} CPUs" if compose.cpus else "no CPU limit",
                      limits.line, "", "CPU limit")
    if limits.memory_bytes is not None:
        yield _result(write, "limits.memory", service, compose.memory_bytes == limits.memory_bytes,
                      f"{limits.memory_bytes} bytes", f"{compose.memory_bytes} bytes" if compose.memory_bytes
                      else "no memory limit", limits.line, "", "memory limit")


def _volumes(write: FindingWriter, service: ServiceSpec, compose: ComposeService) -> Iterator[Finding]:
    for volume in service.volumes:
        mounted = [v for v in compose.volumes if (volume.target and v.target == volume.target)
                   or (not volume.target and v.source == volume.source)]
        same = bool(mounted) and (volume.source is None or any(v.source == volume.source for v in mounted))
        observed = ", ".join(f"{v.source or '(anonymous)'}:{v.target}" for v in mounted) or "not mounted"
        yield _result(write, "volume.mount", service, same, f"{volume.source or '?'}:{volume.target or '?'}",
                      observed, volume.line, volume.target or volume.source or "", "volume")
