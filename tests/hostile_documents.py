"""Hostile deployment architecture documents of a chosen size, built on the demo document.

Each kind keeps the document valid (four services are still read) and puts its payload where a
section reader reads it: a long line of one shape in every field a reader looks at, or many lines
of one shape in one place. A reader that is linear reads each kind in time proportional to its
size; one that backtracks or copies per item takes hours at 5 MB (see tests/test_bounded_inputs.py).

    python -m tests.hostile_documents SIZE [KIND ...]   # times read_document on SIZE and 2 x SIZE bytes
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_DOCUMENT = ROOT / "compose-fixtures" / "demo" / "deployment-architecture.md"


@dataclass(frozen=True)
class Spot:
    """Where a payload goes: after the line that starts with `after`, written as `form`."""

    after: str
    form: str


# One-line payloads, each in a place some reader reads a line from.
SPOTS = {
    "dependency-list": Spot("**Dependency List:**", "- {payload}"),
    "dependency-arrow": Spot("**Dependency List:**", "- `a` → {payload}"),
    "inspected-port": Spot("- **Port:** 5000", "- **Port:** {payload}"),
    "database-type": Spot("- **Port:** 5432", "- **Type:** {payload}"),
    "image": Spot("Service Name: api", "Image: {payload}"),
    "dependencies": Spot("Service Name: api", "Dependencies: {payload}"),
    "restart": Spot("Service Name: api", "Restart Policy: {payload}"),
    "external-port": Spot("  - External: 5000:5000", "  - External: {payload}"),
    "health-endpoint": Spot("  - Endpoint: /health", "  - Endpoint: /health {payload}"),
    "health-body": Spot("  - Endpoint: /health", "  - Expected Body: {payload}"),
    "health-command": Spot("  - Endpoint: /health", "  - Command: {payload}"),
    "variable": Spot("  - APP_ENV: development", "  - {payload}"),
    "monitoring": Spot("### Health Checks", "- **API:** {payload}"),
    "latency": Spot("### Performance", "- **API Response Time:** {payload}"),
    "isolation": Spot("- **HTTPS:** Required in production", "- **Network Isolation:** {payload}"),
    "communication": Spot("**Backend → Database:**", "- {payload}"),
    "access": Spot("- Frontend: http://localhost:3000", "- API: {payload}"),
    "variable-group": Spot("POSTGRES_DB=app", "# {payload}"),
    "variable-value": Spot("POSTGRES_DB=app", "X={payload}"),
    "diagram": Spot("│    :5000     │     └────────────┘", "│ {payload} :5000"),
    "queue": Spot("**Caching:** None", "**Message Queue:** {payload}"),
    "pattern": Spot("**Pattern Type:**", "**Pattern Type:** {payload}"),
}
LINE_SPOTS = tuple(SPOTS.values())


def inject(text: str, spots: tuple[Spot, ...], *payloads: str) -> str:
    """`text` with a line per payload after each line a spot names."""
    return inject_placed(text, [(spot, payload) for spot in spots for payload in payloads])


def inject_placed(text: str, placed: list[tuple[Spot, str]]) -> str:
    """`text` with each (spot, payload)'s line after the lines its spot names: in one pass, so that a
    written payload is never taken for a spot itself."""
    lines = []
    for line in text.splitlines():
        lines.append(line)
        lines += [spot.form.format(payload=payload) for spot, payload in placed
                  if line.strip().startswith(spot.after.strip())]
    return "\n".join(lines) + "\n"


def _demo() -> str:
    return DEMO_DOCUMENT.read_text(encoding="utf-8")


def _repeat(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def _in_every_line_spot(unit: str, focus: str | None) -> Callable[[int], str]:
    """A kind whose line, `unit` repeated, is written in every line spot: `size` bytes in all, half of
    them in one line at the `focus` spot, where the reader this unit was made against reads it (a
    quadratic cost shows in one long line, not in many short ones)."""
    def build(size: int) -> str:
        spread = size // (2 * len(LINE_SPOTS)) if focus else size // len(LINE_SPOTS)
        placed = [(spot, _repeat(unit, spread)) for spot in LINE_SPOTS]
        if focus:  # first: where a key is written twice, the first one is read
            placed.insert(0, (SPOTS[focus], _repeat(unit, size // 2)))
        return inject_placed(_demo(), placed)
    return build


def _lines_after(after: str, make_line: Callable[[int], str], line_size: int,
                 before: str = "", after_text: str = "") -> Callable[[int], str]:
    """A kind of many lines in one place: `make_line(i)` for each, after the line starting with `after`."""
    def build(size: int) -> str:
        body = "\n".join(make_line(i) for i in range(max(1, size // line_size)))
        return inject(_demo(), (Spot(after, "{payload}"),), before + body + after_text)
    return build


def _at_the_end(make: Callable[[int], str]) -> Callable[[int], str]:
    def build(size: int) -> str:
        return _demo() + "\n" + make(size) + "\n"
    return build


# Units repeated into one long line, written in every line spot, and each unit's focus: the spot
# whose reader it was made against, where half the size goes into one line.
LINE_UNITS: dict[str, tuple[str, str | None]] = {
    "space-runs": ("a    ", "dependency-arrow"),  # `a    a    a ...`
    "long-space-runs": ("a" + " " * 5000, "dependency-arrow"),
    "tab-runs": ("a" + "\t" * 7, "communication"),
    "unicode-space-runs": ("a" + "\u00a0\u2003" * 3, "variable-group"),
    "dependency-commas": ("orders-api, ", "dependencies"),  # a comma list of names
    "commas-in-parentheses": ("a (b, c), ", "dependencies"),
    "unclosed-brackets": ("[", "image"),
    "unclosed-angles": ("<a", "restart"),
    "unclosed-parentheses": ("( a", "dependency-list"),
    "unclosed-emphasis": ("**a", "monitoring"),
    "unclosed-interpolation": ("${", "variable-value"),
    "backtick-runs": ("a" + "`" * 300, "access"),
    "arrows": ("a → ", "dependency-list"),
    "host-ports": ("-a-a.b_c" * 20 + ":123456 ", "communication"),
    "remarks": ("(a) ", "restart"),
    "comments": (" # a ", "variable-value"),
    "alternatives": (" or  |  , ", "health-endpoint"),
    "colons": (":1 ", "variable"),
    "labels": ("**a:** ", "monitoring"),
    "dashes": (" - a –  — ", "dependencies"),
    "latencies": ("p9 < 1 s ", "latency"),
    "isolated": (" a / b and c ", "isolation"),
    "urls": ("http://a:1/ ", "access"),
    "placeholders": ("[e.g. <x> (y) ", "image"),
    "diagram-boxes": ("│ a :5000 ", "diagram"),
    "long-digits": ("1" * 5000 + ":" + "2" * 5000 + " ", "external-port"),  # int() refuses 4,300+ digits
    "long-line": ("a", None),
}


def every_line_kind(size: int) -> str:
    """All line kinds in one document of about `size` bytes: each unit's line in every line spot."""
    per_line = size // (len(LINE_UNITS) * len(LINE_SPOTS))
    return inject(_demo(), LINE_SPOTS, *(_repeat(unit, per_line) for unit, _ in LINE_UNITS.values()))


