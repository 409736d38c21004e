"""The command line's words: commands, options and what each accepts."""
from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path

from verifier import __version__
from verifier.model import DEVELOPMENT, ENVIRONMENTS

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONCURRENCY = 16


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 3600 seconds")
    return value


def _positive_count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to 256, not {text!r}")
    return int(text)


def _environment_name(text: str) -> str:
    try:
        return ENVIRONMENTS[text.strip().lower()]
    except KeyError:
        raise argparse.ArgumentTypeError(
            f"unknown environment {text!r}: use development, staging or production") from None


def build_parser(handlers: Mapping[str, Callable[[argparse.Namespace], int]]) -> argparse.ArgumentParser:
    """The command line; `handlers` maps each command to the function that carries it out."""
    parser = argparse.ArgumentParser(
        prog="verifier",
        description="Check a running Docker Compose stack against its deployment architecture document.",
        epilog="Exit codes: 0 conformant, 1 not conformant (a check failed or could not run), "
               "2 bad input or usage, 3 Docker Engine unreachable.",
    )
    parser.add_argument("--version", action="version", version=f"verifier {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback when the verifier cannot run")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="verify the live stack against the document (and compose file)")
    _add_stack_options(check)
    _add_format_option(check)
    _add_timeout_option(check)
    check.add_argument("--wait", type=_positive_seconds, nargs="?", const=0.0, default=None, metavar="SECONDS",
                       help="re-run the checks not yet passing until the stack conforms or SECONDS pass "
                            "(without a value: the healthchecks' own start budget); ends early when a service "
                            "crash-loops, exits or turns unhealthy")
    check.add_argument("--concurrency", type=_positive_count, default=DEFAULT_CONCURRENCY, metavar="N",
                       help=f"probes, container inspects and in-network requests at once (default "
                            f"{DEFAULT_CONCURRENCY}; 1 does one thing at a time, gentlest on a busy Engine)")
    check.add_argument("--no-exec", action="store_true",
                       help="never run anything beside or inside the containers (in-network checks are skipped)")
    check.add_argument("--probe-image", default="verifier-probe:1", metavar="IMAGE",
                       help="image with python3 whose short-lived container joins a service's network namespace "
                            "to look from inside it (default: verifier-probe:1, built by scripts/build-images)")
    check.set_defaults(handler=handlers["check"])

    diff_command = commands.add_parser(
        "diff", help="compare the document with the compose file(s) only: no Docker Engine needed")
    _add_stack_options(diff_command)
    _add_format_option(diff_command)
    _add_timeout_option(diff_command, _READING_ENDS)
    diff_command.set_defaults(handler=handlers["diff"])

    lint_command = commands.add_parser(
        "lint", help="check the document against itself: placeholders and contradictions (exit 1 on a fail)")
    lint_command.add_argument("document", type=Path, metavar="DOC")
    _add_format_option(lint_command)
    _add_timeout_option(lint_command, _READING_ENDS)
    lint_command.set_defaults(handler=handlers["lint"])

    model = commands.add_parser("model", help="show what was read from the document, with line numbers")
    model.add_argument("document", type=Path, metavar="DOC")
    model.add_argument("--format", choices=("table", "json"), default="table")
    _add_timeout_option(model, _READING_ENDS)
    model.set_defaults(handler=handlers["model"])

    demo = commands.add_parser("demo", help="bring the bundled demo stack up if needed, then check it")
    _add_format_option(demo)
    _add_timeout_option(demo)
    demo.set_defaults(handler=handlers["demo"])
    return parser


def _add_stack_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("document", type=Path, metavar="DOC")
    command.add_argument("--compose", "-f", type=Path, action="append", metavar="FILE",
                         help="compose file(s), merged in order as Compose does; default: found as Compose finds it")
    command.add_argument("--project", "-p", metavar="NAME", help="Compose project name of the stack")
    command.add_argument("--environment", "-e", type=_environment_name, default=DEVELOPMENT, metavar="NAME",
                         help="the deployment this stack is: development (default), staging or production; "
                              "ports the document calls dev-only must not be published in the others")


def _add_format_option(command: argparse.ArgumentParser) -> None:
    from reports import RENDERERS
    from verifier.output import output_file

    command.add_argument("--format", choices=sorted(RENDERERS), default="terminal",
                         help="the format on standard output (default terminal)")
    command.add_argument("--output", "-o", type=output_file, action="append", metavar="FORMAT=PATH",
                         help="also write the report to PATH in FORMAT (repeatable): e.g. -o junit=verifier.xml "
                              "-o sarif=verifier.sarif -o html=audit.html -o json=tonight.json")
    command.add_argument("--quiet", "-q", action="store_true",
                         help="standard output shows only what did not pass, and the verdict")
    command.add_argument("--baseline", type=Path, metavar="PREVIOUS.json",
                         help="a previous run's JSON report: each drifting finding is marked new or still "
                              "failing, and what passes now is listed as resolved")
    command.add_argument("--fail-on", choices=("any", "new"), default="any",
                         help="with --baseline, 'new' fails the run only for drift that is new since then")


_RUN_ENDS = "the whole run ends within this many seconds"
_READING_ENDS = "the document (and compose files) must be read within this many seconds"


def _add_timeout_option(command: argparse.ArgumentParser, what: str = _RUN_ENDS) -> None:
    command.add_argument("--timeout", type=_positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                         help=f"{what} (default {DEFAULT_TIMEOUT:g})")
