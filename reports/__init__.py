"""Report formats: one module each, with one entry point, `render(report, stream, options)`.

A renderer only writes what the report holds; it never probes and never decides the
verdict. Adding a format is one module here and one line in RENDERERS.
"""
from __future__ import annotations

from typing import Protocol, TextIO

from reports import html_report, json_report, junit, markdown, sarif, terminal
from reports._options import RenderOptions
from verifier.findings import Report


class Renderer(Protocol):
    def __call__(self, report: Report, stream: TextIO, options: RenderOptions) -> None: ...


RENDERERS: dict[str, Renderer] = {
    "terminal": terminal.render,
    "json": json_report.render,
    "markdown": markdown.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "html": html_report.render,
}

__all__ = ["RENDERERS", "RenderOptions", "Renderer"]
