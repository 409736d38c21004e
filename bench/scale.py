"""How the verifier's cost grows with the stack, side by side with testinfra and a shell script.

Run: bash bench/run [--sizes 5 20 50] [--runs 5]   (installs what it needs, then runs this file)

For each size N, generates a stack (bench/stackgen.py), brings it up with `docker compose up -d
--wait`, and measures alternately, `--runs` times each: the full `verifier check`, the same with
`--concurrency 1`, the generated pytest-testinfra suite and the generated shell script. Also:
the peak RSS of `verifier check` per N, the cold start of `verifier --help`, a check of the
smallest valid document, and how long after the last container turns healthy `verifier check
--wait` exits (started before `docker compose up -d`). Prints a Markdown report.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stackgen  # a sibling script, not a package

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
VERIFIER = str(VENV_BIN / "verifier")
PYTHON = str(VENV_BIN / "python")
# Generous, and the same for every variant: --concurrency 1 at N=50 must not hit the default 30 s.
CHECK_TIMEOUT = "300"
UP_TIMEOUT_S = 600
HEALTH_POLL_S = 0.05
MEASURE_ATTEMPTS = 3

VARIANTS = ("verifier check", "verifier --concurrency 1", "testinfra", "shell script")


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_kb: int


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float

    @staticmethod
    def of(values: Sequence[float]) -> Spread:
        return Spread(statistics.median(values), min(values), max(values))


@dataclass(frozen=True)
class SizeResult:
    size: int
    up_seconds: float
    findings: int
    timings: dict[str, Spread]
    peak_rss_kb: int  # the largest of the full check's runs
    remeasured: int = 0  # measurements taken again because the stack was not healthy under them


@dataclass(frozen=True)
class WaitSample:
    last_healthy: float  # wall clock (time.time()) when the last container turned healthy
    verifier_exit: float
    source: str  # "health log" or "polling"

    @property
    def latency(self) -> float:
        return self.verifier_exit - self.last_healthy


@dataclass(frozen=True)
class Results:
    sizes: tuple[SizeResult, ...] = ()
    help_cold: Spread | None = None
    smallest_document: Spread | None = None
    wait_samples: tuple[WaitSample, ...] = ()


# --- running and timing processes -------------------------------------------------------------------

class CommandFailed(RuntimeError):
    pass


def measure(argv: Sequence[str], cwd: Path | None = None) -> Measured:
    """Wall time and peak RSS of one process. os.wait4 gives that child's own rusage, which a
    RUSAGE_CHILDREN delta cannot (ru_maxrss is a maximum over all children, not a sum)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            out.seek(0)
            err.seek(0)
            raise CommandFailed(f"{' '.join(argv)} exited {process.returncode}:\n"
                                f"{_failing_findings(out.read())}{err.read().decode(errors='replace')[-3000:]}")
    return Measured(elapsed, usage.ru_maxrss)


def _failing_findings(stdout: bytes) -> str:
    """What did not pass, when stdout is a verifier JSON report; else the tail of stdout."""
    try:
        report = json.loads(stdout)
    except ValueError:
        return stdout.decode(errors="replace")[-3000:]
    return "".join(f"  {f['status']} {f['id']}: {f['message']}\n" for f in report.get("findings", [])
                   if f["status"] not in ("pass", "skip"))


