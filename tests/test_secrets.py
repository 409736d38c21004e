"""Secrets, systematically: one classifier for names and values, a redactor that knows the forms a
secret takes, and no secret in any output: findings, every report format, error sentences, --debug."""
from __future__ import annotations

import base64
import time
from pathlib import Path
from types import MappingProxyType, SimpleNamespace

import pytest

from probes import env_value, healthcheck_config
from verifier.checks import Check, EnvValueTarget, HealthCommandTarget, Plan
from verifier.cli import main
from verifier.compose import load_compose
from verifier.compose_checks import compose_findings
from verifier.document import read_document
from verifier.errors import InputError
from verifier.mapping import map_services
from verifier.runner import RunLimits
from verifier.secrets import (
    MASK,
    NOT_SHOWN,
    Redactor,
    is_secret,
    is_secret_name,
    learned_from,
    looks_secret,
    masked_command,
    secret_values_of,
)
from verifier.waiting import Deadlines, run_waiting

# --- names ---------------------------------------------------------------------------------------

SECRET_NAMES = [
    "POSTGRES_PASSWORD", "LLM_API_KEY", "GITHUB_TOKEN", "DATABASE_URL", "SENTRY_DSN", "AWS_SECRET_ACCESS_KEY",
    "DB_PASS", "MYSQL_PASS", "RABBITMQ_DEFAULT_PASS", "REDIS_PASS", "SMTP_PASS", "DB_PW", "DB_PWD", "DB_CONN",
    "ConnectionStrings__Default", "CONNECTION_STRING", "DATABASE_URL", "GITHUB_PAT",
    "SLACK_WEBHOOK_URL", "JWT_SIGNING", "JWT_SIGNING_KEY", "SESSION_SALT", "HMAC_anything", "COOKIE_SECRET",
    "PGPASSWORD", "dbPassword", "accessToken", "OAUTH_CLIENT_ID", "BASIC_AUTH", "GHTOKEN", "api-key",
]
ORDINARY_NAMES = [
    "PATH", "PATCH_LEVEL", "PASSIVE_MODE", "COMPASS_HOME", "BYPASS_CACHE", "KEYBOARD", "MONKEY", "TOKENIZER_MODEL",
    "tokenizerModel", "KEYCLOAK_URL", "PORT", "AUTHOR_NAME", "POSTGRES_DB", "POSTGRES_USER", "APP_ENV", "API_URL",
    "DB_HOST", "HOSTNAME", "SPATIAL_INDEX", "PASSPORT_DIR", "PWD", "OLDPWD", "SSH_AUTH_SOCK",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_a_name_that_says_secret_is_secret(name):
    assert is_secret_name(name)
    assert is_secret(name, "anything")


@pytest.mark.parametrize("name", ["JDBC_URL", "MONGO_URI", "REDIS_URL", "CELERY_BROKER_URL"])
def test_a_store_address_is_secret_when_its_value_is_unknown_or_has_credentials(name):
    assert is_secret(name, None)
    assert is_secret(name, "mongodb://app:s3cret-77@mongo/app")
    assert is_secret(name, "jdbc:postgresql://db/x?user=u&password=jdbc-pass-7")
    assert not is_secret(name, "redis://redis:6379/0")  # written out in a document: compared like any value


@pytest.mark.parametrize("name", ORDINARY_NAMES)
def test_an_ordinary_name_is_not_made_secret_by_a_word_inside_it(name):
    assert not is_secret_name(name)
    assert not is_secret(name, "plain-value")


# --- values --------------------------------------------------------------------------------------

PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
       "-----END RSA PRIVATE KEY-----")
