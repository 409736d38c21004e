"""The verifier's one way to speak HTTP: the request policy, the same on this machine and inside the stack.

Standard library only, and no import of the verifier's own: this module's source is also what the
in-network look runs inside a container (see innet.script()), so what leaves the verifier is the same
whichever way a service is reached:
- GET or HEAD only, whatever the document says: the verifier must never change what it checks;
- no redirect is followed and no proxy is taken from any environment: it speaks to the socket itself;
- at most HEADER_LIMIT bytes of status line and headers and BODY_LIMIT bytes of body, all by one
  deadline: a server that drips its headers a byte at a time is cut off at the deadline, not at each
  read's timeout.
It must run on the oldest python3 a target image may have (3.7): no newer syntax.
"""
from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from urllib.parse import quote

READ_ONLY_METHODS = ("GET", "HEAD")
HEADER_LIMIT = 64 * 1024
BODY_LIMIT = 64 * 1024
_LINE_LIMIT = 1024  # a chunk-size line
_PATH_SAFE = "/?&=%:@!$'()*+,;~-._"  # what stays as written in a path: percent-escapes included


class NotSent(Exception):
    """The policy forbids this request; nothing was sent."""


class NotHttp(Exception):
    """The answer is not HTTP, or is larger than the policy reads."""


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    body: bytes  # at most BODY_LIMIT bytes; empty for HEAD, or when the body was not wanted
    elapsed_ms: float


def refusal(method: str) -> str | None:
    """Why a request with this method is never sent, or None when it may be."""
    if method.upper() in READ_ONLY_METHODS:
        return None
    return "the document's method %s could change the service; only GET and HEAD are sent" % method


def request_path(path: str) -> str:
    """The path as it goes on the request line: absolute, with spaces, controls and non-ASCII escaped,
    so nothing a document writes can end the line or add a header."""
    if not path.startswith("/"):
        path = "/" + path
    return quote(path, safe=_PATH_SAFE)


def fetch(host: str, port: int, path: str, method: str, timeout: float, want_body: bool = True) -> Answer:
    """One request under the policy. Raises NotSent, NotHttp, or OSError (socket.timeout at the deadline)."""
    reason = refusal(method)
    if reason is not None:
        raise NotSent(reason)
    deadline = time.monotonic() + timeout
    started = time.perf_counter()
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.sendall(_request_bytes(host, port, request_path(path), method.upper()))
        reader = _Reader(connection, deadline)
        status, reason_phrase, headers = _final_head(reader)
        body = _body(reader, headers, method.upper(), status) if want_body else b""
    return Answer(status, reason_phrase, body, (time.perf_counter() - started) * 1000)


def _request_bytes(host: str, port: int, path: str, method: str) -> bytes:
    authority = ("[%s]" % host if ":" in host else host) + ":%d" % port
    return ("%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: deployment-verifier\r\nAccept: */*\r\n"
            "Connection: close\r\n\r\n" % (method, path, authority)).encode("ascii", "replace")


class _Reader:
    """Bytes from the socket, every read bounded by the one deadline."""

    def __init__(self, connection: socket.socket, deadline: float) -> None:
        self._connection = connection
        self._deadline = deadline
        self._buffer = bytearray()  # grows in place: a server may send its answer a byte at a time
        self._ended = False

    def _more(self) -> bool:
        """Reads once more; False at the end of the stream."""
        if self._ended:
            return False
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("no complete answer in time")
        self._connection.settimeout(left)
        data = self._connection.recv(65536)
        if not data:
            self._ended = True
            return False
        self._buffer += data
        return True

    def until(self, marker: bytes, limit: int, what: str) -> bytes:
        """Everything before `marker` (which is consumed), at most `limit` bytes."""
        searched = 0
        while True:
            found = self._buffer.find(marker, searched)
            if found > limit:
                raise NotHttp("%s longer than %d bytes" % (what, limit))
            if found >= 0:
                head = bytes(self._buffer[:found])
                del self._buffer[:found + len(marker)]
                return head
            if len(self._buffer) > limit:
                raise NotHttp("%s longer than %d bytes" % (what, limit))
            searched = max(0, len(self._buffer) - len(marker) + 1)
            if not self._more():
                raise NotHttp("the connection closed before the %s ended" % what)

    def take(self, size: int) -> bytes:
        """Up to `size` bytes: fewer only where the stream ends first."""
        while len(self._buffer) < size and self._more():
            pass
        taken = bytes(self._buffer[:size])
        del self._buffer[:size]
        return taken


def _final_head(reader: _Reader) -> tuple[int, str, dict]:
    """The status and headers of the answer, past any interim 1xx answer."""
    while True:
        status, reason, headers = _parse_head(reader.until(b"\r\n\r\n", HEADER_LIMIT, "headers"))
        if not 100 <= status < 200 or status == 101:
            return status, reason, headers


def _parse_head(head: bytes) -> tuple[int, str, dict]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not (parts[1].isdigit() and len(parts[1]) == 3):
        raise NotHttp("not an HTTP answer")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), parts[2].strip() if len(parts) > 2 else "", headers


def _body(reader: _Reader, headers: dict, method: str, status: int) -> bytes:
    if method == "HEAD" or 100 <= status < 200 or status in (204, 304):
        return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _chunked(reader)
    length = headers.get("content-length", "")
    if length.isdigit():
        return reader.take(min(int(length), BODY_LIMIT))
    return reader.take(BODY_LIMIT)  # until the server closes


def _chunked(reader: _Reader) -> bytes:
    body = b""
    while len(body) < BODY_LIMIT:
        size_line = reader.until(b"\r\n", _LINE_LIMIT, "chunk size line")
        try:
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        except ValueError:
            raise NotHttp("a malformed chunk size") from None
        if size < 0:
            raise NotHttp("a malformed chunk size")
        if size == 0:
            break
        wanted = min(size, BODY_LIMIT - len(body))
        chunk = reader.take(wanted)
        body += chunk
        if len(chunk) < wanted:
            break  # the server closed mid-chunk: what came is the body
        if len(body) < BODY_LIMIT:
            reader.take(2)  # the CRLF after the chunk
    return body[:BODY_LIMIT]
