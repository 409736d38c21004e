"""Reading a user's text file (a document, a compose file) or saying in one sentence why not."""
from __future__ import annotations

from pathlib import Path

from verifier.errors import InputError


def read_text_file(path: Path, kind: str, max_bytes: int) -> tuple[bytes, str]:
    """The raw bytes and the UTF-8 text of `path`; `kind` names what it should be ("a compose file")."""
    try:
        if path.is_dir():
            raise InputError(f"{path}: is a directory, not {kind}")
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{path}: {size:,} bytes is too large for {kind} (the limit is {max_bytes:,})")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if b"\x00" in raw[:8192]:
        raise InputError(f"{path}: a binary file, not {kind}")
    try:
        return raw, raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text") from None