def docker_compose(stack: stackgen.GeneratedStack, *arguments: str, timeout: float = UP_TIMEOUT_S) -> None:
    result = subprocess.run(["docker", "compose", "-f", str(stack.compose_file), "-p", stack.project, *arguments],
                            capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:  # Compose's own words: which container failed, and how
        raise CommandFailed(f"docker compose {' '.join(arguments)} ({stack.project}) exited {result.returncode}:\n"
                            f"{result.stderr[-3000:]}")


def bring_down(stack: stackgen.GeneratedStack) -> None:
    subprocess.run(["docker", "compose", "-f", str(stack.compose_file), "-p", stack.project,
                    "down", "-v", "-t", "1", "--remove-orphans"], capture_output=True, timeout=UP_TIMEOUT_S,
                   check=False)  # a stack never started, or half down, is fine to take down again


def verifier_check(stack: stackgen.GeneratedStack, *extra: str) -> list[str]:
    return [VERIFIER, "check", str(stack.document), "-p", stack.project, "-f", str(stack.compose_file),
            "--format", "json", "--timeout", CHECK_TIMEOUT, *extra]


def variant_commands(stack: stackgen.GeneratedStack) -> dict[str, list[str]]:
    return {
        "verifier check": verifier_check(stack),
        "verifier --concurrency 1": verifier_check(stack, "--concurrency", "1"),
        # -p no:cacheprovider: nothing written beside the suite; no -n: one test after another.
        "testinfra": [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(stack.testinfra_suite)],
        "shell script": ["bash", str(stack.shell_script)],
    }


# --- one stack size -----------------------------------------------------------------------------------

def measure_size(size: int, runs: int, workdir: Path) -> SizeResult:
    stack = stackgen.generate(workdir / f"n{size}", size)
    try:
        started = time.perf_counter()
        docker_compose(stack, "up", "-d", "--wait")
        up_seconds = time.perf_counter() - started
        print(f"N={size}: {stack.project} up in {up_seconds:.1f} s", file=sys.stderr)
        findings = count_findings(stack)
        commands = variant_commands(stack)
        samples: dict[str, list[Measured]] = {name: [] for name in VARIANTS}
        remeasured = 0
        for run in range(runs):
            for name in VARIANTS:  # alternately, so drift in the machine's load hits every variant alike
                measured, retries = measure_on_healthy_stack(commands[name], stack)
                samples[name].append(measured)
                remeasured += retries
            print(f"N={size}: round {run + 1}/{runs}: " + ", ".join(
                f"{name} {samples[name][-1].seconds:.2f} s" for name in VARIANTS), file=sys.stderr)
        timings = {name: Spread.of([m.seconds for m in values]) for name, values in samples.items()}
        peak = max(m.peak_rss_kb for m in samples["verifier check"])
        return SizeResult(size, up_seconds, findings, timings, peak, remeasured)
    finally:
        bring_down(stack)


def measure_on_healthy_stack(command: list[str], stack: stackgen.GeneratedStack,
                             attempts: int = MEASURE_ATTEMPTS) -> tuple[Measured, int]:
    """One measurement, and how many were thrown away first. A check that fails while a container of
    the stack is not healthy measured the machine's contention, not the tool: the stack is waited for
    and the measurement taken again. A failure on a healthy stack is the tool's, and ends the run."""
    for attempt in range(attempts):
        try:
            return measure(command, cwd=stack.directory), attempt
        except CommandFailed as failure:
            unhealthy = unhealthy_containers(stack)
            if not unhealthy or attempt == attempts - 1:
                raise
            print(f"{stack.project}: {', '.join(unhealthy)} not healthy during `{Path(command[0]).name}`; "
                  f"waiting for the stack and measuring again ({str(failure).splitlines()[0][:200]})",
                  file=sys.stderr)
            docker_compose(stack, "up", "-d", "--wait")
    raise AssertionError("unreachable: the last attempt returns or raises")


def unhealthy_containers(stack: stackgen.GeneratedStack) -> list[str]:
    result = subprocess.run(["docker", "inspect", "-f", "{{.Name}} {{.State.Status}} "
                             "{{if .State.Health}}{{.State.Health.Status}}{{else}}healthy{{end}}",
                             *[s.container(stack.project) for s in stack.services]],
                            capture_output=True, text=True, check=False)
    return [line.split()[0].lstrip("/") for line in result.stdout.splitlines()
            if line.split()[1:] != ["running", "healthy"]]


def count_findings(stack: stackgen.GeneratedStack) -> int:
    """One full check, read for its findings; also proves the stack is conformant before timing it."""
    result = subprocess.run(verifier_check(stack), capture_output=True, text=True, cwd=stack.directory, check=False)
    report = json.loads(result.stdout)
    if result.returncode != 0:
        raise CommandFailed(f"{stack.project} is not conformant:\n{_failing_findings(result.stdout.encode())}")
    return len(report["findings"])


def measure_smallest_document(runs: int, workdir: Path) -> Spread:
    """`verifier check` of a one-service document naming nothing but the service, against a
    running N=5 stack: what a check costs before it has anything to check."""
    stack = stackgen.generate(workdir / "smallest", 5)
    # Its own folder: without -f the verifier looks for a compose file beside the document.
    document = workdir / "smallest-document" / "deployment-architecture.md"
    document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text("# Deployment Architecture\n\n## Service Specifications\n\n### Database\n\n"
                        "```yaml\nService Name: postgres\n```\n", encoding="utf-8")
    try:
        docker_compose(stack, "up", "-d", "--wait")
        command = [VERIFIER, "check", str(document), "-p", stack.project, "--format", "json"]
        return Spread.of([measure(command, cwd=document.parent).seconds for _ in range(runs)])
    finally:
        bring_down(stack)


def measure_help_cold_start(runs: int) -> Spread:
    return Spread.of([measure([VERIFIER, "--help"]).seconds for _ in range(runs)])


# --- wait mode ---------------------------------------------------------------------------------------

def measure_wait_latency(repeats: int, workdir: Path) -> list[WaitSample]:
    stack = stackgen.generate(workdir / "wait", 5)
    samples = []
    try:
        for repeat in range(repeats):
            bring_down(stack)
            samples.append(one_wait_run(stack))
            print(f"wait mode {repeat + 1}/{repeats}: {samples[-1].latency:.3f} s after the last healthy "
                  f"({samples[-1].source})", file=sys.stderr)
    finally:
        bring_down(stack)
    return samples


def one_wait_run(stack: stackgen.GeneratedStack) -> WaitSample:
    """Starts `verifier check --wait 120`, then `docker compose up -d`; polls health meanwhile."""
    verifier = subprocess.Popen(verifier_check(stack, "--wait", "120"), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=stack.directory)
    watcher = HealthWatcher(stack)
    watcher.start()
    try:
        docker_compose(stack, "up", "-d")
        stdout, stderr = verifier.communicate(timeout=180)
        exited = time.time()
    finally:
        watcher.stop()
        if verifier.poll() is None:
            verifier.kill()
            verifier.wait()
    if verifier.returncode != 0:
        raise CommandFailed(f"verifier --wait exited {verifier.returncode}:\n{_failing_findings(stdout)}"
                            f"{stderr.decode(errors='replace')[-2000:]}")
    from_log = last_healthy_from_health_logs(stack)
    if from_log is not None:
        return WaitSample(from_log, exited, "health log")
    if watcher.all_healthy_at is None:
        raise CommandFailed("the stack never showed all containers healthy while the verifier waited")
    return WaitSample(watcher.all_healthy_at, exited, "polling")


class HealthWatcher:
    """Polls `docker inspect` every 50 ms and records when every container was first healthy."""

    def __init__(self, stack: stackgen.GeneratedStack) -> None:
        self._containers = [s.container(stack.project) for s in stack.services]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self.all_healthy_at: float | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stopped.is_set() and self.all_healthy_at is None:
            result = subprocess.run(["docker", "inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{end}}",
                                     *self._containers], capture_output=True, text=True, check=False)
            statuses = result.stdout.split()
            if result.returncode == 0 and statuses and all(s == "healthy" for s in statuses):
                self.all_healthy_at = time.time()
            self._stopped.wait(HEALTH_POLL_S)


def last_healthy_from_health_logs(stack: stackgen.GeneratedStack) -> float | None:
    """When the last container turned healthy, from the Engine's own health log: the end of each
    container's first passing check. None when a log no longer reaches back to that moment (the
    Engine keeps 5 results), so that polling's coarser answer is used instead."""
    inspected = json.loads(subprocess.run(["docker", "inspect", *[s.container(stack.project) for s in stack.services]],
                                          capture_output=True, text=True, check=True).stdout)
    turned_healthy = []
    for container in inspected:
        log = container["State"]["Health"]["Log"]
        first_pass = next((index for index, entry in enumerate(log) if entry["ExitCode"] == 0), None)
        reaches_back = len(log) < 5 or (first_pass is not None and first_pass > 0)
        if first_pass is None or not reaches_back:
            return None
        turned_healthy.append(engine_time(log[first_pass]["End"]))
    return max(turned_healthy)


def engine_time(stamp: str) -> float:
    """The Engine's RFC 3339 time with nanoseconds, as a time.time() value."""
    whole, _, rest = stamp.partition(".")
    digits = "".join(c for c in rest if c.isdigit())
    zone = rest[len(digits):] or "Z"
    parsed = datetime.datetime.fromisoformat(f"{whole}.{digits[:6].ljust(6, '0')}{zone.replace('Z', '+00:00')}")
    return parsed.timestamp()


# --- the report -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    description: str
    observed: str
    met: bool


def machine_description(other_containers: int) -> str:
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal:")))
    engine = subprocess.run(["docker", "version", "-f", "{{.Server.Version}}"], capture_output=True, text=True,
                            check=True).stdout
    compose = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True, text=True,
                             check=True).stdout
    return (f"{os.cpu_count()} cores (nproc), {memory_kb / 1024 / 1024:.1f} GiB, {platform.platform()}, "
            f"Docker Engine {engine.strip()}, Compose {compose.strip()}, Python {platform.python_version()}; "
            f"{other_containers} other containers running")


