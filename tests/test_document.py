"""Reading documents: the demo document gives exactly the expected model, lines included."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DEMO_DOCUMENT, ROOT
from verifier.document import read_document
from verifier.errors import DocumentError, UsageError
from verifier.model import (
    CommandHealthSpec,
    DependencySpec,
    EnvVarSpec,
    Fact,
    HealthSpec,
    HttpHealthSpec,
    PortSpec,
    ServiceSpec,
)

TEMPLATE = ROOT.parent / "shared" / "template" / "deployment-architecture.md"


def http_health(path: str, line: int, interval: int, timeout: str, retries: int) -> HealthSpec:
    return HealthSpec(HttpHealthSpec(path, "GET", 200, None, line + 1),
                      Fact("2s", interval), Fact(timeout, interval + 1), Fact(retries, interval + 2), line)


EXPECTED_DEMO_SERVICES = (
    ServiceSpec(
        name="postgres", heading="Database Service", line=103,
        image=Fact("verifier-demo/postgres:1", 104), build_context=None,
        ports=(PortSpec(5432, None, None, "", 110),
               PortSpec(5432, 5432, None, "dev only, not exposed in production", 111)),
        health=HealthSpec(CommandHealthSpec("pg_isready -h 127.0.0.1 -U app -d app", 119),
                          Fact("2s", 120), Fact("2s", 121), Fact(10, 122), 118),
        dependencies=(),
        environment=(EnvVarSpec("POSTGRES_DB", "app", "", False, 114),
                     EnvVarSpec("POSTGRES_USER", "app", "", False, 115),
                     EnvVarSpec("POSTGRES_PASSWORD", None, "<secret> (from .env)", True, 116)),
        restart_policy=Fact("unless-stopped", 124),
    ),
    ServiceSpec(
        name="api", heading="Backend API Service (engine/)", line=132,
        image=None, build_context=Fact("./engine", 134),
        ports=(PortSpec(5000, None, None, "", 142), PortSpec(5000, 5000, None, "", 143)),
        health=http_health("/health", 154, 158, "3s", 5),
        dependencies=(DependencySpec("postgres", "healthy", "wait for healthy", 146),),
        environment=(EnvVarSpec("DATABASE_URL", None, "<secret> (postgresql://app:<password>@postgres:5432/app)", True, 149),
                     EnvVarSpec("APP_ENV", "development", "", False, 150),
                     EnvVarSpec("PORT", "5000", "", False, 151),
                     EnvVarSpec("JWT_SECRET", None, "<secret> (from .env)", True, 152)),
        restart_policy=Fact("unless-stopped", 162),
    ),
    ServiceSpec(
        name="web", heading="Frontend Service (experience/)", line=170,
        image=None, build_context=Fact("./experience", 172),
        ports=(PortSpec(80, None, None, "", 181), PortSpec(80, 3000, None, "", 182)),
        health=http_health("/", 190, 194, "3s", 5),
        dependencies=(DependencySpec("api", "started", "must be running for API calls", 185),),
        environment=(EnvVarSpec("API_URL", "http://localhost:5000", "", False, 188),),
        restart_policy=Fact("unless-stopped", 198),
    ),
    ServiceSpec(
        name="neuron", heading="AI Layer Service (neuron/)", line=206,
        image=None, build_context=Fact("./neuron", 208),
        ports=(PortSpec(8000, None, None, "", 216), PortSpec(8000, 8000, None, "", 217)),
        health=http_health("/health", 228, 232, "3s", 5),
        dependencies=(DependencySpec("api", "healthy", "wait for healthy; calls internal API for data", 220),),
        environment=(EnvVarSpec("LLM_PROVIDER", "ollama", "", False, 223),
                     EnvVarSpec("LLM_API_KEY", None, "<secret> (from .env)", True, 224),
                     EnvVarSpec("ENGINE_INTERNAL_API_URL", "http://api:5000/api/internal", "", False, 225),
                     EnvVarSpec("PORT", "8000", "", False, 226)),
        restart_policy=Fact("unless-stopped", 236),
    ),
)


def test_demo_document_reads_as_the_expected_model():
    model = read_document(DEMO_DOCUMENT)
    assert model.services == EXPECTED_DEMO_SERVICES
    assert model.notes == ()
    assert len(model.sha256) == 64


@pytest.mark.skipif(not TEMPLATE.exists(), reason="the shared template is not beside this checkout")
def test_unfilled_template_reads_its_services_and_notes_its_placeholders():
    model = read_document(TEMPLATE)
    assert [s.name for s in model.services] == ["postgres", "api", "web", "neuron"]
    api = model.service("api")
    assert api is not None
    assert api.health is not None and isinstance(api.health.probe, HttpHealthSpec)
    assert api.health.probe.path == "/health"
    web = model.service("web")
    assert web is not None and {p.scope for p in web.ports} == {"development", "production"}
    notes = {note.line: note.message for note in model.notes}
    assert 158 in notes and "[List all detected env vars]" in notes[158]
    assert "several endpoints" in notes[161]


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
    assert service.ports == (PortSpec(6379, 6379, None, "", 9),)
    assert [d.service for d in service.dependencies] == ["api", "worker"]
    assert service.health is not None
    assert service.health.probe == HttpHealthSpec("/ping", "GET", 200, 6379, 11)
    assert service.restart_policy == Fact("always", 12)


def test_document_without_services_is_refused_with_its_name(tmp_path):
    doc = write(tmp_path, "# Deployment\n\n## Service Specifications\n\nTo be written.\n")
    with pytest.raises(DocumentError, match="doc.md: no services found"):
        read_document(doc)


def test_service_specified_twice_is_refused_at_its_line(tmp_path):
    block = "```yaml\nService Name: api\n```\n"
    doc = write(tmp_path, "## Service Specifications\n" + block + block)
    with pytest.raises(DocumentError, match=r"doc.md:6: service 'api' is specified twice \(first at line 3\)"):
        read_document(doc)


def test_binary_file_is_refused_at_the_line_it_stops_being_text(tmp_path):
    path = tmp_path / "doc.md"
    path.write_bytes(b"# Title\nline two\n\xff\xfe\x00 binary")
    with pytest.raises(DocumentError, match="doc.md:3: not UTF-8 text"):
        read_document(path)


def test_missing_file_and_directory_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        read_document(tmp_path / "absent.md")
    with pytest.raises(UsageError, match="is a directory"):
        read_document(tmp_path)
