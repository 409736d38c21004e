"""Where a finished report goes: one format on standard output, any number written to files."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
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
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise UsageError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as stream:
            render(stream)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
