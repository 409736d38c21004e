"""A compose project as Compose itself would run it: the boundary of the compose reader."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ComposePort:
    target: int
    published: int | None
    host_ip: str | None
    protocol: str


@dataclass(frozen=True)
class ComposeHealthcheck:
    disabled: bool
    test: tuple[str, ...]
    interval_s: float | None
    timeout_s: float | None
    retries: int | None
    start_period_s: float | None


@dataclass(frozen=True)
class ComposeVolume:
    type: str
    source: str | None
    target: str
    read_only: bool


@dataclass(frozen=True)
class ComposeService:
    name: str
    image: str | None
    build_context: str | None
    dockerfile: str | None
    ports: tuple[ComposePort, ...]
    # Values are often credentials: kept out of repr so no traceback or debug print shows them.
    environment: Mapping[str, str | None] = field(repr=False)
    depends_on: Mapping[str, str] = field(default_factory=dict)  # service -> condition
    healthcheck: ComposeHealthcheck | None = None
    restart: str | None = None
    cpus: float | None = None
    memory_bytes: int | None = None
    volumes: tuple[ComposeVolume, ...] = ()
    networks: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComposeProject:
    name: str
    files: tuple[Path, ...]
    directory: Path
    services: Mapping[str, ComposeService]
