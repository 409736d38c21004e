"""Hostile compose input: whatever the bytes, the compose reader returns a project or raises InputError,
and interpolation returns text or says which variable is missing. Never another exception."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifier.compose import load_compose
from verifier.compose.interpolate import MissingVariable, interpolate, parse_env_file
from verifier.errors import InputError

SYNTAX = Path(__file__).resolve().parent.parent / "compose-fixtures" / "syntax"
SEEDS = sorted(p.read_text() for p in SYNTAX.glob("*/compose.yaml"))

_YAML_PIECES = st.sampled_from([
    "services:\n", "  api:\n", "    image: x\n", "    ports:\n", '      - "5000:5000"\n', "      - 5000\n",
    "    environment:\n", "      A: ${A:-d}\n", "      - B=${B:?missing}\n", "    depends_on: [db]\n",
    "    depends_on:\n      db:\n        condition: service_healthy\n", "    extends: other\n",
    "    extends:\n      service: api\n", "    healthcheck:\n      test: [CMD, true]\n      interval: 5x\n",
    "    deploy: {resources: {limits: {cpus: '0.5', memory: 1g}}}\n", "    mem_limit: lots\n",
    "    volumes:\n      - data:/data:ro\n", "    profiles: [x]\n", "    networks: [a, b]\n",
    "  123:\n", '    network_mode: "service:123"\n', "    network_mode: service:api\n", "    network_mode: host\n",
    "volumes:\n  data:\n", "x-anchor: &a {image: y}\n", "  web: *a\n", "  <<: *a\n", "!reset\n", "!override x\n",
    "name: ${N}\n", "\t", "- \n", ": :\n", "[", "{", "'", '"', "&x\n", "*x\n", "? a\n", "%YAML 1.1\n", "---\n",
])


def _load_or_input_error(directory: Path, text: str | bytes, environ: dict[str, str] | None = None) -> None:
    path = directory / "compose.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    try:
        load_compose([path], environ=environ or {})
    except InputError:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(_YAML_PIECES, max_size=40))
def test_any_arrangement_of_compose_pieces_loads_or_raises_input_error(tmp_path, pieces):
    _load_or_input_error(tmp_path, "".join(pieces))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_fixture_compose_files_load_or_raise_input_error(tmp_path, data):
    text = data.draw(st.sampled_from(SEEDS))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 20))
        text = text[:at] + data.draw(st.text(max_size=12) | _YAML_PIECES) + text[at + cut:]
    _load_or_input_error(tmp_path, text, {"A": "1", "N": "fuzz"})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=1500))
def test_random_bytes_as_a_compose_file_load_or_raise_input_error(tmp_path, raw):
    _load_or_input_error(tmp_path, raw)


_INTERPOLATION = st.text(alphabet=st.sampled_from(list("${}:-?+_AZaz09 \\'\"\n")), max_size=40)


@settings(max_examples=500, deadline=None)
@given(text=_INTERPOLATION, variables=st.dictionaries(st.sampled_from(["A", "Z", "a_9", "_"]), st.text(max_size=5)))
def test_interpolation_returns_text_or_names_the_missing_variable(text, variables):
    """Or says the expression is malformed (ValueError, which the compose reader turns into InputError)."""
    try:
        result = interpolate(text, variables)
    except MissingVariable as missing:
        assert missing.name and missing.message is not None
    except ValueError as malformed:
        assert "interpolation" in str(malformed) or "unclosed" in str(malformed)
    else:
        assert isinstance(result, str)
        if "$" not in text:
            assert result == text


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_env_files_parse_to_strings_or_raise_input_error(text):
    try:
        parsed = parse_env_file(text, {})
    except InputError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items())


def test_a_service_in_another_services_namespace_has_its_networks(tmp_path):
    """`network_mode: service:X` joins X's networks, even where X's name reads as a number in YAML."""
    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  123:\n    image: x\n    networks: [back]\n"
                    "  web:\n    image: x\n    network_mode: service:123\n"
                    "  tool:\n    image: x\n    network_mode: host\n")
    services = load_compose([path], environ={}).services
    assert services["web"].networks == ("back",)
    assert services["tool"].networks == ()
