"""What the planner hands to the runner and the probes: checks, their targets, the plan.

Each target says exactly what one probe verifies; a probe finds its target's type here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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
