"""Deciding what is secret, by a variable's name or by the shape of its value, and keeping secret
values (and the forms they take once encoded or wrapped) out of everything the verifier writes.

One classifier serves names and values alike: `is_secret(name, value)`. The `Redactor` masks
what it knows (every value `secret_values_of` found, with its URL-encoded and decoded forms) and,
in any text, whatever has the shape of a credential (a URL's password, `Password=` in a
connection string, a PEM private key, a GitHub or Slack token...). A known secret that is an
ordinary word (`postgres`, a service's name) or shorter than six characters is never searched for:
masking it would blank out ordinary text, so the findings about such a variable say
"value not shown" instead.
"""
from __future__ import annotations

import base64
import bisect
import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit

if TYPE_CHECKING:
    from verifier.stack import Stack

MASK = "********"
NOT_SHOWN = "value not shown"
SHORTEST_SEARCHED = 6  # a shorter secret is never searched for in text: it would blank ordinary words

# A small built-in list of default credentials and words any report is full of: a secret equal to
# one of them is not searched for (see `Redactor.unsafe_to_search`).
COMMON_WORDS = frozenset("""
    admin administrator changeme change_me changeit default example guest letmein master mysql
    mariadb mongodb nobody password passwd postgres postgresql public private qwerty rabbitmq redis
    root sample secret secrets test testing tester user username welcome development production
    staging localhost database enabled disabled 123456 1234567 12345678 123456789 password1
    password123 secret123 admin123 docker compose
""".split())

# --- names -------------------------------------------------------------------------------------

# Words of a name: `DB_PASS` -> DB, PASS; `ConnectionStrings__Default` -> Connection, Strings, Default.
_NAME_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# A word containing one of these is secret wherever it appears in the word (`PGPASSWORD`, `dbPassword`).
_SECRET_STEMS = ("PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "CREDENTIAL", "APIKEY", "ACCESSKEY",
                 "PRIVATEKEY", "SIGNINGKEY", "ENCRYPTIONKEY", "MASTERKEY", "AUTHKEY", "WEBHOOK")
# A word equal to one of these is secret. Whole words only: BYPASS, COMPASS, PATH, KEYBOARD, MONKEY and
# TOKENIZER are not secret.
_SECRET_WORDS = frozenset({"PASS", "PW", "PWD", "PGPASS", "KEY", "KEYS", "TOKEN", "TOKENS", "AUTH",
                           "AUTHORIZATION", "DSN", "CONN", "SALT", "HMAC", "PAT", "SIGNING", "CRED", "CREDS"})
_SECRET_SUFFIXES = ("TOKEN", "AUTH")  # GHTOKEN, ACCESSTOKEN, OAUTH, BASICAUTH: no ordinary word ends so
# Across the words of a name: CONNECTION_STRING, ConnectionStrings__Default.
_GLUED_STEMS = ("CONNECTIONSTRING", "CONNSTRING", "CONNSTR")
# A data store's or queue's address (JDBC_URL, MONGO_URI, REDIS_URL) holds its credentials as often as not.
_STORES = frozenset({"DATABASE", "DB", "JDBC", "ODBC", "MONGO", "MONGODB", "POSTGRES", "POSTGRESQL", "PG",
                     "PSQL", "MYSQL", "MARIADB", "MSSQL", "SQL", "SQLSERVER", "ORACLE", "REDIS", "VALKEY",
                     "AMQP", "RABBITMQ", "RABBIT", "BROKER", "KAFKA", "NATS", "ELASTIC", "ELASTICSEARCH",
                     "OPENSEARCH", "CASSANDRA", "COUCHDB", "NEO4J", "INFLUX", "INFLUXDB", "CLICKHOUSE",
                     "SMTP", "LDAP"})
_ADDRESS_WORDS = frozenset({"URL", "URI", "DSN", "CONNECTION", "CONNECTIONS", "STRING"})


# The shell's and the OS's own variables that a secret word names by accident: the working folder, a
# socket's path. The verifier reads its own environment too (Compose interpolates from it).
_NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD", "SSH_AUTH_SOCK"})


@functools.lru_cache(maxsize=4096)  # the same few hundred names are asked about for every container
def is_secret_name(name: str) -> bool:
    if name in _NOT_SECRET_NAMES:
        return False
    words = [w.upper() for w in _NAME_WORD.findall(name)]
    glued = "".join(words)
    if any(stem in glued for stem in _GLUED_STEMS):
        return True
    for word in words:
        if word in _SECRET_WORDS or word.endswith(_SECRET_SUFFIXES) or any(s in word for s in _SECRET_STEMS):
            return True
    return glued in ("DATABASEURL", "DATABASEURI")  # the one store address that is secret by convention


