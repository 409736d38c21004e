"""Checks a running Docker Compose stack against its deployment architecture document."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("deployment-verifier")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
