"""Deciding what is secret, and keeping secret values out of everything the verifier writes."""
from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|AUTH|"
    r"(^|_)KEY($|_)|(^|_)PWD($|_)|DSN|DATABASE_URL|CONNECTION_STRING",
    re.IGNORECASE,
)
_URL_WITH_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)
MASK = "********"


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def has_credentials(value: str) -> bool:
    if _URL_WITH_CREDENTIALS.search(value):
        return True
    try:
        return urlsplit(value).password is not None
    except ValueError:
        return False


def is_secret(name: str, value: str | None) -> bool:
    return is_secret_name(name) or (value is not None and has_credentials(value))


class Redactor:
    """Replaces every known secret value in a text with a mask.

    Built from the environments the verifier has seen, so a secret that a server
    echoes back in an error message is masked too, not only the variable itself.
    """

    _SHORTEST = 4  # masking shorter values would blank out ordinary words

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        values = {v for v in secret_values if len(v) >= self._SHORTEST}
        self._values = sorted(values, key=len, reverse=True)

    def with_values(self, secret_values: Iterable[str]) -> Redactor:
        return Redactor([*self._values, *secret_values])

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        if "@" not in text:  # no URL with credentials: most texts, and the regex is most of the cost
            return text
        return _URL_WITH_CREDENTIALS.sub(_mask_url_credentials, text)


def _mask_url_credentials(match: re.Match[str]) -> str:
    scheme, _, rest = match.group(0).partition("://")
    user = rest.split(":", 1)[0]
    return f"{scheme}://{user}:{MASK}@"


def secret_values_of(environment: dict[str, str]) -> list[str]:
    """The values in an environment that must never be shown, including URL passwords."""
    found: list[str] = []
    for name, value in environment.items():
        if is_secret(name, value):
            found.append(value)
            try:
                password = urlsplit(value).password
            except ValueError:
                password = None
            if password:
                found.append(password)
    return found
