"""The reference for the compose reader: what `docker compose config` itself makes of a fixture.

`compose_config(case_dir)` runs Docker Compose v2 on a fixture described by its `case.json`
and returns the parsed `--format json` output; `oracle_view(config)` reduces that output to
the normalized shape that `verifier.compose.normalized()` produces, so the two can be compared.

case.json:
    {"files": ["compose.yaml", ...],      # in -f order, relative to the case folder
     "environ": {"NAME": "value", ...},   # the process environment (on top of PATH and HOME)
     "profiles": ["debug", ...],          # --profile, one per entry
     "project_name": "name" | null,       # -p when given
     "env_files": ["custom.env", ...]}    # optional: --env-file each (instead of .env)

Run as a script to (re)write every good case's expected.json:  python tests/compose_oracle.py
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SYNTAX_DIR = ROOT / "compose-fixtures" / "syntax"
SYNTAX_BAD_DIR = ROOT / "compose-fixtures" / "syntax-bad"
# expected.json stores paths inside the case folder with this prefix, so it does not depend on the checkout.
CASE_DIR_TOKEN = "@CASE_DIR@"


def read_case(case_dir: Path) -> dict[str, Any]:
    case = json.loads((case_dir / "case.json").read_text())
    return {
        "files": list(case["files"]),
        "environ": dict(case.get("environ") or {}),
        "profiles": list(case.get("profiles") or []),
        "project_name": case.get("project_name"),
        "env_files": case.get("env_files"),
    }


def compose_available() -> bool:
    try:
        return subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def compose_command(case_dir: Path) -> tuple[list[str], dict[str, str]]:
    """The `docker compose config` command line and environment for one case."""
    case = read_case(case_dir)
    args = ["docker", "compose"]
    for name in case["files"]:
        args += ["-f", str(case_dir / name)]
    # The project directory is the first file's folder, as when Compose is run without it.
    args += ["--project-directory", str((case_dir / case["files"][0]).parent)]
    for name in case["env_files"] or []:
        args += ["--env-file", str(case_dir / name)]
    if case["project_name"]:
        args += ["-p", case["project_name"]]
    for profile in case["profiles"]:
        args += ["--profile", profile]
    args += ["config", "--format", "json"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root")}
    env.update(case["environ"])
    return args, env


def run_compose_config(case_dir: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Runs compose config; on timeout kills its whole process group (the compose plugin ignores the
    SIGTERM that `timeout`/subprocess send to the docker CLI) and raises subprocess.TimeoutExpired."""
    args, env = compose_command(case_dir)
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                          cwd=case_dir, start_new_session=True) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def compose_config(case_dir: Path) -> dict:
    result = run_compose_config(case_dir)
    if result.returncode != 0:
        raise RuntimeError(f"docker compose config failed for {case_dir.name} ({result.returncode}): {result.stderr.strip()}")
    return json.loads(result.stdout)


# --- normalization --------------------------------------------------------------------------------