def names_a_store_address(name: str) -> bool:
    """`MONGO_URI`, `JDBC_URL`, `REDIS_URL`: a data store's address, which usually carries credentials."""
    return _names_a_store_address([w.upper() for w in _NAME_WORD.findall(name)])


def _names_a_store_address(words: Sequence[str]) -> bool:
    if any(w in _STORES for w in words) and any(w in _ADDRESS_WORDS for w in words):
        return True
    return any(w.startswith(tuple(_STORES)) and w.endswith(("URL", "URI", "DSN")) for w in words)


# --- values ------------------------------------------------------------------------------------

# `scheme://user:password@`, the user possibly empty (`redis://:pw@cache`). The password runs to the
# authority's last `@`: an unencoded `@` in it must not leave its tail behind.
_URL_CREDENTIALS = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://(?P<user>[^/?#\s:@]*):)(?P<password>[^/\s]*)@",
                              re.IGNORECASE)
# `Password=p;` (ADO.NET, ODBC), `?password=p&` (JDBC, any query), `PGPASSWORD=p` (a shell command).
_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9_.-])(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*"
    r"(?P<value>\"[^\"]*\"|'[^']*'|\{[^}]*\}|[^\s;&\"']+)")
_QUERY_SECRET_KEYS = frozenset({"sig", "signature", "x-amz-signature", "x-amz-credential", "x-goog-signature",
                                "pass", "pw"})
_USER_KEYS = frozenset({"user", "username", "user id", "userid", "uid", "login"})
_ADO_USER = re.compile(r"(?:^|;)\s*(?:user id|userid|uid|user|username)\s*=\s*(?P<user>[^;]*)", re.IGNORECASE)
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*-----|\Z)", re.DOTALL)
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_])(?:"
    r"gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|"
    r"xox[abposr]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|"
    r"(?:AKIA|ASIA)[0-9A-Z]{16}|"
    r"sk-(?:proj-|live_|test_|ant-)?[A-Za-z0-9_-]{20,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|"
    r"AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36}|hf_[A-Za-z0-9]{30,}|"
    r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    r")")
_WEBHOOK = re.compile(
    r"https?://(?:hooks\.slack\.com/(?:services|workflows|triggers)/|(?:[a-z]+\.)?discord(?:app)?\.com/api/webhooks/|"
    r"[a-z0-9.-]*webhook\.office\.com/|outlook\.office(?:365)?\.com/webhook/)(?P<path>[^\s'\"<>]+)", re.IGNORECASE)
# An Authorization header's credential; one of letters only is an ordinary word ("Basic authentication").
_AUTHORIZATION = re.compile(r"(?<![A-Za-z])(?P<scheme>Bearer|Basic|bearer)[ \t]+"
                            r"(?P<credential>(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,})")
# Passwords on a command line: `redis-cli -a PW`, `--password PW`, `--password=PW`, `mysql -pPW`, `curl -u u:PW`.
_COMMAND_PASSWORD = re.compile(
    r"(?P<flag>redis-cli\b[^\n]*?\s-a[ \t]+|--(?:password|passwd|pass|requirepass|auth)(?:=|[ \t]+)|"
    r"\bmysql(?:admin|dump)?\b[^\n]*?\s-p(?=\S)|(?:\s-u|--user)(?:=|[ \t]+)[^\s:]+:)(?P<password>[^\s'\"]+)")
# The end of a text cut short in a credential: `ghp_abc`, `postgres://u:hunt` (no `@` left).
_CUT_TOKEN = re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_|github_pat_|glpat-|xox[abposr]-|AKIA|ASIA|sk-|AIza)"
                        r"[A-Za-z0-9_-]{4,}\Z")
_CUT_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/?#\s:@]*:)(?!\d*\Z)[^/\s@]+\Z", re.IGNORECASE)
_SHORTEST_CUT = 5  # the fewest characters of a known secret, cut off at a text's end, that are masked
_LONGEST_CUT = 256  # beyond this a cut secret's beginning is left to its shape (a PEM block's header)


