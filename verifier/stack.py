"""A snapshot of the running Compose project, read once from the Docker Engine.

Containers are found by Compose's labels, never by name, so stacks started by
Compose v1 (`proj_svc_1`) and v2 (`proj-svc-1`) look the same here. Probes read
this snapshot instead of asking the Engine again for every check.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from verifier.errors import EngineUnreachableError

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
ONEOFF_LABEL = "com.docker.compose.oneoff"
CONFIG_HASH_LABEL = "com.docker.compose.config-hash"
VERSION_LABEL = "com.docker.compose.version"
DEPENDS_ON_LABEL = "com.docker.compose.depends_on"
DEFAULT_ENGINE = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class PortBinding:
    container_port: int
    protocol: str
    host_ip: str
    host_port: int


@dataclass(frozen=True)
class Mount:
    type: str  # volume, bind, tmpfs
    name: str | None  # the volume's name, for a volume
    source: str | None
    destination: str
    read_only: bool


@dataclass(frozen=True)
class HealthConfig:
    test: tuple[str, ...]
    interval_s: float | None
    timeout_s: float | None
    retries: int | None
    start_period_s: float | None


@dataclass(frozen=True)
class ContainerState:
    id: str
    name: str
    service: str
    image: str
    status: str  # created, running, restarting, paused, exited, dead
    exit_code: int
    oom_killed: bool
    restart_count: int
    health: str | None  # None when the container defines no healthcheck
    ports: tuple[PortBinding, ...]
    config_hash: str | None  # Compose's hash of the service definition the container was created from
    compose_version: str | None  # the Compose that created it
    restart_policy: str  # "no", "always", "unless-stopped", "on-failure"
    cpus: float | None  # the CPU limit, None when unlimited
    memory_bytes: int | None  # the memory limit, None when unlimited
    mounts: tuple[Mount, ...]
    healthcheck: HealthConfig | None
    started_at: str  # ISO-8601 from the Engine; compares correctly as text (same zone, fixed width)
    depends_on: Mapping[str, str]  # service -> condition, from Compose v2's label; empty for v1
    # Environments hold credentials: kept out of repr so no traceback or debug print shows them.
    environment: Mapping[str, str] = field(repr=False)
    addresses: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # network -> IP
    network_view: tuple[str, ...] = ()  # what decides what the container's connections see; see below
    network_mode: str = ""  # the Engine's: a network's name, "host", "none" or "container:<id>"

    @property
    def address(self) -> str:
        """Where its peers reach it: its address on its first network; loopback for a container with
        no network of its own (`network_mode: host`, `none`, `container:...`), which is looked at from
        inside itself."""
        for network in sorted(self.addresses):
            if self.addresses[network]:
                return self.addresses[network]
        return "127.0.0.1"

    def bindings(self, container_port: int, protocol: str = "tcp") -> tuple[PortBinding, ...]:
        return tuple(
            b for b in self.ports if b.container_port == container_port and b.protocol == protocol
        )


@dataclass(frozen=True)
class NetRequest:
    kind: str  # "tcp" or "http"
    host: str
    port: int
    path: str = ""
    method: str = "GET"
    body_contains: str = ""  # for http: the text looked for in the body (the body itself is not returned)


@dataclass(frozen=True)
class NetResult:
    ok: bool
    detail: str = ""
    status: int | None = None
    body_found: bool = False  # body_contains was in the first BODY_LIMIT bytes of the body
    elapsed_ms: float = 0.0
    unusable: bool = False  # the look's answer for this request could not be read: an error, not a fact


@dataclass(frozen=True)
class NetworkFacts:
    """What one service's namespace showed, and how it was looked at."""

    method: str  # "docker exec in api" or "probe container beside api"; "" when nothing could be run
    results: Mapping[NetRequest, NetResult] = field(default_factory=dict)
    unavailable: str | None = None  # why no in-network facts exist
    vantage: str = ""  # the service looked from, which may be another on the same networks

    def how_for(self, service: str) -> str:
        """How `service`'s facts were looked at, in its own findings' words."""
        if self.vantage and self.vantage != service:
            return f"{self.method}, on the same networks as {service}"
        return self.method


