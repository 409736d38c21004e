"""Small readers for the values people write: placeholders, remarks, ports, durations, sizes."""
from __future__ import annotations

import math
import re

# Linear on any line: no two adjacent quantifiers may trade characters (possessive `*+`), and a
# pattern searched for never restarts inside a run of spaces it has already tried (`(?<!\s)`).
_PLACEHOLDER = re.compile(r"^\s*+(\[[^\]]*+\]|<[^>]*+>)\s*+(\(.*\))?\s*+$")
_TEMPLATE_HINT = re.compile(r"\[(e\.g\.|select|list|brief|why|if |describe|choose|draw|yes/no)", re.IGNORECASE)


def normalize_key(key: str) -> str:
    """`Health Check`, `healthcheck` and `health_check` are the same key."""
    return re.sub(r"[^a-z0-9]", "", key.lower())


def is_placeholder(value: str) -> bool:
    """`[e.g., 5000]`, `<secret>`, `[Database name]`: a value the author has not filled in."""
    return bool(_PLACEHOLDER.match(value)) or bool(_TEMPLATE_HINT.search(value))


_COMMENT = re.compile(r"(?<!\s)\s++#.*$")
_LAST_REMARK = re.compile(r"(?<!\s)\s*+\([^()]*+\)\s*+$")


def without_remark(value: str) -> str:
    """`5432 (dev only)` -> `5432`; also drops `# comments` and surrounding quotes or backticks."""
    value = _COMMENT.sub("", value)
    value = _LAST_REMARK.sub("", value).strip()
    return value.strip("`'\" ")


def remark(value: str) -> str:
    match = re.search(r"\(([^()]*)\)\s*(?:#.*)?$", value)
    return match.group(1).strip() if match else ""


def small_number(digits: str, most_digits: int = 9) -> int | None:
    """`digits` as an int, or None past `most_digits` (no port, count or status is that long, and
    int() refuses more than 4,300 digits with a ValueError)."""
    return int(digits) if len(digits) <= most_digits else None


def finite(number: float) -> float | None:
    """None for the infinity that a float of hundreds of digits becomes."""
    return number if math.isfinite(number) else None


def port_number(value: str) -> int | None:
    match = re.match(r"^\s*:?(\d{1,5})\b", value.strip("`'\" "))
    if match is None:
        return None
    number = int(match.group(1))
    return number if 0 < number < 65536 else None


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)?\b",
                       re.IGNORECASE)
_SECONDS_PER = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def seconds(value: str) -> float | None:
    """`30s` -> 30, `1m` -> 60, `500ms` -> 0.5, `10` -> 10."""
    match = _DURATION.match(value.strip("`'\" "))
    if match is None:
        return None
    unit = (match.group(2) or "s").lower()
    key = "ms" if unit.startswith("ms") or unit.startswith("milli") else unit[0]
    result = finite(float(match.group(1)) * _SECONDS_PER[key])
    if result is None:
        return None
    return int(result) if result.is_integer() else result


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\b", re.IGNORECASE)
_BYTES_PER = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def memory_bytes(value: str) -> int | None:
    """`512M`, `512MiB`, `1G`, `1.5GB` -> bytes. Compose's units are binary, so M is MiB."""
    match = _SIZE.match(value.strip("`'\" "))
    if match is None:
        return None
    size = finite(float(match.group(1)) * _BYTES_PER[match.group(2).lower()])
    return None if size is None else int(size)


def cpus(value: str) -> float | None:
    match = re.match(r"^\s*(\d+(?:\.\d+)?)", value.strip("`'\" "))
    return finite(float(match.group(1))) if match else None
