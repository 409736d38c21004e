"""The verifier's own exceptions, each mapped to one documented exit code.

    VerifierError                 any failure to run a verification at all
    ├── UsageError                bad arguments, missing or unreadable files   (exit 2)
    │   └── InputError            a document or compose file that cannot be read as one
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


class InputError(UsageError):
    """The message names the file, and the line where one applies: `doc.md:12: not UTF-8 text`."""


class EngineUnreachableError(VerifierError):
    exit_code = ExitCode.ENGINE_UNREACHABLE
