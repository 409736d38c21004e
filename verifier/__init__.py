"""Checks a running Docker Compose stack against its deployment architecture document."""

# Written here, not read from the installed metadata: importlib.metadata costs every run 60 ms.
# pyproject.toml takes the package's version from this line.
__version__ = "0.1.0"
