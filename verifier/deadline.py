"""--timeout over reading the user's files: a read not done in time ends the run with one sentence.

The readers are linear in their input and the inputs are capped (verifier.document, verifier.compose),
so this is the backstop, not the defence: whatever a reader meets, the run still ends by --timeout.
In the main thread (the command line) the read is interrupted at the deadline by SIGALRM, so it stops
using the CPU the rest of the run needs; elsewhere it runs in a daemon thread that is abandoned at the
deadline, and that neither holds up the exit nor outlives the process.
"""
from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from verifier.errors import InputError

if TYPE_CHECKING:
    from verifier.model import DocumentModel
    from verifier.target import StackTarget

T = TypeVar("T")


class _OutOfTime(BaseException):
    """SIGALRM at the deadline; not an Exception, so that no reader's `except Exception` can swallow it."""


@dataclass(frozen=True)
class ReadingDeadline:
    at: float  # time.monotonic() by which reading must be done
    seconds: float  # the --timeout it comes from, for the sentence

    @classmethod
    def after(cls, seconds: float, started: float | None = None) -> ReadingDeadline:
        return cls((time.monotonic() if started is None else started) + seconds, seconds)

    def run(self, read: Callable[[], T], too_slow: Callable[[float], str]) -> T:
        """`read()`'s result or exception; InputError(too_slow(seconds)) if it is not done by the deadline."""
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            raise InputError(too_slow(self.seconds))
        if threading.current_thread() is threading.main_thread():
            return self._interrupted_at_deadline(read, remaining, too_slow)
        return self._abandoned_at_deadline(read, remaining, too_slow)

    def _interrupted_at_deadline(self, read: Callable[[], T], remaining: float,
                                 too_slow: Callable[[float], str]) -> T:
        armed = [True]

        def out_of_time(signum: int, frame: object) -> None:
            if armed[0]:
                raise _OutOfTime

        previous = signal.signal(signal.SIGALRM, out_of_time)
        try:
            try:
                signal.setitimer(signal.ITIMER_REAL, remaining)
                return read()
            finally:
                armed[0] = False  # first: an alarm after this point does nothing
                signal.setitimer(signal.ITIMER_REAL, 0)
        except _OutOfTime:
            raise InputError(too_slow(self.seconds)) from None
        finally:
            signal.signal(signal.SIGALRM, previous)

    def _abandoned_at_deadline(self, read: Callable[[], T], remaining: float,
                               too_slow: Callable[[float], str]) -> T:
        outcome: list[tuple[bool, object]] = []
        done = threading.Event()

        def work() -> None:
            try:
                outcome.append((True, read()))
            except BaseException as error:  # noqa: BLE001 - handed to the waiting thread, which raises it
                outcome.append((False, error))
            finally:
                done.set()

        threading.Thread(target=work, name="reading", daemon=True).start()
        if not done.wait(remaining):
            raise InputError(too_slow(self.seconds))
        succeeded, value = outcome[0]
        if not succeeded:
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]


def read_document_within(path: Path, deadline: ReadingDeadline) -> DocumentModel:
    from verifier.document import read_document

    return deadline.run(lambda: read_document(path), lambda seconds: _too_slow(str(path), [path], seconds))


def choose_target_within(project: str | None, compose_files: Sequence[Path], document_path: Path,
                         deadline: ReadingDeadline) -> StackTarget:
    """The stack to check, its compose files read by the deadline."""
    from verifier.target import choose_target

    named = ", ".join(str(f) for f in compose_files) or "the compose file"
    return deadline.run(lambda: choose_target(project, compose_files, document_path),
                        lambda seconds: _too_slow(named, compose_files, seconds))


def _too_slow(what: str, paths: Sequence[Path], seconds: float) -> str:
    size = f" ({_size(paths)})" if paths else ""
    shown = f"{seconds:.1f}" if seconds >= 0.1 else f"{seconds:.2g}"  # 3.0 s, 0.01 s
    return (f"{what}: could not be read within {shown} s{size}; "
            "allow more time with --timeout SECONDS, or make it smaller")


def _size(paths: Sequence[Path]) -> str:
    try:
        return f"{sum(p.stat().st_size for p in paths):,} bytes"
    except OSError:
        return "size unknown"
