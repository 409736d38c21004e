"""What the document says, as frozen data: every fact carries the line it was read from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

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
    scope: str | None  # "development" / "production" when the document scopes it
    remark: str
    line: int


@dataclass(frozen=True)
class HttpHealthSpec:
    path: str
    method: str
    expected_status: int
    port: int | None  # only when the endpoint is written as a URL with a port
    line: int


@dataclass(frozen=True)
class CommandHealthSpec:
    command: str
    line: int


@dataclass(frozen=True)
class HealthSpec:
    probe: HttpHealthSpec | CommandHealthSpec
    interval: Fact[str] | None
    timeout: Fact[str] | None
    retries: Fact[int] | None
    line: int


@dataclass(frozen=True)
class DependencySpec:
    service: str
    condition: str  # "healthy" or "started"
    remark: str
    line: int


@dataclass(frozen=True)
class EnvVarSpec:
    name: str
    value: str | None  # a concrete documented value; None when only described
    description: str
    secret: bool
    line: int


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    heading: str
    line: int
    image: Fact[str] | None
    build_context: Fact[str] | None
    ports: tuple[PortSpec, ...]
    health: HealthSpec | None
    dependencies: tuple[DependencySpec, ...]
    environment: tuple[EnvVarSpec, ...]
    restart_policy: Fact[str] | None

    @property
    def primary_port(self) -> int | None:
        """The container port a documented endpoint is served on when it names none."""
        return self.ports[0].container_port if self.ports else None


@dataclass(frozen=True)
class ReadingNote:
    """Something in the document the reader saw but could not take as a fact."""

    line: int
    message: str


@dataclass(frozen=True)
class DocumentModel:
    path: str
    sha256: str
    services: tuple[ServiceSpec, ...]
    notes: tuple[ReadingNote, ...]

    def service(self, name: str) -> ServiceSpec | None:
        return next((s for s in self.services if s.name == name), None)
