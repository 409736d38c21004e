"""How long a full check of the demo stack takes once it is up, side by side with --no-exec.

Run: .venv/bin/python bench/demo_check.py [runs]   (brings the demo stack up first if needed)
Prints the median and spread of each variant, measured alternately in one run, and their ratio.
"""
from __future__ import annotations

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


def timed(arguments: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "verifier", *arguments], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"verifier {' '.join(arguments)} exited {result.returncode}: {result.stderr.strip()}")
    return elapsed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    subprocess.run([sys.executable, "-m", "verifier", "demo", "--format", "json"], check=True, capture_output=True)
    timings: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(runs):
        for name, arguments in VARIANTS.items():  # alternately, so drift in the machine hits both alike
            timings[name].append(timed(arguments))
    for name, values in timings.items():
        print(f"{name:<12} median {statistics.median(values):.3f} s  min {min(values):.3f}  max {max(values):.3f}"
              f"  ({len(values)} runs, whole process)")
    ratio = statistics.median(timings["full check"]) / statistics.median(timings["--no-exec"])
    print(f"full / --no-exec: {ratio:.2f}x")


if __name__ == "__main__":
    main()