_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def duration_seconds(value: Any) -> float | None:
    """A Go duration as compose config prints it ("1m30s", "500ms", "1h0m0s") in seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):  # not printed by compose config, but harmless
        return float(value)
    text = str(value).strip()
    if text in ("0", ""):
        return 0.0
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            raise ValueError(f"not a duration: {value!r}")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise ValueError(f"not a duration: {value!r}")
    return total


_MEMORY_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2,
                 "g": 1024**3, "gb": 1024**3, "t": 1024**4, "tb": 1024**4}


def memory_bytes(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(value))
    if not match or match.group(2).lower() not in _MEMORY_UNITS:
        raise ValueError(f"not a memory size: {value!r}")
    number, unit = match.group(1), _MEMORY_UNITS[match.group(2).lower()]
    return int(number) * unit if "." not in number else int(float(number) * unit)


def _port_numbers(value: Any) -> list[int | None]:
    if value is None or value == "":
        return [None]
    text = str(value)
    if "-" in text:
        low, high = (int(part) for part in text.split("-", 1))
        return list(range(low, high + 1))
    return [int(text)]


def _port_key(entry: list) -> tuple:
    target, published, host_ip, protocol = entry
    first = -1 if published is None else int(str(published).split("-")[0])  # "9000-9010": a host range
    return (target, first, str(published), host_ip or "", protocol)


def _volume_key(entry: list) -> tuple:
    kind, source, target, read_only = entry
    return (kind, source or "", target, read_only)


def canonical(view: dict) -> dict:
    """The same view with every list that the shape calls sorted sorted one fixed way (None first),
    so that two readers that only order entries with None differently compare equal."""
    services = {}
    for name, service in view["services"].items():
        service = dict(service)
        service["ports"] = sorted((list(p) for p in service["ports"]), key=_port_key)
        service["volumes"] = sorted((list(v) for v in service["volumes"]), key=_volume_key)
        service["networks"] = sorted(service["networks"])
        service["profiles"] = sorted(service["profiles"])
        services[name] = service
    return {**view, "services": services}


def _ports(ports: list[dict] | None) -> list[list]:
    """compose config writes a container range one entry per port; a host range for one container port
    stays one entry (`published: "9000-9010"`: the Engine picks one), kept so: [80, "9000-9010", ...]."""
    entries = []
    for port in ports or []:
        targets = _port_numbers(port["target"])
        published = _port_numbers(port.get("published"))
        if len(targets) == 1 and len(published) > 1:
            published = [f"{published[0]}-{published[-1]}"]
        if len(published) == 1 and len(targets) > 1 and published[0] is None:
            published = [None] * len(targets)
        if len(published) != len(targets):
            raise ValueError(f"port range not representable one-to-one: {port!r}")
        for target, host_port in zip(targets, published):
            entries.append([target, host_port, port.get("host_ip") or None, port.get("protocol") or "tcp"])
    return sorted(entries, key=_port_key)


def _healthcheck(check: dict | None) -> dict | None:
    if check is None:
        return None
    # The spec makes `disable: true` and `test: ["NONE"]` the same thing; compose config keeps whichever was written.
    if check.get("disable") or list(check.get("test") or []) == ["NONE"]:
        return {"disable": True}
    return {
        "test": list(check.get("test") or []),
        "interval_s": duration_seconds(check.get("interval")),
        "timeout_s": duration_seconds(check.get("timeout")),
        "retries": int(check["retries"]) if check.get("retries") is not None else None,
        "start_period_s": duration_seconds(check.get("start_period")),
    }


def _volumes(volumes: list[dict] | None) -> list[list]:
    entries = [[v["type"], v.get("source") or None, v["target"], bool(v.get("read_only", False))]
               for v in volumes or []]
    return sorted(entries, key=_volume_key)


def _limits(service: dict) -> tuple[float | None, int | None]:
    limits = ((service.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    cpus = limits.get("cpus", service.get("cpus"))
    memory = limits.get("memory", service.get("mem_limit"))
    return (float(cpus) if cpus is not None else None), memory_bytes(memory)


def _service(service: dict) -> dict:
    build = service.get("build")
    cpus, memory = _limits(service)
    return {
        "image": service.get("image"),
        "build": None if build is None else {"context": build["context"], "dockerfile": build.get("dockerfile")},
        "ports": _ports(service.get("ports")),
        "environment": dict(service.get("environment") or {}),
        "depends_on": {name: dep.get("condition", "service_started")
                       for name, dep in (service.get("depends_on") or {}).items()},
        "healthcheck": _healthcheck(service.get("healthcheck")),
        "restart": service.get("restart"),
        "cpus": cpus,
        "memory_bytes": memory,
        "volumes": _volumes(service.get("volumes")),
        "networks": sorted(service.get("networks") or {}),
        "profiles": sorted(service.get("profiles") or []),
    }


def unescape_dollars(config: Any) -> Any:
    """compose config escapes every literal `$` of its output as `$$` (so the output can be read again);
    the values a container actually gets have single dollars."""
    return _map_strings(config, lambda s: s.replace("$$", "$"))


def oracle_view(config: dict) -> dict:
    """`docker compose config --format json` output reduced to `verifier.compose.normalized()`'s shape."""
    config = unescape_dollars(config)
    return {
        "name": config["name"],
        "services": {name: _service(service) for name, service in sorted((config.get("services") or {}).items())},
    }


# --- expected.json: the oracle's answer saved for machines without Docker ------------------------

def _map_strings(value: Any, change) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_map_strings(item, change) for item in value]
    if isinstance(value, dict):
        return {key: _map_strings(item, change) for key, item in value.items()}
    return value


def to_portable(view: dict, case_dir: Path) -> dict:
    prefix = str(case_dir)
    return _map_strings(view, lambda s: CASE_DIR_TOKEN + s[len(prefix):]
                        if s == prefix or s.startswith(prefix + "/") else s)


def from_portable(view: dict, case_dir: Path) -> dict:
    return _map_strings(view, lambda s: str(case_dir) + s[len(CASE_DIR_TOKEN):]
                        if s.startswith(CASE_DIR_TOKEN) else s)


def load_expected(case_dir: Path) -> dict:
    """expected.json for this checkout, sorted again: the order of absolute paths depends on where the
    checkout lives (/work/... sorts after /srv/..., /check/... before it)."""
    return canonical(from_portable(json.loads((case_dir / "expected.json").read_text()), case_dir))


def good_cases() -> list[Path]:
    return sorted(p for p in SYNTAX_DIR.iterdir() if (p / "case.json").is_file())


def bad_cases() -> list[Path]:
    return sorted(p for p in SYNTAX_BAD_DIR.iterdir() if (p / "case.json").is_file())


def record_bad_case(case_dir: Path, timeout: float = 20) -> dict:
    """What compose config says about a malformed case: its exit code and first error line."""
    try:
        result = run_compose_config(case_dir, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"exit_code": None, "first_error_line": None,
                "note": f"did not finish within {timeout:g} s; killed (its memory use grows by gigabytes)"}
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if not line.startswith("WARN")] or lines
    return {"exit_code": result.returncode, "first_error_line": errors[0] if errors else None,
            "stderr_lines": errors[:4]}


def main(argv: list[str]) -> int:
    """python tests/compose_oracle.py [case ...]: rewrite expected.json of the good cases and the
    "compose_config" entry of the bad cases' case.json (all cases when none is named)."""
    names = set(argv)
    for case_dir in good_cases():
        if names and case_dir.name not in names:
            continue
        view = oracle_view(compose_config(case_dir))
        (case_dir / "expected.json").write_text(json.dumps(to_portable(view, case_dir), indent=2) + "\n")
        print(f"wrote {case_dir.name}/expected.json")
    for case_dir in bad_cases():
        if names and case_dir.name not in names:
            continue
        case = json.loads((case_dir / "case.json").read_text())
        case["compose_config"] = record_bad_case(case_dir)
        (case_dir / "case.json").write_text(json.dumps(case, indent=2) + "\n")
        print(f"recorded {case_dir.name}: {case['compose_config']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
