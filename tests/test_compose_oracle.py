"""The compose reader (verifier.compose) against Docker Compose itself.

Good cases (compose-fixtures/syntax/<case>/): `normalized(load_compose(...))` must equal what
`docker compose config` makes of the same files, reduced by tests/compose_oracle.py. With Docker
Compose v2 available the live oracle is used; without it, the case's saved expected.json.

Bad cases (compose-fixtures/syntax-bad/<case>/): `load_compose` must raise InputError, naming the
offending file, within the case's time limit (2 s for the alias bomb). Each call runs in a forked
child so a reader that hangs or eats memory fails the test instead of the test run.
"""
from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path

import pytest

from tests import compose_oracle

GOOD_CASES = compose_oracle.good_cases()
BAD_CASES = compose_oracle.bad_cases()
COMPOSE_AVAILABLE = compose_oracle.compose_available()
needs_compose = pytest.mark.skipif(not COMPOSE_AVAILABLE, reason="`docker compose version` fails here")


def _load(case_dir: Path):
    from verifier.compose import load_compose

    case = compose_oracle.read_case(case_dir)
    env_files = [case_dir / name for name in case["env_files"]] if case["env_files"] is not None else None
    return load_compose([case_dir / name for name in case["files"]], environ=case["environ"],
                        env_files=env_files, profiles=case["profiles"], project_name=case["project_name"])


def _expected(case_dir: Path) -> dict:
    if COMPOSE_AVAILABLE:
        return compose_oracle.oracle_view(compose_oracle.compose_config(case_dir))
    if not (case_dir / "expected.json").is_file():
        pytest.skip("no docker compose and no saved expected.json")
    return compose_oracle.load_expected(case_dir)


@pytest.mark.parametrize("case_dir", GOOD_CASES, ids=[case.name for case in GOOD_CASES])
def test_reader_matches_compose_config(case_dir: Path) -> None:
    from verifier.compose import normalized

    expected = compose_oracle.canonical(_expected(case_dir))
    actual = normalized(_load(case_dir))
    # Content, not the order of entries holding None: both sides sorted one way (see canonical()).
    actual = compose_oracle.canonical(actual) if isinstance(actual, dict) and "services" in actual else actual
    assert actual["name"] == expected["name"]
    assert sorted(actual["services"]) == sorted(expected["services"])
    for name, service in expected["services"].items():
        assert actual["services"][name] == service, f"service {name!r} of {case_dir.name}"
    assert actual == expected


@needs_compose
@pytest.mark.parametrize("case_dir", GOOD_CASES, ids=[case.name for case in GOOD_CASES])
def test_saved_expected_is_current(case_dir: Path) -> None:
    """expected.json is what the live oracle says (else: python tests/compose_oracle.py <case>)."""
    live = compose_oracle.oracle_view(compose_oracle.compose_config(case_dir))
    assert compose_oracle.load_expected(case_dir) == compose_oracle.canonical(live)


def _child(case_dir: Path, conn) -> None:
    from verifier.errors import InputError

    started = time.perf_counter()
    try:
        _load(case_dir)
    except InputError as error:
        outcome = ("InputError", str(error))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails the test
        outcome = (type(error).__qualname__, str(error)[:2000])
    else:
        outcome = ("no error", "")
    conn.send((*outcome, time.perf_counter() - started))
    conn.close()


@pytest.mark.parametrize("case_dir", BAD_CASES, ids=[case.name for case in BAD_CASES])
def test_malformed_input_is_refused_quickly(case_dir: Path) -> None:
    import verifier.compose  # noqa: F401 - imported here, so the forked child does not pay for it
    import verifier.errors  # noqa: F401

    case = json.loads((case_dir / "case.json").read_text())
    limit = float(case.get("time_limit_s", 5))
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(case_dir, sender), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(limit + 3):
            pytest.fail(f"load_compose did not finish within {limit + 3:g} s on {case_dir.name}")
        kind, message, elapsed = receiver.recv()
    except EOFError:
        pytest.fail(f"load_compose killed the process on {case_dir.name} (exit code {child.exitcode})")
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
    assert kind == "InputError", f"{case_dir.name}: expected InputError, got {kind}: {message}"
    assert elapsed < limit, f"{case_dir.name}: took {elapsed:.2f} s (limit {limit:g} s)"
    assert case["error_file"] in message, f"{case_dir.name}: the message does not name {case['error_file']}: {message}"
    for text in case.get("message_contains", []):
        assert text in message, f"{case_dir.name}: {text!r} not in {message!r}"
