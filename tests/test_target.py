"""Choosing the Compose project the way Compose itself would."""
from pathlib import Path

from tests.conftest import DEMO_COMPOSE
from verifier.target import choose_target, normalize_project_name


def test_explicit_name_wins_over_everything():
    choice = choose_target("Shop", [DEMO_COMPOSE], Path("doc.md"), {"COMPOSE_PROJECT_NAME": "other"})
    assert (choice.project, choice.reason) == ("shop", "--project")
    assert choice.compose is not None and "api" in choice.compose.services


def test_environment_variable_comes_next():
    assert choose_target(None, [DEMO_COMPOSE], Path("doc.md"), {"COMPOSE_PROJECT_NAME": "staging"}).project == "staging"


def test_compose_files_top_level_name_then_its_folder(tmp_path):
    assert choose_target(None, [DEMO_COMPOSE], Path("doc.md"), {}).project == "verifier-demo"
    folder = tmp_path / "My Shop.v2"
    folder.mkdir()
    compose = folder / "docker-compose.yml"
    compose.write_text("services:\n  api:\n    image: x\n")
    assert choose_target(None, [compose], Path("doc.md"), {}).project == "myshopv2"


def test_compose_file_is_found_beside_the_document(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "repo"
    (folder / "docs").mkdir(parents=True)
    (folder / "compose.yaml").write_text("name: found-it\nservices: {}\n")
    assert choose_target(None, [], folder / "docs" / "architecture.md", {}).project == "found-it"


def test_names_are_normalised_as_compose_does():
    assert normalize_project_name("_My-App_1.0") == "my-app_10"