def looks_secret(value: str) -> bool:
    """Whatever its name: a URL with a password, a connection string with one, a PEM private key,
    a token of a well-known shape, a webhook URL, a URL carrying a token in its query, or command-line
    arguments carrying a password."""
    if not value:
        return False
    return (_has_url_password(value) or _PEM.search(value) is not None or _TOKEN.search(value) is not None
            or _WEBHOOK.search(value) is not None or any(True for _ in _secret_assignments(value))
            or _COMMAND_PASSWORD.search(value) is not None)  # REDIS_ARGS=--requirepass PW


def has_credentials(value: str) -> bool:
    """A URL with a password, or a connection string naming one."""
    return _has_url_password(value) or any(True for _ in _secret_assignments(value))


def _has_url_password(value: str) -> bool:
    if _URL_CREDENTIALS.search(value):
        return True
    try:
        return bool(urlsplit(value.strip()).password)
    except ValueError:
        return False


def _secret_assignments(text: str) -> Iterator[re.Match[str]]:
    if "=" not in text:
        return
    for match in _ASSIGNMENT.finditer(text):
        if _is_secret_key(match.group("key")) and _unquoted(match.group("value")):
            yield match


def _is_secret_key(key: str) -> bool:
    return key.lower() in _QUERY_SECRET_KEYS or is_secret_name(key)


def _unquoted(value: str) -> str:
    if len(value) >= 2 and (value[0], value[-1]) in (('"', '"'), ("'", "'"), ("{", "}")):
        return value[1:-1]
    return value


def is_secret(name: str, value: str | None) -> bool:
    """Whether a variable's value must never be shown: by its name, or else by its value's shape
    (CACHE_URL=redis://:pw@cache, not redis://cache). A data store's address (JDBC_URL, MONGO_URI) is
    secret when its value is not known or has credentials: `REDIS_URL: redis://redis:6379/0` written
    out in a document is compared like any other value."""
    if is_secret_name(name):
        return True
    if value is None:
        return names_a_store_address(name)
    return looks_secret(value)


def secret_values_of(environment: Mapping[str, str | None]) -> list[str]:
    """Every value of an environment that must never be shown, and the parts of each that can be
    shown on their own: a URL's or connection string's password (also URL-decoded), the base64 of
    `user:password` (what Basic authentication sends), a token inside a longer value."""
    found: dict[str, None] = {}
    for name, value in environment.items():
        if value and is_secret(name, value):
            found[value] = None
            found.update(dict.fromkeys(secret_parts(value)))
    return [v for v in found if v]


def secret_parts(value: str) -> list[str]:
    """The secrets inside one value, and their encoded forms."""
    parts: list[str] = []
    for match in _URL_CREDENTIALS.finditer(value):
        parts += _password_forms(match.group("user"), match.group("password"))
    try:
        split = urlsplit(value.strip())
        if split.password:
            parts += _password_forms(split.username or "", split.password)
    except ValueError:
        pass
    user = _connection_user(value)
    for match in _secret_assignments(value):
        parts += _password_forms(user, _unquoted(match.group("value")))
    parts += [m.group("password") for m in _COMMAND_PASSWORD.finditer(value)]
    parts += [m.group(0) for m in _TOKEN.finditer(value)]
    parts += [m.group("path") for m in _WEBHOOK.finditer(value)]
    for block in _PEM.finditer(value):  # its lines, should the key be shown wrapped differently
        parts += [line.strip() for line in block.group(0).splitlines()[1:-1] if len(line.strip()) >= 16]
    return [p for p in dict.fromkeys(parts) if p]


def _connection_user(value: str) -> str:
    """The user of a JDBC URL's query (`?user=u&password=p`) or of an ADO.NET string (`User Id=u;`)."""
    for match in _ASSIGNMENT.finditer(value):
        if match.group("key").lower() in _USER_KEYS:
            return _unquoted(match.group("value"))
    ado = _ADO_USER.search(value)
    return ado.group("user").strip() if ado else ""


def _password_forms(user: str, password: str) -> list[str]:
    """A password as written, URL-decoded, and inside Basic authentication's base64 of `user:password`."""
    if not password:
        return []
    decoded_user, decoded = unquote(user), unquote(password)
    forms = [password, decoded]
    for pair in {f"{user}:{password}", f"{decoded_user}:{decoded}"}:
        forms.append(base64.b64encode(pair.encode()).decode())
    return forms


def encoded_forms(value: str) -> set[str]:
    """A secret as it may appear in a text: as is, URL-decoded, URL-encoded (as a path, a query value
    and a form field encode it)."""
    forms = {value}
    for transform in (unquote, unquote_plus, quote, lambda v: quote(v, safe=""), quote_plus):
        try:
            forms.add(transform(value))
        except (UnicodeError, ValueError):
            continue
    return {f for f in forms if f}


