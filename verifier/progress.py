"""A progress line on a terminal while checks run; nothing at all when stderr is not a terminal."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from verifier.findings import Finding
from verifier.sanitize import plain


def describe(finding: Finding) -> str:
    """What the line says was just checked: names a document or a stack chose, shown as text."""
    return plain(f"{finding.service} {finding.check}")


@contextmanager
def progress_display(total: int) -> Iterator[Callable[[Finding], None] | None]:
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    # markup=False: a service called `api[/]` would stop the run with rich's MarkupError, and
    # `[link=...]` would print a live hyperlink.
    with Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.description}", markup=False),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=total)

        def advance(finding: Finding) -> None:
            bar.update(task, advance=1, description=describe(finding))

        yield advance