def running_containers() -> int:
    """Taken before the benchmark starts anything: other containers' healthchecks share the cores with
    what is measured."""
    return len(subprocess.run(["docker", "ps", "-q", "--filter", "status=running"], capture_output=True, text=True,
                              check=True).stdout.split())


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value >= 0.1 else f"{value * 1000:.0f} ms"


def timing_table(results: Results) -> list[str]:
    lines = ["| N | findings | stack up | variant | median | min | max |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for size in results.sizes:
        for name in VARIANTS:
            spread = size.timings[name]
            lines.append(f"| {size.size} | {size.findings} | {size.up_seconds:.0f} s | {name} | "
                         f"{seconds(spread.median)} | {seconds(spread.low)} | {seconds(spread.high)} |")
    return lines


def ratio_lines(results: Results) -> list[str]:
    lines = ["| N | testinfra / verifier | concurrency 1 / verifier | shell / verifier | peak RSS of verifier check |",
             "| --- | --- | --- | --- | --- |"]
    for size in results.sizes:
        full = size.timings["verifier check"].median
        lines.append(f"| {size.size} | {size.timings['testinfra'].median / full:.1f}x | "
                     f"{size.timings['verifier --concurrency 1'].median / full:.1f}x | "
                     f"{size.timings['shell script'].median / full:.1f}x | {size.peak_rss_kb / 1024:.0f} MB |")
    growth = growth_figures(results)
    if growth:
        lines += ["", (f"Verifier at N={growth.largest} / N={growth.smallest}: {growth.ratio:.2f}x; cost per added "
                       f"service: (t{growth.largest} - t{growth.smallest}) / {growth.largest - growth.smallest} = "
                       f"{growth.per_service * 1000:.1f} ms")]
    return lines


@dataclass(frozen=True)
class Growth:
    smallest: int
    largest: int
    ratio: float
    per_service: float  # seconds per service added


def growth_figures(results: Results) -> Growth | None:
    if len(results.sizes) < 2:
        return None
    small, large = results.sizes[0], results.sizes[-1]
    t_small, t_large = small.timings["verifier check"].median, large.timings["verifier check"].median
    return Growth(small.size, large.size, t_large / t_small, (t_large - t_small) / (large.size - small.size))


def targets(results: Results) -> list[Target]:
    found: list[Target] = []
    largest = results.sizes[-1] if results.sizes else None
    if largest is not None:
        full = largest.timings["verifier check"].median
        vs_testinfra = largest.timings["testinfra"].median / full
        vs_sequential = largest.timings["verifier --concurrency 1"].median / full
        found += [Target(f"N={largest.size}: full check >= 10x faster than testinfra", f"{vs_testinfra:.1f}x",
                         vs_testinfra >= 10),
                  Target(f"N={largest.size}: full check >= 5x faster than --concurrency 1", f"{vs_sequential:.1f}x",
                         vs_sequential >= 5),
                  Target(f"N={largest.size}: peak RSS < 100 MB", f"{largest.peak_rss_kb / 1024:.0f} MB",
                         largest.peak_rss_kb < 100 * 1024)]
    growth = growth_figures(results)
    if growth is not None:
        found.append(Target("cost per added service < 30 ms", f"{growth.per_service * 1000:.1f} ms",
                            growth.per_service < 0.030))
    if results.help_cold is not None:
        found.append(Target("cold start of `verifier --help` < 0.3 s", seconds(results.help_cold.median),
                            results.help_cold.median < 0.3))
    if results.wait_samples:
        latency = statistics.median(s.latency for s in results.wait_samples)
        found.append(Target("wait mode detects the stack healthy within 0.5 s", f"{latency:.2f} s", latency <= 0.5))
    return found


def report(results: Results, machine: str) -> str:
    lines = [f"Machine: {machine}", f"Date: {datetime.date.today().isoformat()}", "", *timing_table(results), "",
             *ratio_lines(results), ""]
    if results.help_cold is not None:
        h = results.help_cold
        lines.append(f"- `verifier --help`: median {seconds(h.median)} (min {seconds(h.low)}, max {seconds(h.high)})")
    if results.smallest_document is not None:
        s = results.smallest_document
        lines.append(f"- `verifier check` of the smallest valid document: median {seconds(s.median)} "
                     f"(min {seconds(s.low)}, max {seconds(s.high)})")
    if results.wait_samples:
        latencies = ", ".join(f"{w.latency:.2f} s ({w.source})" for w in results.wait_samples)
        lines.append(f"- `--wait` exit after the last container turned healthy (N=5): median "
                     f"{statistics.median(w.latency for w in results.wait_samples):.2f} s; runs: {latencies}")
    remeasured = [f"N={size.size}: {size.remeasured}" for size in results.sizes if size.remeasured]
    if remeasured:
        lines.append(f"- measurements taken again because a container of the stack was not healthy under them: "
                     f"{', '.join(remeasured)}")
    lines += ["", "| target | observed | |", "| --- | --- | --- |"]
    lines += [f"| {t.description} | {t.observed} | {'met' if t.met else 'missed'} |" for t in targets(results)]
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 20, 50])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--help-runs", type=int, default=10)
    parser.add_argument("--wait-repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--keep", action="store_true", help="keep the generated stacks' folders")
    args = parser.parse_args()
    if not shutil.which("curl"):
        raise SystemExit("curl is missing: run bench/run, which installs it")
    # A terminated benchmark still takes its stacks down: the `finally` blocks run on SystemExit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    others = running_containers()
    workdir = Path(tempfile.mkdtemp(prefix="verifier-bench-"))
    try:
        results = Results(help_cold=measure_help_cold_start(args.help_runs),
                          smallest_document=measure_smallest_document(args.runs, workdir),
                          wait_samples=tuple(measure_wait_latency(args.wait_repeats, workdir)))
        for size in sorted(args.sizes):
            results = replace(results, sizes=(*results.sizes, measure_size(size, args.runs, workdir)))
            print(report(results, "(partial)"), file=sys.stderr)  # a late failure still leaves the figures so far
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    text = report(results, machine_description(others))
    print(text)
    if args.json:
        args.json.write_text(json.dumps(_as_json(results), indent=1), encoding="utf-8")


def _as_json(results: Results) -> dict:
    return {"sizes": [asdict(s) for s in results.sizes],
            "help_cold": asdict(results.help_cold) if results.help_cold else None,
            "smallest_document": asdict(results.smallest_document) if results.smallest_document else None,
            "wait": [{**asdict(w), "latency": w.latency} for w in results.wait_samples]}


if __name__ == "__main__":
    main()
