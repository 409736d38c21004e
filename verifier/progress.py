"""A progress line on a terminal while checks run; nothing at all when stderr is not a terminal."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from verifier.findings import Finding


@contextmanager
def progress_display(total: int) -> Iterator[Callable[[Finding], None] | None]:
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=total)

        def advance(finding: Finding) -> None:
            bar.update(task, advance=1, description=f"{finding.service} {finding.check}")

        yield advance