@dataclass(frozen=True)
class Stack:
    project: str
    engine: str
    engine_host: str  # where published ports are reached from this machine
    services: Mapping[str, tuple[ContainerState, ...]]
    network: Mapping[str, NetworkFacts] = field(default_factory=lambda: MappingProxyType({}))

    def with_network(self, facts: Mapping[str, NetworkFacts]) -> Stack:
        """`facts` may still be arriving (see innet.PendingFacts): it is kept as given, not copied."""
        return replace(self, network=facts)

    def containers(self, service: str) -> tuple[ContainerState, ...]:
        return self.services.get(service, ())

    def owns(self, host: str) -> bool:
        """Whether `host` names one of the stack's own containers: by its service, its name, or an address."""
        if host in self.services:
            return True
        return any(host == c.name or host in c.addresses.values()
                   for containers in self.services.values() for c in containers)

    def published_endpoint(self, service: str, container_port: int) -> PublishedEndpoint | None:
        """Where this machine reaches a running container's port through its host binding."""
        for container in self.containers(service):
            bindings = container.bindings(container_port) if container.status == "running" else ()
            if not bindings:
                continue
            ipv4 = [b for b in bindings if ":" not in b.host_ip]
            binding = (ipv4 or bindings)[0]
            wildcard = binding.host_ip in ("", "0.0.0.0", "::")
            return PublishedEndpoint(container, self.engine_host if wildcard else binding.host_ip, binding.host_port)
        return None


@dataclass(frozen=True)
class PublishedEndpoint:
    container: ContainerState
    host: str
    port: int

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def engine_url() -> str:
    return os.environ.get("DOCKER_HOST") or DEFAULT_ENGINE


def engine_host(url: str) -> str:
    """Published ports live on the Engine's host: loopback for a local socket."""
    parts = urlsplit(url)
    if parts.scheme in ("tcp", "http", "https", "ssh") and parts.hostname:
        return parts.hostname
    return "127.0.0.1"


def snapshot_stack(project: str, timeout: float = 10.0, workers: int = 8) -> Stack:
    """The project's containers as the Engine shows them now; `workers` inspects at once."""
    import docker  # imported here: the Docker SDK is slow to import and `--help` needs none of it
    from docker.errors import DockerException

    url = engine_url()
    try:
        client = docker.from_env(timeout=max(1, int(timeout)), max_pool_size=max(workers, 1))
        try:
            inspected = _inspect_all(client, project, workers)
        finally:
            client.close()
    except DockerException as exc:
        raise EngineUnreachableError(
            f"cannot reach the Docker Engine at {url} ({_reason(exc)}); "
            "is dockerd running, and may this user use its socket? Set DOCKER_HOST to look elsewhere"
        ) from exc
    by_service: dict[str, list[ContainerState]] = {}
    for attrs in inspected:
        state = _container_state(attrs)
        if state is not None:
            by_service.setdefault(state.service, []).append(state)
    return Stack(
        project=project,
        engine=url,
        engine_host=engine_host(url),
        services=MappingProxyType({k: tuple(sorted(v, key=lambda c: c.name)) for k, v in by_service.items()}),
    )