KINDS: dict[str, Callable[[int], str]] = {
    **{name: _in_every_line_spot(unit, focus) for name, (unit, focus) in LINE_UNITS.items()},
    "key-then-spaces": lambda size: inject(_demo(), LINE_SPOTS,
                                           "x:" + " " * (size // len(LINE_SPOTS)) + "x"),  # `- x:` + spaces
    "items-under-one-key": _lines_after("  - External: 5000:5000", lambda i: f"  - Internal: {1 + i % 65000}", 20),
    "entries-in-one-block": _lines_after("Service Name: api", lambda i: f"Key {i}: value {i}", 20),
    "dependency-items": _lines_after("Service Name: api", lambda i: f"  - orders{i} (wait for healthy)", 30,
                                     before="Dependencies:\n"),
    "environment-items": _lines_after("Service Name: api", lambda i: f"  - VAR_{i}: value-{i}", 20,
                                      before="Environment Variables:\n"),
    "table-rows": _lines_after("### Backend API Service (engine/)", lambda i: f"| VAR_{i} | v{i} |", 20,
                               before="\n| Variable | Value |\n|---|---|\n", after_text="\n"),
    "dependency-list": _lines_after("**Dependency List:**", lambda i: f"- `engine/` → `svc{i}` (calls)", 30),
    "monitoring-lines": _lines_after("### Health Checks", lambda i: f"- **API:** `GET /h{i}` → 200 OK", 30),
    "access-lines": _lines_after("- Frontend: http://localhost:3000", lambda i: f"- API: http://localhost:{i % 60000 + 1}", 30),
    "environment-lines": _lines_after("POSTGRES_DB=app", lambda i: f"# api\nV{i}=x # note", 20),
    "diagram-ports": _lines_after("│    :5000     │     └────────────┘", lambda i: "│ api :5000 │ orders :5001 " * 8, 220),
    "service-blocks": _lines_after("### Backend API Service (engine/)",
                                   lambda i: f"```yaml\nService Name: s{i}\nDependencies: s{i + 1}, api\n```", 50),
    "headings": _lines_after("## Monitoring & Observability", lambda i: f"### Health Checks {i}\n- **API:** `GET /`", 40),
    "yaml-block": _lines_after("### Backend API Service (engine/)", lambda i: f"  - Endpoint: /health{i} or /x{i}", 32,
                               before="```yaml\nService Name: bulk\nHealth Check:\n", after_text="\n```"),
    "wide-table": _lines_after("### Backend API Service (engine/)", lambda i: "| a |", 6,
                               before="\n" + "| h " * 20000 + "|\n" + "|---" * 20000 + "|\n", after_text="\n"),
    "nested-bullets": _at_the_end(lambda size: "\n".join("  " * (i % 40) + "- a → b" for i in range(size // 48))),
    "quotes": _at_the_end(lambda size: ">" * size),
}


# The kinds whose cost is per character of a few long lines; the others' is per line.
LONG_LINE_KINDS = frozenset(LINE_UNITS) | {"key-then-spaces", "quotes"}


def largest_allowed(kind: str, max_bytes: int, max_lines: int) -> str:
    """The document of this kind as large as the reader accepts: just under both caps."""
    return fitting(KINDS[kind], max_bytes, max_lines)


def fitting(build: Callable[[int], str], max_bytes: int, max_lines: int) -> str:
    """`build(size)` for the largest size whose document is within 98% of both caps."""
    size = max_bytes
    while True:
        text = build(size)
        bytes_over = len(text.encode("utf-8")) / (0.98 * max_bytes)
        lines_over = text.count("\n") / (0.98 * max_lines)
        if max(bytes_over, lines_over) <= 1:
            return text
        size = int(size / max(bytes_over, lines_over) * 0.99)


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from verifier.document import read_document
    from verifier.errors import InputError

    size = int(argv[0])
    out = Path("/tmp") / "hostile-documents"
    out.mkdir(exist_ok=True)
    for kind in argv[1:] or list(KINDS):
        times = []
        for scale in (1, 2):
            path = out / f"{kind}.md"
            path.write_text(KINDS[kind](scale * size), encoding="utf-8")
            started = time.perf_counter()
            try:
                outcome = f"{len(read_document(path).services)} services"
            except InputError as error:
                outcome = f"refused: {error}"[:80]
            times.append(time.perf_counter() - started)
        print(f"{kind:24} {path.stat().st_size:>10,} B {times[0]:7.3f} s {times[1]:7.3f} s "
              f"x{times[1] / max(times[0], 1e-6):4.1f}  {outcome}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
