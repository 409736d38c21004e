"""Wakes wait mode as soon as the Engine reports a change to one of the project's containers (it
started, died, turned healthy...), so the exit follows the last healthcheck by a round's time, not
by a poll's sleep. Without events (an Engine that will not stream them), wait mode polls alone."""
from __future__ import annotations

import threading

from verifier.stack import PROJECT_LABEL


class StackChanges:
    """`with StackChanges(project) as changes:` listens while the block runs; `changes.pause` waits."""

    def __init__(self, project: str) -> None:
        self._changed = threading.Event()
        self._project = project
        self._stream: object | None = None
        self._closed = False

    def __enter__(self) -> StackChanges:
        threading.Thread(target=self._listen, name="events", daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._closed = True
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()  # ends the listening thread's read

    def pause(self, seconds: float) -> bool:
        """Sleeps `seconds`, or less when a container of the project changes meanwhile (or did since
        the last pause: a change seen during a round is not lost); whether a change woke it."""
        woken = self._changed.wait(seconds)
        self._changed.clear()
        return woken

    def _listen(self) -> None:
        import docker

        client = None
        try:
            client = docker.from_env()
            self._stream = client.events(decode=True, filters={"type": "container",
                                                               "label": f"{PROJECT_LABEL}={self._project}"})
            if self._closed:
                self._stream.close()
            for _ in self._stream:
                self._changed.set()
        except Exception:  # noqa: BLE001 - whatever ends the stream (the Engine, or our own close) ends
            pass  # only the early wake-ups: the rounds' own polling still sees every change, later
        finally:
            if client is not None:
                client.close()
