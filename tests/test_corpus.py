"""The corpus: documents written in different teams' styles, each with the model a careful reader takes from it.

expected.json is a subset of the model JSON: dicts compare key by key (only the keys written),
lists element by element in order; `findings` compare as a set of (check, status, line[, service]).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from verifier.document import read_document
from verifier.model_view import model_as_dict

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.json").exists())


def mismatches(expected: Any, actual: Any, where: str = "") -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, read {actual!r}"]
        found = []
        for key, value in expected.items():
            if key not in actual:
                found.append(f"{where}.{key}: missing")
            else:
                found += mismatches(value, actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, read {actual!r}"]
        found = [f"{where}: {len(expected)} expected, {len(actual)} read"] if len(expected) != len(actual) else []
        for index, (want, got) in enumerate(zip(expected, actual)):
            found += mismatches(want, got, f"{where}[{index}]")
        return found
    return [] if expected == actual else [f"{where}: expected {expected!r}, read {actual!r}"]


def finding_keys(findings: list[dict[str, Any]], with_service: bool) -> set[tuple]:
    return {(f["check"], f["status"], f["line"] if "line" in f else f["source"]["line"])
            + ((f.get("service"),) if with_service else ()) for f in findings}


@pytest.mark.parametrize("case", CASES)
def test_corpus_document_reads_as_expected(case):
    expected = json.loads((CORPUS / case / "expected.json").read_text())
    actual = model_as_dict(read_document(CORPUS / case / "deployment-architecture.md"))
    expected_findings = expected.pop("findings", None)
    problems = mismatches(expected, actual)
    if expected_findings is not None:
        want = finding_keys(expected_findings, with_service=False)
        got = finding_keys(actual["findings"], with_service=False)
        problems += [f"finding expected, not read: {k}" for k in sorted(want - got)]
        problems += [f"finding read, not expected: {k}" for k in sorted(got - want)]
    assert not problems, "\n".join(problems)


def test_corpus_has_the_styles_it_promises():
    assert len(CASES) >= 8
