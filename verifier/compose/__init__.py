"""The compose reader: compose files -> ComposeProject, with Compose's own semantics.

    files -> YAML (yamlfile) -> interpolation (interpolate) -> extends -> merge in order (merge)
          -> profiles -> normalized services (services)
"""
from verifier.compose.load import load_compose, normalized
from verifier.compose.model import (
           ComposeHealthcheck,
           ComposePort,
           ComposeProject,
           ComposeService,
           ComposeVolume,
)

__all__ = ["ComposeHealthcheck", "ComposePort", "ComposeProject", "ComposeService", "ComposeVolume",
           "load_compose", "normalized"]
