"""Where a finished report goes: one format on standard output, any number written to files."""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from verifier.errors import UsageError
from verifier.findings import Report


@dataclass(frozen=True)
class Outputs:
    stdout_format: str
    files: tuple[tuple[str, Path], ...] = ()  # (format, path), written before standard output
    quiet: bool = False  # standard output shows only what did not pass, and the verdict


def output_file(text: str) -> tuple[str, Path]:
    """`--output FORMAT=PATH`, checked when the arguments are read."""
    from reports import RENDERERS

    name, separator, path = text.partition("=")
    if not separator or not path:
        raise argparse.ArgumentTypeError(f"expected FORMAT=PATH, e.g. junit=report.xml, not {text!r}")
    if name not in RENDERERS:
        raise argparse.ArgumentTypeError(f"unknown format {name!r}: use one of {', '.join(sorted(RENDERERS))}")
    return name, Path(path)


def deliver(report: Report, outputs: Outputs) -> None:
    from reports import RENDERERS, RenderOptions

    for name, path in outputs.files:
        _write_file(path, lambda stream, name=name, path=path:
                    RENDERERS[name](report, stream, RenderOptions(written_to=path)))
    RENDERERS[outputs.stdout_format](report, sys.stdout, RenderOptions(quiet=outputs.quiet))


def _write_file(path: Path, render) -> None:
    """All or nothing: a half-written report must never replace yesterday's (a temporary file, then rename)."""
    directory = path.resolve().parent
    if not directory.is_dir():
        raise UsageError(f"{path}: its folder {directory} does not exist")
    try:
        descriptor, temporary = _new_file_beside(path, directory)
    except OSError as exc:
        raise UsageError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as stream:
            render(stream)
        os.replace(temporary, path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _new_file_beside(path: Path, directory: Path) -> tuple[int, Path]:
    """A new, hidden file in the report's folder, with the permissions the umask gives (0o666 & ~umask),
    as the shell's `>` would create the report: a report says which secrets are present (never their
    values), so who may read it is the user's choice (`umask 077`), never widened to 0644 behind it.
    O_EXCL: never a file, or a link, that someone else put there."""
    for _ in range(100):
        candidate = directory / f".{path.name}.{os.urandom(4).hex()}"
        try:
            return os.open(candidate, _NEW_FILE, 0o666), candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")