def readable_words_of(environment: Mapping[str, str | None]) -> list[str]:
    """Values a report must be able to show although a secret may equal them: user and database names."""
    words = []
    for name, value in environment.items():
        upper = {w.upper() for w in _NAME_WORD.findall(name)}
        if value and not is_secret_name(name) and upper & {"USER", "USERNAME", "LOGIN", "DB", "DATABASE"}:
            words.append(value)
    return words


def image_words(image: str) -> list[str]:
    """`registry:5000/library/postgres:16-alpine` -> itself, `postgres:16-alpine`, `postgres`."""
    if not image:
        return []
    last = image.rsplit("/", 1)[-1]
    return [image, last, last.split("@", 1)[0].split(":", 1)[0]]


# --- masking -----------------------------------------------------------------------------------

def _masked_password(match: re.Match[str]) -> str:
    return f"{match.group('head')}{MASK}@"


def _masked_assignment(match: re.Match[str]) -> str:
    if not _is_secret_key(match.group("key")) or not _unquoted(match.group("value")) or match.group("value") == MASK:
        return match.group(0)
    return f"{match.group(0)[:match.start('value') - match.start()]}{MASK}"


def _masked_group(group: str) -> Callable[[re.Match[str]], str]:
    """A replacement that masks one named group of the match and keeps the rest (the flag, the host)."""
    def mask(match: re.Match[str]) -> str:
        start, end = match.start(group) - match.start(), match.end(group) - match.start()
        return f"{match.group(0)[:start]}{MASK}{match.group(0)[end:]}"
    return mask


def mask_shapes(text: str) -> str:
    """Every credential-shaped part of a text masked, whoever's it is: nothing needs to be known."""
    if "@" in text and "://" in text:
        text = _URL_CREDENTIALS.sub(_masked_password, text)
    if "=" in text:
        text = _ASSIGNMENT.sub(_masked_assignment, text)
    if "-----BEGIN" in text:
        text = _PEM.sub(MASK, text)
    if "hook" in text.lower():
        text = _WEBHOOK.sub(_masked_group("path"), text)
    text = _TOKEN.sub(MASK, text)
    lowered = text.lower()
    if "bearer" in lowered or "basic" in lowered:
        text = _AUTHORIZATION.sub(_masked_group("credential"), text)
    if "-" in text:
        text = _COMMAND_PASSWORD.sub(_masked_group("password"), text)
    text = _CUT_TOKEN.sub(MASK, text)
    return _CUT_URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}", text) if "://" in text else text


_LINE_BREAK = re.compile(r"[ \t]*(?:\r\n|\n|\r)[ \t]*")


