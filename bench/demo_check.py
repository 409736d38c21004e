"""How long a full check of the demo stack takes once it is up, side by side with --no-exec.

Run: .venv/bin/python bench/demo_check.py [runs]   (brings the demo stack up first if needed)
Prints, for each variant measured alternately in one run, the median and spread of the whole
process (Python start-up and imports included) and of the run itself (the report's duration_ms:
from reading the document to the last finding), and the ratio of the two variants.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "compose-fixtures" / "demo" / "deployment-architecture.md"
COMPOSE = ROOT / "compose-fixtures" / "demo" / "compose.yaml"
VARIANTS = {
    "full check": ["check", str(DOCUMENT), "-f", str(COMPOSE), "--format", "json"],
    "--no-exec": ["check", str(DOCUMENT), "-f", str(COMPOSE), "--format", "json", "--no-exec"],
}


def timed(arguments: list[str]) -> tuple[float, float]:
    """(whole process, the run as the report times it), in seconds."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "verifier", *arguments], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    report = json.loads(result.stdout or '{"findings": [], "duration_ms": 0}')
    if result.returncode != 0:
        failing = [f"{f['id']}: {f['message']}" for f in report["findings"] if f["status"] in ("fail", "error")]
        raise SystemExit(f"verifier {' '.join(arguments)} exited {result.returncode}: {result.stderr.strip()} "
                         + "; ".join(failing))
    return elapsed, report["duration_ms"] / 1000


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} s  min {min(values):.3f}  max {max(values):.3f}"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    subprocess.run([sys.executable, "-m", "verifier", "demo", "--format", "json"], check=True, capture_output=True)
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    for _ in range(runs):
        for name, arguments in VARIANTS.items():  # alternately, so drift in the machine hits both alike
            timings[name].append(timed(arguments))
    for name, values in timings.items():
        print(f"{name:<12} process {spread([v[0] for v in values])}")
        print(f"{'':<12} run     {spread([v[1] for v in values])}  ({len(values)} runs)")
    ratio = (statistics.median(v[0] for v in timings["full check"])
             / statistics.median(v[0] for v in timings["--no-exec"]))
    print(f"full / --no-exec (process): {ratio:.2f}x")


if __name__ == "__main__":
    main()
