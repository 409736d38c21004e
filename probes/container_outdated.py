"""container.outdated: the running container was created from the current compose definition.

Compared by Compose's own config hash when the same Compose version created the container;
otherwise skipped here, and the field-by-field live checks tell the differences.
"""
from verifier.checks import Check, HashTarget
from verifier.findings import Observation, Status
from verifier.redeploy import base_version
from verifier.stack import Stack


def probe(check: Check, stack: Stack, timeout: float) -> Observation:
    target = check.target
    assert isinstance(target, HashTarget)
    containers = stack.containers(check.runs_as)
    other_version = [c for c in containers if base_version(c.compose_version) != target.compose_version]
    if other_version:
        return Observation(Status.SKIP, f"created by Compose {other_version[0].compose_version or 'unknown'}",
                           f"this machine has Compose {target.compose_version}, whose hashes differ; "
                           "the other live checks compare the definition field by field")
    stale = [c for c in containers if c.config_hash != target.config_hash]
    joined = [c for c in stale if c.network_mode.startswith("container:")]
    if joined:
        return Observation(Status.SKIP, "hash not comparable",
                           f"{joined[0].name} joins another container's network namespace: Compose hashes its "
                           "definition with that container's id in place of `service:...`, a hash `config --hash` "
                           "cannot give; the other live checks compare the definition field by field")
    if stale:
        return Observation(Status.FAIL, "created from an older definition",
                           f"{', '.join(c.name for c in stale)} predates the compose file's definition of "
                           f"'{check.runs_as}': not redeployed since it changed (docker compose up -d)")
    return Observation(Status.PASS, "current", "created from the compose file's current definition")
