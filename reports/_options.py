"""How a report is to be written, beyond what it holds."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenderOptions:
    quiet: bool = False  # only what did not pass, and the verdict
    written_to: Path | None = None  # the file being written; None for standard output

    def link_to(self, document_path: str) -> str:
        """The document's path as a relative link from where this report is read."""
        start = self.written_to.resolve().parent if self.written_to is not None else Path.cwd()
        return Path(os.path.relpath(Path(document_path).resolve(), start)).as_posix()