SECRET_VALUES = [
    "postgres://app:hunter22@db:5432/app",
    "redis://:cache-pass-42@cache:6379/0",  # an empty user
    "jdbc:postgresql://db/x?user=u&password=jdbc-pass-7",
    "Server=db;Database=x;User Id=sa;Password=ado-pass-9;",
    "https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "https://discord.com/api/webhooks/123456789/abcdefghijklmnop",
    "https://api.example.com/v1/feed?token=abc123def",
    "https://api.example.com/v1/feed?access_token=abc123def",
    "https://maps.example.com/api?key=AIzaabc123",
    "https://store.blob.example.net/c/b?sv=2022&sig=abc%2Fdef%3D",
    PEM,
    "ghp_" + "A1b2C3d4E5" * 4,
    "gho_" + "Z9y8X7w6V5" * 4,
    "github_pat_" + "11ABCDEFG0" * 5,
    "xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx",
    "AKIAIOSFODNN7EXAMPLE",
    "sk-" + "proj0123456789abcdefghijklmnop",
    "--appendonly yes --requirepass redis-pass-3",
]
ORDINARY_VALUES = ["http://keycloak:8080", "5000", "true", "postgres", "https://example.com/docs?page=2",
                   "redis://cache:6379/0", "Server=db;Database=x;", "-----BEGIN CERTIFICATE-----"]


@pytest.mark.parametrize("value", SECRET_VALUES)
def test_a_secret_looking_value_is_secret_under_an_ordinary_name(value):
    assert looks_secret(value)
    assert is_secret("SETTING", value)
    assert value not in Redactor()(f"the value is {value} here"), "masked by its shape alone, unknown"


@pytest.mark.parametrize("value", ORDINARY_VALUES)
def test_an_ordinary_value_under_an_ordinary_name_is_not_secret(value):
    assert not is_secret("SETTING", value)
    assert Redactor()(f"the value is {value} here") == f"the value is {value} here"


def test_an_address_under_an_ordinary_name_is_secret_when_it_holds_credentials():
    assert is_secret("CACHE_URL", "redis://:pw-1234@cache:6379/0")
    assert is_secret("ORDERS_URI", "mongodb://orders:pw-1234@mongo/orders")
    assert not is_secret("CACHE_URL", "redis://cache:6379/0")
    assert not is_secret("ORDERS_URI", "mongodb://mongo/orders")


# --- the parts of a value --------------------------------------------------------------------------

def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_a_url_password_is_collected_as_written_decoded_and_as_basic_auth():
    values = secret_values_of({"DATABASE_URL": "postgresql://app:p%40ss-1234@db/app", "PORT": "5000"})
    assert {"postgresql://app:p%40ss-1234@db/app", "p%40ss-1234", "p@ss-1234", basic("app", "p@ss-1234")} <= set(values)
    assert "5000" not in values


def test_the_password_of_an_empty_user_url_is_collected():
    assert "cache-pass-42" in secret_values_of({"REDIS": "redis://:cache-pass-42@cache:6379"})


def test_jdbc_and_ado_net_passwords_are_collected_with_their_users():
    jdbc = secret_values_of({"JDBC_URL": "jdbc:postgresql://db/x?user=u&password=jdbc-pass-7"})
    assert {"jdbc-pass-7", basic("u", "jdbc-pass-7")} <= set(jdbc)
    ado = secret_values_of({"ConnectionStrings__Default": "Server=db;Database=x;User Id=sa;Password=ado-pass-9;"})
    assert {"ado-pass-9", basic("sa", "ado-pass-9")} <= set(ado)


def test_a_token_inside_a_longer_value_is_collected_on_its_own():
    token = "ghp_" + "A1b2C3d4E5" * 4
    assert token in secret_values_of({"GIT_REMOTE": f"https://{token}@github.com/org/repo.git"})
    hook = secret_values_of({"ALERTS": "https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX"})
    assert "T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX" in hook


# --- the redactor ----------------------------------------------------------------------------------

def test_redactor_masks_known_values_and_any_url_password():
    redact = Redactor(["s3cr3t-value"])
    assert redact("login with s3cr3t-value failed") == f"login with {MASK} failed"
    assert redact("postgres://app:other-pass@db:5432/app") == f"postgres://app:{MASK}@db:5432/app"
    assert redact("redis://:other-pass@cache") == f"redis://:{MASK}@cache"