def _joined_lines(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text with every line break and the indentation around it taken out, and where each of its
    pieces starts: (in the joined text, in the text)."""
    pieces, segments, joined_at, last = [], [], 0, 0
    for match in _LINE_BREAK.finditer(text):
        pieces.append(text[last:match.start()])
        segments.append((joined_at, last))
        joined_at += match.start() - last
        last = match.end()
    pieces.append(text[last:])
    segments.append((joined_at, last))
    return "".join(pieces), segments


def _original_index(segments: list[tuple[int, int]], joined_index: int) -> int:
    """Where a character of the joined text is in the text: its piece's start there, plus its offset."""
    piece = bisect.bisect_right([joined_start for joined_start, _ in segments], joined_index) - 1
    joined_start, original_start = segments[piece]
    return original_start + joined_index - joined_start


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged


def _secret_offset(value: str) -> int:
    """Where the secret part of a value begins: after `scheme://user:` in a URL with a password."""
    match = _URL_CREDENTIALS.search(value)
    return match.start("password") if match else 0


def is_common_word(value: str) -> bool:
    return value.strip().lower() in COMMON_WORDS


class Redactor:
    """Replaces every known secret value, and anything shaped like a credential, in a text with a mask.

    Built from the environments the verifier has seen, so a secret that a server echoes back in an
    error message is masked too, not only the variable itself. Immutable: `with_values` makes the
    redactor that also knows what a new look at the stack found.
    """

    def __init__(self, secret_values: Iterable[str] = (), ordinary_words: Iterable[str] = ()) -> None:
        self._values = frozenset(v for v in secret_values if v)
        self._ordinary = frozenset(w.strip().lower() for w in ordinary_words if w and w.strip())
        forms = {form for value in self._values for form in encoded_forms(value)}
        self._searched = tuple(sorted((f for f in forms if not self.unsafe_to_search(f)), key=len, reverse=True))
        self._unmaskable = frozenset(v for v in self._values if self.unsafe_to_search(v))
        # For texts cut short (see _without_cut_secret): each secret by its beginning, with where its
        # secret part begins.
        self._by_beginning: dict[str, list[tuple[str, int]]] = {}
        for value in self._searched:
            self._by_beginning.setdefault(value[:_SHORTEST_CUT], []).append((value, _secret_offset(value)))
        self._beginning = re.compile("(?=(" + "|".join(map(re.escape, self._by_beginning)) + "))") \
            if self._by_beginning else None
        self._cut_window = min(_LONGEST_CUT, max((len(v) for v in self._searched), default=0))

    def with_values(self, secret_values: Iterable[str], ordinary_words: Iterable[str] = ()) -> Redactor:
        values, words = set(secret_values), {w.strip().lower() for w in ordinary_words if w and w.strip()}
        if values <= self._values and words <= self._ordinary:
            return self  # nothing new: most rounds of a --wait run
        return Redactor(self._values | values, self._ordinary | words)

    def unsafe_to_search(self, value: str) -> bool:
        """Too short or too ordinary to be searched for in text without blanking ordinary words:
        such a secret is never shown by the findings about its own variable instead."""
        stripped = value.strip().lower()
        return len(stripped) < SHORTEST_SEARCHED or stripped in COMMON_WORDS or stripped in self._ordinary

    @property
    def unmaskable(self) -> frozenset[str]:
        """The known secrets that are not searched for in text (see `unsafe_to_search`)."""
        return self._unmaskable

    def knows(self, value: str) -> bool:
        return value in self._values

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for value in self._searched:
            if value in text:
                text = text.replace(value, MASK)
        if ("\n" in text or "\r" in text) and self._searched:
            text = self._without_line_broken(text)
        text = mask_shapes(text)
        return self._without_cut_secret(text)

    def _without_line_broken(self, text: str) -> str:
        """Each secret broken across lines (a break, and the indentation around it, anywhere in it): a long
        password wrapped by whoever printed it. Searched for in the text with its breaks taken out, each
        place found then masked in the text itself."""
        joined, segments = _joined_lines(text)
        spans = []
        for value in self._searched:
            found = joined.find(value)
            while found >= 0:
                spans.append((_original_index(segments, found), _original_index(segments, found + len(value) - 1) + 1))
                found = joined.find(value, found + len(value))
        for begin, end in sorted(_merged(spans), reverse=True):
            text = text[:begin] + MASK + text[end:]
        return text

    def _without_cut_secret(self, text: str) -> str:
        """A text cut short (`[:200]`) in the middle of a known secret: its beginning is masked too.
        Only where the cut reaches the secret itself: a text ending "postgres" is not the beginning
        of `postgresql://app:pw@db` cut short, and an ordinary word is left alone."""
        # Looked up by the beginnings the text's end could hold, not secret by secret: this runs on every text.
        if self._beginning is None:
            return text
        for found in self._beginning.finditer(text, max(0, len(text) - self._cut_window)):
            start = found.start()
            tail = text[start:]
            for value, offset in self._by_beginning[found.group(1)]:
                if (len(tail) > offset and value.startswith(tail)
                        and tail.lower() not in COMMON_WORDS and tail.lower() not in self._ordinary):
                    return text[:start] + MASK
        return text


def learned_from(redact: Redactor, stack: Stack) -> Redactor:
    """`redact`, also knowing every secret in the environments of `stack`'s containers, and the words
    that must stay readable although a secret may equal them (service, container, image and user names)."""
    containers = [c for cs in stack.services.values() for c in cs]
    secrets = [v for c in containers for v in secret_values_of(c.environment)]
    words = [*stack.services, *(c.name for c in containers), *(w for c in containers for w in image_words(c.image)),
             *(w for c in containers for w in readable_words_of(c.environment))]
    return redact.with_values(secrets, words)


def masked_command(argv: Sequence[str], secrets: Collection[str]) -> str:
    """A healthcheck's or command's words, joined, with every word that is one of `secrets` masked,
    however short or ordinary (in a command, a word equal to the password is the password), and every
    credential-shaped part masked."""
    known = set(secrets)

    def word(match: re.Match[str]) -> str:
        return MASK if match.group(0).strip("'\"") in known else match.group(0)

    return Redactor(known)(" ".join(re.sub(r"\S+", word, part) for part in argv))
