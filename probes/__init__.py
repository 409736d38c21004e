"""Probes: one module per check kind, each with one entry point, `probe(check, stack, timeout)`.

A probe only looks and returns an Observation; it never prints, and it never changes
the stack. Adding a probe is one module here and one line in PROBES.
"""
from __future__ import annotations

from typing import Protocol

from probes import (
    container_health,
    container_outdated,
    container_running,
    dependency_order,
    dependency_reachable,
    env_present,
    env_value,
    healthcheck_config,
    http_health,
    image,
    limits_cpu,
    limits_memory,
    nfr_latency,
    port_exposure,
    port_listening,
    port_published,
    postgres_ready,
    restart_policy,
    service_missing,
    volume_mount,
)
from verifier.checks import Check
from verifier.findings import Observation
from verifier.stack import Stack


class Probe(Protocol):
    def __call__(self, check: Check, stack: Stack, timeout: float) -> Observation: ...


PROBES: dict[str, Probe] = {
    "service.missing": service_missing.probe,
    "container.running": container_running.probe,
    "container.health": container_health.probe,
    "container.outdated": container_outdated.probe,
    "port.published": port_published.probe,
    "http.health": http_health.probe,
    "postgres.ready": postgres_ready.probe,
    "env.present": env_present.probe,
    "env.value": env_value.probe,
    "image": image.probe,
    "restart.policy": restart_policy.probe,
    "limits.cpu": limits_cpu.probe,
    "limits.memory": limits_memory.probe,
    "volume.mount": volume_mount.probe,
    "healthcheck.config": healthcheck_config.probe,
    "port.exposure": port_exposure.probe,
    "nfr.latency": nfr_latency.probe,
    "dependency.order": dependency_order.probe,
    "port.listening": port_listening.probe,
    "dependency.reachable": dependency_reachable.probe,
}

__all__ = ["PROBES", "Probe"]