def test_redactor_masks_passwords_it_has_never_been_told_of():
    redact = Redactor()
    assert redact("Server=db;User Id=sa;Password=ado-pass-9;") == f"Server=db;User Id=sa;Password={MASK};"
    assert redact("jdbc:mysql://db/x?user=u&password=jdbc-pass") == f"jdbc:mysql://db/x?user=u&password={MASK}"
    assert redact("PGPASSWORD=pw1 psql") == f"PGPASSWORD={MASK} psql"
    assert "pw-redis" not in redact("redis-cli -a pw-redis ping")
    assert "BEGIN" not in redact(f"key: {PEM} end") and "MIIE" not in redact(f"key: {PEM} end")


def test_redactor_masks_the_encoded_forms_of_a_known_secret():
    redact = Redactor(secret_values_of({"DB_PASSWORD": "p@ss/word-1"}))
    assert redact("sent p%40ss%2Fword-1 in a query") == f"sent {MASK} in a query"
    assert redact("sent p%40ss/word-1 in a path") == f"sent {MASK} in a path"
    decoded = Redactor(secret_values_of({"DB_PASSWORD": "p%40ss-word"}))
    assert decoded("the server said p@ss-word") == f"the server said {MASK}"
    with_user = Redactor(secret_values_of({"API_URL": "https://bot:bot-pass-77@api.internal/"}))
    assert with_user(f"Authorization: Basic {basic('bot', 'bot-pass-77')}") == f"Authorization: Basic {MASK}"


@pytest.mark.parametrize("broken", ["hunter2-\nhorse-battery", "hunter2-horse-\r\n    battery",
                                    "hunter2\n\t-horse-battery"])
def test_a_password_broken_across_lines_is_masked(broken):
    redact = Redactor(["hunter2-horse-battery"])
    shown = redact(f"password was\n  {broken}\nend")
    assert "hunter2" not in shown and "battery" not in shown
    assert shown.endswith("end")


def test_a_text_cut_short_in_a_known_secret_does_not_keep_its_beginning():
    redact = Redactor(["hunter2-horse-battery"])
    assert redact("'ports' must be a list, not str 'hunter2-hor") == f"'ports' must be a list, not str '{MASK}"
    assert redact("depends on postgres") == "depends on postgres"


def test_a_common_word_or_short_secret_is_never_searched_for():
    redact = Redactor(["postgres", "pw1", "backend-1"], ordinary_words=["backend-1"])
    text = "postgres is ready; pw1; backend-1 answered"
    assert redact(text) == text
    assert redact.unmaskable == {"postgres", "pw1", "backend-1"}
    assert redact.unsafe_to_search("admin") and redact.unsafe_to_search("changeme")
    assert not redact.unsafe_to_search("k7#Lq9!vX2")
    # still masked where its place says it is a password
    assert redact("postgres://app:postgres@db/app") == f"postgres://app:{MASK}@db/app"


def test_a_redactor_learns_the_secrets_of_containers_it_sees_later():
    container = SimpleNamespace(name="api-1", image="registry/api:1", environment={"API_TOKEN": "tok-canary-9d1e7f",
                                                                                  "APP_USER": "service-account"})
    stack = SimpleNamespace(services={"api": (container,)})
    empty = Redactor()
    learned = learned_from(empty, stack)  # type: ignore[arg-type]
    assert empty("tok-canary-9d1e7f") == "tok-canary-9d1e7f"
    assert learned("echo tok-canary-9d1e7f") == f"echo {MASK}"
    assert learned.with_values(["tok-canary-9d1e7f"]) is learned  # nothing new: the same redactor