def _inspect_all(client: Any, project: str, workers: int) -> list[dict[str, Any]]:
    """One listing, then every container's inspect at once: one after another, they are most of a
    snapshot's time on a large stack. A container removed in between is left out."""
    from concurrent.futures import ThreadPoolExecutor

    from docker.errors import NotFound

    listed = client.api.containers(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})

    def inspect(container_id: str) -> dict[str, Any] | None:
        try:
            return client.api.inspect_container(container_id)
        except NotFound:
            return None

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inspect") as pool:
        return [attrs for attrs in pool.map(inspect, [c["Id"] for c in listed]) if attrs is not None]


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Permission denied", "Connection refused", "No such file or directory"):
        if marker in text:
            return marker.lower()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _container_state(attrs: dict[str, Any]) -> ContainerState | None:
    config = attrs.get("Config") or {}
    labels = config.get("Labels") or {}
    if labels.get(ONEOFF_LABEL, "False") == "True" or SERVICE_LABEL not in labels:
        return None  # `compose run` containers are not part of the deployed stack
    state = attrs.get("State") or {}
    host = attrs.get("HostConfig") or {}
    health = (state.get("Health") or {}).get("Status")
    return ContainerState(
        id=attrs["Id"],
        name=attrs.get("Name", "").lstrip("/"),
        service=labels[SERVICE_LABEL],
        image=config.get("Image", ""),
        status=state.get("Status", "unknown"),
        exit_code=int(state.get("ExitCode") or 0),
        oom_killed=bool(state.get("OOMKilled")),
        restart_count=int(attrs.get("RestartCount") or 0),
        health=health,
        ports=_bindings((attrs.get("NetworkSettings") or {}).get("Ports") or {}),
        config_hash=labels.get(CONFIG_HASH_LABEL),
        compose_version=labels.get(VERSION_LABEL),
        restart_policy=(host.get("RestartPolicy") or {}).get("Name") or "no",
        cpus=_cpus(host),
        memory_bytes=int(host["Memory"]) if host.get("Memory") else None,
        mounts=tuple(Mount(m.get("Type", ""), m.get("Name") or None, m.get("Source") or None,
                           m.get("Destination", ""), not m.get("RW", True)) for m in attrs.get("Mounts") or ()),
        healthcheck=_health_config(config.get("Healthcheck")),
        started_at=state.get("StartedAt") or "",
        depends_on=MappingProxyType(_depends_on(labels.get(DEPENDS_ON_LABEL, ""))),
        environment=MappingProxyType(_environment(config.get("Env") or [])),
        addresses=MappingProxyType(_addresses(attrs)),
        network_view=_network_view(attrs),
        network_mode=host.get("NetworkMode") or "",
    )


def _addresses(attrs: dict[str, Any]) -> dict[str, str]:
    networks = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
    return {name: (settings or {}).get("IPAddress") or (settings or {}).get("GlobalIPv6Address") or ""
            for name, settings in networks.items()}


def _network_view(attrs: dict[str, Any]) -> tuple[str, ...]:
    """The networks a container is on and what its resolver is told besides (extra hosts, DNS servers,
    legacy links): two containers alike in all of these reach the same names and addresses. Empty for
    a container that shares a namespace or has none of its own: only it sees what it sees."""
    host = attrs.get("HostConfig") or {}
    mode = host.get("NetworkMode") or ""
    if mode in ("host", "none") or mode.startswith("container:"):
        return ()
    networks = sorted(_addresses(attrs))
    if not networks:
        return ()
    resolver = [f"{key}={sorted(host.get(key) or ())}" for key in ("ExtraHosts", "Dns", "DnsSearch", "DnsOptions", "Links")]
    return (*networks, *resolver)


def _depends_on(label: str) -> dict[str, str]:
    """`postgres:service_healthy:false,cache:service_started:true` -> {postgres: service_healthy, ...}."""
    found = {}
    for entry in label.split(","):
        parts = entry.split(":")
        if len(parts) >= 2 and parts[0]:
            found[parts[0]] = parts[1]
    return found


def _cpus(host: dict[str, Any]) -> float | None:
    if host.get("NanoCpus"):
        return host["NanoCpus"] / 1e9
    if host.get("CpuQuota") and host.get("CpuPeriod"):
        return host["CpuQuota"] / host["CpuPeriod"]
    return None


def _health_config(config: dict[str, Any] | None) -> HealthConfig | None:
    if not config or config.get("Test") in (None, [], ["NONE"]):
        return None

    def seconds(key: str) -> float | None:
        return config[key] / 1e9 if config.get(key) else None

    return HealthConfig(tuple(config["Test"]), seconds("Interval"), seconds("Timeout"),
                        config.get("Retries") or None, seconds("StartPeriod"))


def _bindings(ports: dict[str, list[dict[str, str]] | None]) -> tuple[PortBinding, ...]:
    found = []
    for key, host_bindings in ports.items():
        number, _, protocol = key.partition("/")
        for binding in host_bindings or ():
            if binding.get("HostPort"):
                found.append(PortBinding(int(number), protocol or "tcp", binding.get("HostIp", ""), int(binding["HostPort"])))
    return tuple(found)


def _environment(entries: list[str]) -> dict[str, str]:
    return dict(entry.partition("=")[::2] for entry in entries)
