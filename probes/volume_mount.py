"""volume.mount: the documented volume is mounted at the documented path."""
from verifier.checks import Check, VolumeTarget
from verifier.findings import Observation, Status
from verifier.stack import Mount, Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, VolumeTarget)
    for container in stack.containers(check.runs_as):
        at_target = [m for m in container.mounts if m.destination == target.target]
        if not at_target:
            return Observation(Status.FAIL, "not mounted", f"{container.name} mounts nothing at {target.target}")
        mount = at_target[0]
        if target.source and not _is_source(mount, target.source, stack.project):
            return Observation(Status.FAIL, f"{_describe(mount)} at {target.target}",
                               f"{container.name} mounts {_describe(mount)} at {target.target}, not {target.source}")
    return Observation(Status.PASS, check.expected, f"mounted at {target.target}")


def _is_source(mount: Mount, source: str, project: str) -> bool:
    """Compose names a project's volume `<project>_<name>`; a bind mount is compared by path ending."""
    if mount.type == "volume":
        return mount.name in (source, f"{project}_{source}")
    return bool(mount.source) and mount.source.rstrip("/").endswith(source.strip("./").rstrip("/"))


def _describe(mount: Mount) -> str:
    return f"volume {mount.name}" if mount.type == "volume" else f"{mount.type} {mount.source or ''}".strip()
