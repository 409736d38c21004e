"""Hostile and odd documents: the reader answers with an InputError or a model, never anything else."""
from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DEMO_DOCUMENT, ROOT
from verifier.document import MAX_DOCUMENT_BYTES, read_document
from verifier.errors import InputError
from verifier.model_view import model_as_dict

SCHEMA = json.loads((ROOT / "schemas" / "verifier.model.v1.schema.json").read_text())
TEMPLATE = ROOT.parent / "shared" / "template" / "deployment-architecture.md"
SERVICE_BLOCK = "## Service Specifications\n### API\n```yaml\nService Name: api\nPorts:\n  - Internal: 5000\n```\n"


def write(tmp_path: Path, content: str | bytes, name: str = "doc.md") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_model_json_validates_against_the_published_schema():
    jsonschema.validate(model_as_dict(read_document(DEMO_DOCUMENT)), SCHEMA)


@pytest.mark.skipif(not TEMPLATE.exists(), reason="the shared template is not beside this checkout")
def test_template_model_json_validates_against_the_published_schema():
    jsonschema.validate(model_as_dict(read_document(TEMPLATE)), SCHEMA)


@pytest.mark.parametrize(("content", "message"), [
    ("", "the document is empty"),
    ("\n  \n\t\n", "the document is empty"),
    ("# Shopping list\n\n- eggs\n- milk\n", "no services found"),
    ("<html><body>not markdown</body></html>", "no services found"),
])
def test_documents_that_are_not_architecture_documents(tmp_path, content, message):
    with pytest.raises(InputError, match=message):
        read_document(write(tmp_path, content))


def test_huge_document_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.md"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(InputError, match="huge.md: 52,428,800 bytes is too large"):
        read_document(path)
    assert MAX_DOCUMENT_BYTES < 50 * 1024 * 1024


def test_deeply_nested_lists_and_quotes_are_read_or_refused_cleanly(tmp_path):
    nested = "".join("  " * depth + "- level\n" for depth in range(2000))
    quotes = ">" * 5000 + " deep\n"
    model = read_document(write(tmp_path, SERVICE_BLOCK + nested + quotes))
    assert [s.name for s in model.services] == ["api"]


def test_reading_a_template_sized_document_takes_milliseconds(tmp_path):
    """Not a benchmark: a guard against accidentally quadratic reading (generous bound)."""
    started = time.perf_counter()
    for _ in range(20):
        read_document(DEMO_DOCUMENT)
    assert (time.perf_counter() - started) / 20 < 0.25


_MARKDOWN_PIECES = st.sampled_from([
    "# Title\n", "## Service Specifications\n", "### Backend (engine/)\n", "```yaml\n", "```\n", "```bash\n",
    "Service Name: api\n", "Service Name: [e.g., api]\n", "Ports:\n", "  - Internal: 5000\n",
    "  - External: 5000:5000 (dev only)\n", "  - External: [e.g., 80]\n", "Health Check:\n",
    "  - Endpoint: /health or /api/health\n", "  - Expected Status: 2xx\n", "  - Command: pg_isready\n",
    "Dependencies:\n", "  - postgres (wait for healthy)\n", "Environment Variables:\n", "  - DB_PASSWORD: <secret>\n",
    "Resource Limits:\n", "  - Memory: 512M\n", "  - CPU: x\n", "| Variable | Value |\n", "|---|---|\n",
    "| A | b |\n", "- **API:** `GET /health` → 200 OK\n", "- `engine/` → `postgres`\n", "**Access:**\n",
    "- API: http://localhost:5000\n", "## Non-Functional Requirements\n", "- **API Response Time:** p95 < 200ms\n",
    "## Monitoring & Observability\n### Health Checks\n", "## Deployment Targets\n### Development\n",
    "## Environment Variables\n", "KEYCLOAK_URL=http://keycloak:8080\n", "    indented code\n", "> quote\n",
    "\t\n", "\x0c", "\u2028", "  - \n", ":\n", "[\n", "`\n",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(_MARKDOWN_PIECES, max_size=60))
def test_any_arrangement_of_template_pieces_reads_or_raises_input_error(tmp_path, pieces):
    _read_or_input_error(write(tmp_path, "".join(pieces)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_demo_document_reads_or_raises_input_error(tmp_path, data):
    text = DEMO_DOCUMENT.read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 40))
        insert = data.draw(st.text(max_size=20) | _MARKDOWN_PIECES)
        text = text[:at] + insert + text[at + cut:]
    _read_or_input_error(write(tmp_path, text))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=2000))
def test_random_bytes_read_or_raise_input_error(tmp_path, raw):
    _read_or_input_error(write(tmp_path, raw))


def _read_or_input_error(path: Path) -> None:
    try:
        model = read_document(path)
    except InputError:
        return
    jsonschema.validate(model_as_dict(model), SCHEMA)
