"""The scaling benchmark's generator makes a stack the verifier finds conformant (no timing here).

bench/stackgen.py writes the compose file and the document bench/scale.py measures; if the two
drift apart, the benchmark would time a failing check. An N=3 stack keeps this test short.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_stackgen():
    """bench/ is a folder of scripts, not a package: load the generator from its file."""
    spec = importlib.util.spec_from_file_location("bench_stackgen", ROOT / "bench" / "stackgen.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def compose(stack, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "compose", "-f", str(stack.compose_file), "-p", stack.project, *arguments],
                          capture_output=True, text=True, check=check, timeout=300)


def test_generated_stack_is_conformant(tmp_path: Path) -> None:
    stackgen = load_stackgen()
    stack = stackgen.generate(tmp_path / "stack", 3, project=f"vt-bench-{uuid.uuid4().hex[:8]}")
    try:
        compose(stack, "up", "-d", "--wait")
        result = subprocess.run(
            [sys.executable, "-m", "verifier", "check", str(stack.document), "-p", stack.project,
             "-f", str(stack.compose_file), "--format", "json"],
            capture_output=True, text=True, cwd=stack.directory, timeout=120, check=False)
        report = json.loads(result.stdout)
        not_passing = [f"{f['status']} {f['id']}: {f['message']}" for f in report["findings"]
                       if f["status"] not in ("pass", "skip")]
        assert result.returncode == 0, (result.stderr, not_passing)
        assert report["summary"]["conformant"], not_passing
        assert not not_passing, not_passing
        assert {s["name"] for s in report["services"]} == {"postgres", "svc-01", "svc-02"}
    finally:
        compose(stack, "down", "-v", "-t", "1", "--remove-orphans", check=False)
