from verifier.secrets import MASK, Redactor, is_secret, secret_values_of


def test_secret_names_and_credential_urls_are_recognised():
    assert is_secret("POSTGRES_PASSWORD", "x")
    assert is_secret("LLM_API_KEY", "x")
    assert is_secret("GITHUB_TOKEN", "x")
    assert is_secret("REDIS_URL", "redis://user:hunter22@cache:6379/0")
    assert not is_secret("KEYCLOAK_URL", "http://keycloak:8080")
    assert not is_secret("PORT", "5000")


def test_redactor_masks_known_values_and_any_url_password():
    redact = Redactor(["s3cr3t-value"])
    assert redact("login with s3cr3t-value failed") == f"login with {MASK} failed"
    assert redact("postgres://app:other-pass@db:5432/app") == f"postgres://app:{MASK}@db:5432/app"


def test_url_passwords_in_environments_are_collected_on_their_own():
    values = secret_values_of({"DATABASE_URL": "postgresql://app:pw-1234@db/app", "PORT": "5000"})
    assert "pw-1234" in values
    assert "5000" not in values