def test_wait_mode_masks_the_secrets_of_a_container_that_appears_after_the_run_began():
    """`--wait` started before `compose up`: the first rounds see no secret, a later one does."""
    def stack_with(environment: dict[str, str]) -> SimpleNamespace:
        container = SimpleNamespace(name="api-1", image="api:1", environment=MappingProxyType(environment),
                                    restart_count=0, status="running", restart_policy="no", exit_code=0, health=None)
        return SimpleNamespace(services={"api": (container,)}, containers=lambda service: (container,))

    rounds = iter([stack_with({"ECHO": "not-yet"})])
    later = stack_with({"API_TOKEN": "tok-canary-9d1e7f", "ECHO": "tok-canary-9d1e7f"})
    check = Check("api/env.value/ECHO", "env.value", "api", "expected", 1, EnvValueTarget("ECHO", "expected"))
    findings = run_waiting(Plan("doc.md", (check,)), lambda plan: next(rounds, later),
                           lambda: RunLimits(time.monotonic() + 2, 1.0, 1, retry=False), Redactor(),
                           Deadlines(time.monotonic() + 0.3), pause=lambda seconds: None)
    assert findings[0].observed == MASK
    assert "tok-canary" not in findings[0].message


# --- findings about a variable whose value must not be shown -----------------------------------------

def stub_stack(environment: dict[str, str], test: tuple[str, ...] = ()) -> SimpleNamespace:
    container = SimpleNamespace(name="cache-1", environment=MappingProxyType(environment),
                                healthcheck=SimpleNamespace(test=test))
    return SimpleNamespace(containers=lambda service: (container,))


def test_the_env_value_probe_never_prints_a_secret_looking_value():
    check = Check("cache/env.value/CACHE_URL", "env.value", "cache", "redis://cache:6379", 1,
                  EnvValueTarget("CACHE_URL", "redis://cache:6379"))
    observation = env_value.probe(check, stub_stack({"CACHE_URL": "redis://:postgres@cache:6379"}), 1.0)
    assert observation.observed == NOT_SHOWN
    assert "postgres" not in observation.message and "postgres" not in observation.observed


def test_the_live_healthcheck_finding_masks_the_password_in_the_command_however_ordinary():
    check = Check("cache/healthcheck.config", "healthcheck.config", "cache", "runs valkey-cli", 1,
                  HealthCommandTarget("valkey-cli"))
    stack = stub_stack({"REDIS_PASSWORD": "redis"}, ("CMD-SHELL", "redis-cli -a redis ping"))
    observation = healthcheck_config.probe(check, stack, 1.0)
    assert observation.observed == f"CMD-SHELL redis-cli -a {MASK} ping"


def test_masked_command_masks_whole_words_equal_to_a_secret():
    assert masked_command(["CMD", "check", "--user", "app", "--password", "x1"], {"x1"}).count("x1") == 0
    assert masked_command(["CMD", "pg_isready", "-U", "app"], {"app-password"}) == "CMD pg_isready -U app"


DOC = """## Service Specifications
### Cache
```yaml
Service Name: cache
Image: redis:7
Environment Variables:
  - CACHE_URL: redis://cache:6379
  - REDIS_PASSWORD: <secret>
Health Check:
  - Command: valkey-cli ping
```
"""


def compose_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "compose.yaml"
    path.write_text(text)
    return path


