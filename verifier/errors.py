"""The verifier's own exceptions, each mapped to one documented exit code.

    VerifierError                 any failure to run a verification at all
    ├── UsageError                bad arguments, missing or unreadable files   (exit 2)
    │   └── DocumentError         the document cannot be read as a deployment architecture
    └── EngineUnreachableError    the Docker Engine does not answer             (exit 3)

A stack that does not match its document is never an exception: it is a finding.
"""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    CONFORMANT = 0
    NOT_CONFORMANT = 1
    BAD_INPUT = 2
    ENGINE_UNREACHABLE = 3


class VerifierError(Exception):
    exit_code: ExitCode = ExitCode.BAD_INPUT


class UsageError(VerifierError):
    exit_code = ExitCode.BAD_INPUT


class DocumentError(UsageError):
    def __init__(self, path: str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line


class EngineUnreachableError(VerifierError):
    exit_code = ExitCode.ENGINE_UNREACHABLE
