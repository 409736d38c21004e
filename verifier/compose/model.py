"""A compose project as Compose itself would run it: the boundary of the compose reader."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ComposePort:
    """One `ports:` entry, a range kept as one entry however long (never one object per port):

    - `"9000-9010:8000-8010"`: container ports 8000..8010, each published on the host port at the
      same offset in 9000..9010 (`docker compose config` writes one entry per port of such a range);
    - `"9000-9010:80"`: container port 80 published on one host port of 9000..9010, which the Engine
      picks (`docker compose config` keeps it as one entry, `published: "9000-9010"`);
    - `"8000-8010"`: each container port published on a host port the Engine picks.
    """

    target: int
    published: int | None
    host_ip: str | None
    protocol: str
    target_end: int | None = None  # the last container port of a range; None for a single port
    published_end: int | None = None  # the last host port of a range; None for a single port or none

    @property
    def last_target(self) -> int:
        return self.target if self.target_end is None else self.target_end

    def has_target(self, container_port: int) -> bool:
        return self.target <= container_port <= self.last_target

    def host_ports_for(self, container_port: int) -> range:
        """The host ports this entry may publish `container_port` on: one port, a range the Engine
        picks from, or none (an empty range) when it does not publish that port on a known host port."""
        if self.published is None or not self.has_target(container_port):
            return range(0)
        if self.target_end is None and self.published_end is not None:
            return range(self.published, self.published_end + 1)
        host_port = self.published + (container_port - self.target)
        return range(host_port, host_port + 1)


def host_ports(ports: Iterable[ComposePort], container_port: int, protocol: str | None = None) -> tuple[range, ...]:
    """The host ports a service's entries publish `container_port` on (of `protocol`, when given),
    distinct and by first port; empty when none publishes it."""
    found = {p.host_ports_for(container_port) for p in ports if protocol is None or p.protocol == protocol}
    return tuple(sorted((r for r in found if r), key=lambda r: (r.start, r.stop)))


def host_ports_text(ranges: Iterable[range], container_port: int) -> str:
    """`5000->80, 8000-8010->80`, or `not published`."""
    shown = [f"{r.start}->{container_port}" if len(r) == 1 else f"{r.start}-{r[-1]}->{container_port}"
             for r in ranges]
    return ", ".join(shown) or "not published"


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
    # The secret values of the variables interpolation read (the shell's, `.env`'s): any of them may be
    # anywhere in the project, in a healthcheck or an image as well as an environment. Kept out of repr.
    secrets: tuple[str, ...] = field(default=(), repr=False)
