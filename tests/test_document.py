"""Reading documents: the demo document gives exactly the expected model, lines included."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DEMO_DOCUMENT, ROOT
from verifier.document import read_document
from verifier.errors import InputError, UsageError
from verifier.model import (
    BuildSpec,
    CodeFacts,
    DependencySpec,
    EnvVarSpec,
    Fact,
    HealthSpec,
    PortSpec,
    ServiceSpec,
    VolumeSpec,
)

TEMPLATE = ROOT.parent / "shared" / "template" / "deployment-architecture.md"


def http_health(path: str, block_line: int, timeout: float, retries: int) -> HealthSpec:
    return HealthSpec("http", "GET", path, None, 200, None, None, 2, timeout, retries, None, block_line + 1, block_line)


def env(name: str, value: str | None, line: int, secret: bool = False) -> EnvVarSpec:
    description = "" if value is not None else "<secret> (from .env)"
    return EnvVarSpec(name, value, description, secret, secret, line)


EXPECTED_DEMO_SERVICES = (
    ServiceSpec(
        name="postgres", heading="Database Service", line=103, source_dir=None,
        image=Fact("verifier-demo/postgres:1", 104), build=None,
        ports=(PortSpec(5432, 5432, "dev-only", None, "dev only, not exposed in production", 111),),
        health=HealthSpec("postgres", None, None, None, None, None, "pg_isready -h 127.0.0.1 -U app -d app",
                          2, 2, 10, None, 119, 118),
        dependencies=(),
        environment=(env("POSTGRES_DB", "app", 114), env("POSTGRES_USER", "app", 115),
                     env("POSTGRES_PASSWORD", None, 116, secret=True)),
        restart_policy=Fact("unless-stopped", 124),
        volumes=(VolumeSpec("postgres_data", "/var/lib/postgresql/data", 106),),
    ),
    ServiceSpec(
        name="api", heading="Backend API Service (engine/)", line=132, source_dir="engine/",
        image=None, build=BuildSpec("./engine", "./engine/Dockerfile", 133),
        ports=(PortSpec(5000, 5000, "public", None, "", 143),),
        health=http_health("/health", 154, 3, 5),
        dependencies=(DependencySpec("postgres", "healthy", "wait for healthy", 146),),
        environment=(EnvVarSpec("DATABASE_URL", None, "<secret> (postgresql://app:<password>@postgres:5432/app)",
                                True, True, 149),
                     env("APP_ENV", "development", 150), env("PORT", "5000", 151),
                     env("JWT_SECRET", None, 152, secret=True)),
        restart_policy=Fact("unless-stopped", 162),
        code=CodeFacts("Python 3.11", "Python standard library http.server", "PostgreSQL",
                       "environment variables only", (5000,), 27),
    ),
    ServiceSpec(
        name="web", heading="Frontend Service (experience/)", line=170, source_dir="experience/",
        image=None, build=BuildSpec("./experience", "./experience/Dockerfile", 171),
        ports=(PortSpec(80, 3000, "public", None, "", 182),),
        health=http_health("/", 190, 3, 5),
        dependencies=(DependencySpec("api", "started", "must be running for API calls", 185),),
        environment=(env("API_URL", "http://localhost:5000", 188),),
        restart_policy=Fact("unless-stopped", 198),
        code=CodeFacts("HTML", "Static files served by Nginx", None, "nginx.conf", (80, 3000), 36),
    ),
    ServiceSpec(
        name="neuron", heading="AI Layer Service (neuron/)", line=206, source_dir="neuron/",
        image=None, build=BuildSpec("./neuron", "./neuron/Dockerfile", 207),
        ports=(PortSpec(8000, 8000, "public", None, "", 217),),
        health=http_health("/health", 228, 3, 5),
        dependencies=(DependencySpec("api", "healthy", "wait for healthy; calls internal API for data", 220),),
        environment=(env("LLM_PROVIDER", "ollama", 223), env("LLM_API_KEY", None, 224, secret=True),
                     env("ENGINE_INTERNAL_API_URL", "http://api:5000/api/internal", 225), env("PORT", "8000", 226)),
        restart_policy=Fact("unless-stopped", 236),
        code=CodeFacts("Python 3.11", "Python standard library http.server", None, None, (8000,), 44),
    ),
)


def test_demo_document_reads_as_the_expected_model():
    model = read_document(DEMO_DOCUMENT)
    for service, expected in zip(model.services, EXPECTED_DEMO_SERVICES, strict=True):
        assert service == expected
    assert model.notes == ()
    assert model.findings == ()
    assert len(model.sha256) == 64


@pytest.mark.skipif(not TEMPLATE.exists(), reason="the shared template is not beside this checkout")
def test_unfilled_template_reads_its_services_and_notes_its_placeholders():
    model = read_document(TEMPLATE)
    assert [s.name for s in model.services] == ["postgres", "api", "web", "neuron"]
    api = model.service("api")
    assert api is not None and api.health is not None
    assert (api.health.kind, api.health.path, api.health.line) == ("http", "/health", 161)
    web = model.service("web")
    assert web is not None and {p.environment for p in web.ports} == {"development", "production"}
    notes = {note.line: note.message for note in model.notes}
    assert 158 in notes and "[List all detected env vars]" in notes[158]
    assert "several endpoints" in notes[161]
    placeholders = {f.source.line for f in model.findings if f.check == "doc.placeholder"}
    assert {12, 31, 117, 169, 447} <= placeholders
    assert all(f.status.value == "warn" for f in model.findings)
    assert [e.name for e in model.external] == ["keycloak"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_blocks_that_are_not_yaml_are_still_read(tmp_path):
    doc = write(tmp_path, """# Deployment
## Service Specifications
### Cache
```
Service Name: cache
Image: redis:7   (pinned)
Persistent Storage: Required
  - Volume: cache_data
Ports: 6379:6379
Dependencies: api, worker
Health Check: GET http://localhost:6379/ping
Restart Policy: Always   # anything after is a remark
```
""")
    service = read_document(doc).services[0]
    assert service.image == Fact("redis:7", 6)
    assert service.ports == (PortSpec(6379, 6379, "public", None, "", 9),)
    assert [d.service for d in service.dependencies] == ["api", "worker"]
    assert service.health == HealthSpec("http", "GET", "/ping", 6379, 200, None, None, None, None, None, None, 11, 11)
    assert service.restart_policy == Fact("always", 12)
    assert service.volumes == (VolumeSpec("cache_data", None, 8),)


def test_document_without_services_is_refused_with_its_name(tmp_path):
    doc = write(tmp_path, "# Deployment\n\n## Service Specifications\n\nTo be written.\n")
    with pytest.raises(InputError, match="doc.md: no services found"):
        read_document(doc)


def test_service_specified_twice_is_refused_at_its_line(tmp_path):
    block = "```yaml\nService Name: api\n```\n"
    doc = write(tmp_path, "## Service Specifications\n" + block + block)
    with pytest.raises(InputError, match=r"doc.md:6: service 'api' is specified twice \(first at line 3\)"):
        read_document(doc)


def test_invalid_utf8_is_refused_at_the_line_it_stops_being_text(tmp_path):
    path = tmp_path / "doc.md"
    path.write_bytes(b"# Title\nline two\n\xff\xfe broken")
    with pytest.raises(InputError, match="doc.md:3: not UTF-8 text"):
        read_document(path)


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "doc.md"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(InputError, match="doc.md: a binary file"):
        read_document(path)


def test_missing_file_and_directory_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        read_document(tmp_path / "absent.md")
    with pytest.raises(UsageError, match="is a directory"):
        read_document(tmp_path)
