"""What the document says, as frozen data: every fact carries the line it was read from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from verifier.findings import Finding

T = TypeVar("T")


@dataclass(frozen=True)
class Fact(Generic[T]):
    """One documented value and the 1-based line of the document it was read from."""

    value: T
    line: int


@dataclass(frozen=True)
class PortSpec:
    container_port: int
    host_port: int | None  # None: documented as internal only
    exposure: str  # "public", "dev-only" or "internal"
    environment: str | None  # "development" / "staging" / "production" when the document scopes it
    remark: str
    line: int

    def published_in(self, environment: str) -> bool | None:
        """Whether the document wants this port bound on the host in `environment`; None when this
        line speaks of another environment."""
        if self.host_port is None:
            return False
        if self.environment is not None and self.environment != environment:
            return None
        return self.exposure != "dev-only" or environment == DEVELOPMENT


DEVELOPMENT = "development"
ENVIRONMENTS = {"development": DEVELOPMENT, "dev": DEVELOPMENT, "local": DEVELOPMENT,
                "staging": "staging", "stage": "staging", "production": "production", "prod": "production"}


@dataclass(frozen=True)
class HealthSpec:
    kind: str  # "http", "postgres" or "command"
    method: str | None
    path: str | None
    port: int | None  # only when the endpoint is written as a URL with a port
    expected_status: int | None
    body_contains: str | None
    command: str | None
    interval_s: float | None
    timeout_s: float | None
    retries: int | None
    start_period_s: float | None
    line: int  # the endpoint's or command's line: what a probe verifies
    block_line: int  # the `Health Check:` line


@dataclass(frozen=True)
class DependencySpec:
    service: str
    condition: str  # "healthy" or "started"
    remark: str
    line: int


@dataclass(frozen=True)
class EnvVarSpec:
    name: str
    value: str | None  # a concrete documented value; None when only described, a placeholder, or secret
    description: str
    secret: bool
    placeholder: bool
    line: int


@dataclass(frozen=True)
class BuildSpec:
    context: str | None
    dockerfile: str | None
    line: int


@dataclass(frozen=True)
class VolumeSpec:
    source: str | None
    target: str | None
    line: int


@dataclass(frozen=True)
class LimitsSpec:
    cpus: float | None
    memory_bytes: int | None
    line: int


@dataclass(frozen=True)
class CodeFacts:
    """What the Code Inspection Summary says of the service's code."""

    language: str | None
    framework: str | None
    database: str | None
    config: str | None
    ports: tuple[int, ...]
    line: int


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    heading: str
    line: int
    source_dir: str | None
    image: Fact[str] | None
    build: BuildSpec | None
    ports: tuple[PortSpec, ...]
    health: HealthSpec | None
    dependencies: tuple[DependencySpec, ...]
    environment: tuple[EnvVarSpec, ...]
    restart_policy: Fact[str] | None
    volumes: tuple[VolumeSpec, ...] = ()
    limits: LimitsSpec | None = None
    init_scripts: tuple[Fact[str], ...] = ()
    code: CodeFacts | None = None

    @property
    def primary_port(self) -> int | None:
        """The container port a documented endpoint is served on when it names none."""
        return self.ports[0].container_port if self.ports else None


@dataclass(frozen=True)
class Link:
    """One service talks to another, as the document draws or lists it."""

    source: str
    target: str
    port: int | None
    line: int


@dataclass(frozen=True)
class AccessPoint:
    environment: str
    service: str | None
    url: str
    port: int | None
    line: int


@dataclass(frozen=True)
class LatencyTarget:
    service: str | None
    percentile: int | None
    max_ms: float
    line: int


@dataclass(frozen=True)
class Isolation:
    service: str
    environment: str | None
    line: int


@dataclass(frozen=True)
class Nfr:
    latency: tuple[LatencyTarget, ...] = ()
    https_required: Fact[str | None] | None = None  # the environment it is required in, if named
    isolation: tuple[Isolation, ...] = ()


@dataclass(frozen=True)
class DatabaseSpec:
    type: str | None
    version: str | None
    port: int | None
    line: int


@dataclass(frozen=True)
class Infrastructure:
    database: DatabaseSpec | None = None
    cache: Fact[str] | None = None
    queue: Fact[str] | None = None


@dataclass(frozen=True)
class External:
    """A system the document relies on that is not a service of the stack."""

    name: str
    line: int
    reason: str


@dataclass(frozen=True)
class ReadingNote:
    """Something in the document the reader saw and could only take in part."""

    line: int
    message: str


@dataclass(frozen=True)
class DocumentModel:
    path: str
    sha256: str
    services: tuple[ServiceSpec, ...]
    notes: tuple[ReadingNote, ...] = ()
    pattern: Fact[str] | None = None
    infrastructure: Infrastructure = Infrastructure()
    links: tuple[Link, ...] = ()
    access: tuple[AccessPoint, ...] = ()
    nfr: Nfr = Nfr()
    external: tuple[External, ...] = ()
    findings: tuple[Finding, ...] = ()  # document-layer findings: placeholders, contradictions

    def service(self, name: str) -> ServiceSpec | None:
        return next((s for s in self.services if s.name == name), None)
