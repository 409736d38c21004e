"""The command line: one clear sentence and a documented exit code for every way it cannot run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_DOCUMENT


def verifier(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verifier", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=60)


def assert_one_sentence(stderr: str, *fragments: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("verifier: ")
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_engine_unreachable_exits_3_and_says_where_it_looked(tmp_path):
    socket_path = tmp_path / "absent.sock"
    result = verifier("check", str(DEMO_DOCUMENT), "--project", "anything",
                      env={"DOCKER_HOST": f"unix://{socket_path}"})
    assert result.returncode == 3
    assert_one_sentence(result.stderr, "cannot reach the Docker Engine", f"unix://{socket_path}")
    assert result.stdout == ""


def as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
    """The verifier as `nobody`: Debian's python3 with this virtual environment's packages (anyone may read them)."""
    import sysconfig

    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env",
         f"PYTHONPATH={root}:{sysconfig.get_paths()['purelib']}", "/usr/bin/python3", "-m", "verifier", *args],
        capture_output=True, text=True, timeout=60, cwd="/")


def test_a_user_the_socket_refuses_exits_3_with_permission_denied():
    """The Engine's socket is root:docker 0660."""
    result = as_nobody("check", str(DEMO_DOCUMENT), "--project", "anything")
    assert result.returncode == 3, result.stderr
    assert_one_sentence(result.stderr, "cannot reach the Docker Engine", "(permission denied)")


def test_an_unreadable_document_exits_2_with_permission_denied(tmp_path):
    document = tmp_path / "deployment-architecture.md"
    document.write_text(DEMO_DOCUMENT.read_text())
    document.chmod(0o600)
    result = as_nobody("lint", str(document))
    assert result.returncode == 2, result.stderr
    assert_one_sentence(result.stderr, str(document), "permission denied")


def test_document_without_services_exits_2_naming_the_file(tmp_path):
    doc = tmp_path / "empty-architecture.md"
    doc.write_text("# Deployment Architecture\n\n## Service Specifications\n\nTBD\n")
    result = verifier("check", str(doc), "--project", "anything")
    assert result.returncode == 2
    assert_one_sentence(result.stderr, "empty-architecture.md", "no services found")


def test_missing_document_exits_2(tmp_path):
    result = verifier("model", str(tmp_path / "nope.md"))
    assert result.returncode == 2
    assert_one_sentence(result.stderr, "nope.md: no such file")


def test_project_with_no_containers_exits_2():
    result = verifier("check", str(DEMO_DOCUMENT), "--project", "vt-nothing-runs-here")
    assert result.returncode == 2
    assert_one_sentence(result.stderr, "'vt-nothing-runs-here'", "has no containers")


def test_no_project_and_no_compose_file_exits_2(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(DEMO_DOCUMENT.read_text())
    result = verifier("check", str(doc), cwd=tmp_path, env={"COMPOSE_PROJECT_NAME": ""})
    assert result.returncode == 2
    assert_one_sentence(result.stderr, "cannot tell which Compose project", "--project")


def test_malformed_compose_file_exits_2_at_its_line(tmp_path):
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  api:\n    image: [unclosed\n")
    result = verifier("check", str(DEMO_DOCUMENT), "--compose", str(compose))
    assert result.returncode == 2
    assert_one_sentence(result.stderr, "compose.yaml:")


def test_debug_shows_the_traceback(tmp_path):
    result = verifier("--debug", "model", str(tmp_path / "nope.md"))
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_bad_timeout_is_a_usage_error():
    result = verifier("check", str(DEMO_DOCUMENT), "--timeout", "soon")
    assert result.returncode == 2
    assert "not a number of seconds" in result.stderr


def test_model_json_has_every_fact_with_its_line_and_masks_documented_secrets(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("## Service Specifications\n```\nService Name: api\nEnvironment Variables:\n"
                   "  - API_TOKEN: tok-canary-9d81\n  - MODE: fast\n```\n")
    result = verifier("model", str(doc), "--format", "json")
    assert result.returncode == 0
    model = json.loads(result.stdout)
    assert [(e["name"], e["value"], e["secret"], e["line"]) for e in model["services"][0]["env"]] == [
        ("API_TOKEN", None, True, 5), ("MODE", "fast", False, 6)]
    table = verifier("model", str(doc))
    assert "tok-canary-9d81" not in result.stdout + table.stdout
    assert "API_TOKEN=********" in table.stdout


BAD_INPUTS = {
    "a folder as the document": (lambda d: ["lint", str(d)], "is a directory"),
    "a binary document": (lambda d: ["lint", str(_write(d / "doc.md", b"\x00\x01PNG" * 100))], "a binary file"),
    "an empty document": (lambda d: ["lint", str(_write(d / "doc.md", b""))], "the document is empty"),
    "a document that is not UTF-8": (lambda d: ["lint", str(_write(d / "doc.md", b"# a\n\xff\xfe\n"))],
                                     "not UTF-8 text"),
    "a missing compose file": (lambda d: ["diff", str(DEMO_DOCUMENT), "-f", str(d / "absent.yaml")], "no such file"),
    "a folder as the compose file": (lambda d: ["diff", str(DEMO_DOCUMENT), "-f", str(d)], "is a directory"),
    "a YAML alias bomb": (lambda d: ["diff", str(DEMO_DOCUMENT), "-f", str(_write(d / "c.yaml", _ALIAS_BOMB))],
                          "alias"),
    "a missing baseline": (lambda d: ["lint", str(DEMO_DOCUMENT), "--baseline", str(d / "absent.json")],
                           "no such file"),
    "a missing baseline, said before any check runs": (
        lambda d: ["check", str(DEMO_DOCUMENT), "-p", "vt-no-such-project", "--baseline", str(d / "absent.json")],
        "absent.json: no such file"),
    "a baseline that is not JSON": (lambda d: ["lint", str(DEMO_DOCUMENT), "--baseline",
                                               str(_write(d / "b.json", b"{not json"))], "not JSON"),
    "an output folder that does not exist": (lambda d: ["lint", str(DEMO_DOCUMENT), "-o",
                                                        f"json={d / 'absent' / 'r.json'}"], "does not exist"),
    "--fail-on new without a baseline": (lambda d: ["lint", str(DEMO_DOCUMENT), "--fail-on", "new"], "--baseline"),
}
_ALIAS_BOMB = ("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
               + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n"
                         for i in range(8))
               + "services:\n  api:\n    image: x\n    labels: *i\n").encode()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_sentence_and_exit_2(tmp_path, case):
    arguments, fragment = BAD_INPUTS[case]
    result = verifier(*arguments(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert_one_sentence(result.stderr, fragment)