def test_the_compose_layer_never_prints_a_secret_value_or_an_interpolated_password(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(DOC)
    compose = compose_file(tmp_path, """services:
  cache:
    image: redis:7
    environment:
      CACHE_URL: "redis://:${REDIS_PASSWORD}@cache:6379"
      REDIS_PASSWORD: "${REDIS_PASSWORD}"
    healthcheck:
      test: redis-cli -a ${REDIS_PASSWORD} ping
""")
    project = load_compose([compose], environ={"REDIS_PASSWORD": "redis"})  # a common word: not searched for
    document = read_document(doc)
    findings = {f.id: f for f in compose_findings(document, project, map_services(document, project))}
    assert findings["cache/env.value/CACHE_URL"].observed == NOT_SHOWN
    health = findings["cache/healthcheck.config/target"]
    assert health.observed == f"CMD-SHELL redis-cli -a {MASK} ping"
    for finding in findings.values():
        for text in (finding.expected, finding.observed, finding.message):
            assert ":redis@" not in text and "-a redis" not in text, finding


# --- the whole command line: the verifier's own environment, every output, error sentences ----------

CANARY_TOKEN = "ghp_" + "Canary0123" * 4
CANARY_PASSWORD = "canary-pw-5e2b91"
FORMATS = {"json": "report.json", "markdown": "report.md", "junit": "junit.xml", "sarif": "report.sarif",
           "html": "report.html", "terminal": "report.txt"}


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_ci_secret_interpolated_into_any_field_reaches_no_output(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GH_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("DEPLOY_PASSWORD", CANARY_PASSWORD)
    doc = tmp_path / "doc.md"
    doc.write_text(DOC.replace("Image: redis:7", "Image: redis:7\nRestart Policy: always")
                   .replace("CACHE_URL: redis://cache:6379", "CACHE_URL: redis://cache:6379\n  - CI_NOTE: none"))
    compose = compose_file(tmp_path, """services:
  cache:
    image: "redis:${DEPLOY_PASSWORD}"
    restart: "${GH_TOKEN}"
    environment:
      CI_NOTE: "${GH_TOKEN}"
      CACHE_URL: "redis://:${DEPLOY_PASSWORD}@cache:6379"
    healthcheck:
      test: ["CMD-SHELL", "redis-cli -a ${DEPLOY_PASSWORD} --user ${GH_TOKEN} ping"]
""")
    outputs = [a for name, file in FORMATS.items() for a in ("--output", f"{name}={tmp_path / file}")]
    for shown in ("terminal", "json"):
        code, printed = run_cli(capsys, "diff", str(doc), "--compose", str(compose), "--format", shown, *outputs)
        assert code == 1, printed
        written = "".join((tmp_path / file).read_text() for file in FORMATS.values())
        for canary in (CANARY_TOKEN, CANARY_PASSWORD, CANARY_TOKEN[:12], CANARY_PASSWORD[:10]):
            assert canary not in printed, shown
            assert canary not in written, shown
        assert "cache/env.value/CI_NOTE" in written  # the findings are there, their values are not


def test_an_error_sentence_never_quotes_an_interpolated_secret(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GH_TOKEN", CANARY_TOKEN)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))  # the shell's working folder: PWD is no password
    doc = tmp_path / "doc.md"
    doc.write_text(DOC)
    not_a_list = compose_file(tmp_path, "services:\n  cache:\n    image: redis:7\n    ports: ${GH_TOKEN}\n")
    for debug in ((), ("--debug",)):
        code, printed = run_cli(capsys, *debug, "diff", str(doc), "--compose", str(not_a_list))
        assert code == 2
        assert f"{not_a_list}: service 'cache': 'ports' must be a list, not str '{MASK}'" in printed
        assert CANARY_TOKEN not in printed and "Canary0123" not in printed
    required = compose_file(tmp_path, "services:\n  cache:\n    image: ${UNSET:?${GH_TOKEN}}\n")
    code, printed = run_cli(capsys, "diff", str(doc), "--compose", str(required))
    assert code == 2
    assert "required variable UNSET is missing a value: ${GH_TOKEN}" in printed
    assert "Canary0123" not in printed


def test_the_compose_reader_masks_its_own_error_sentences(tmp_path):
    token = CANARY_TOKEN
    bad_port = compose_file(tmp_path, "services:\n  cache:\n    image: redis:7\n    ports: ['${PORT_SPEC}']\n")
    with pytest.raises(InputError) as refused:
        load_compose([bad_port], environ={"PORT_SPEC": token})  # the value's shape says secret, not its name
    assert "Canary0123" not in str(refused.value)
    literal = compose_file(tmp_path, f"services:\n  cache:\n    image: ${{UNSET:?{token}}}\n")
    with pytest.raises(InputError) as refused:
        load_compose([literal], environ={})
    assert "required variable UNSET is missing a value" in str(refused.value)
    assert "Canary0123" not in str(refused.value)
