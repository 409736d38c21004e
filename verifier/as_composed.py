"""What the live layer expects where the compose file states a fact too.

A fact the compose file states differently from the document is the compose layer's drift,
reported there once; the running stack is then checked against the compose file, so that the
live layer reports only what the running stack itself changed."""
from __future__ import annotations

from dataclasses import replace

from verifier.checks import (
    Check,
    CheckTarget,
    CpuTarget,
    EnvTarget,
    EnvValueTarget,
    ExposureTarget,
    HealthConfigTarget,
    ImageTarget,
    MemoryTarget,
    PortTarget,
    RestartTarget,
)
from verifier.compose.model import ComposeService, host_ports

AS_COMPOSED = " (as the compose file says)"  # marks an expectation the compose file set, not the document


def as_composed(check: Check, definition: ComposeService) -> Check:
    check = replace(check, compose_service=definition.name)
    target = check.target
    if isinstance(target, PortTarget):
        published = host_ports(definition.ports, target.container_port, target.protocol)
        if not published:
            return replace(check, skip_reason="the compose file does not publish this port (see the compose layer)")
        if not any(target.host_port in r for r in published):  # a range is tested, never listed
            first = published[0].start
            return replace(check, target=replace(target, host_port=first),
                           expected=f"{first}->{target.container_port}/{target.protocol}{AS_COMPOSED}")
    if isinstance(target, ExposureTarget) and host_ports(definition.ports, target.container_port):
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
