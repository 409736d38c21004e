"""Generates a benchmark stack of N services and the three ways of checking it.

Run: .venv/bin/python bench/stackgen.py DIRECTORY N [--project NAME]

Writes into DIRECTORY:
- compose.yaml: one PostgreSQL 15 and N-1 small Python HTTP services, all from the local
  `verifier-fixture-base:bookworm` image (nothing is pulled or built);
- deployment-architecture.md: the document `verifier check` reads, conformant with compose.yaml;
- test_stack_testinfra.py: the same checks written as a pytest-testinfra suite;
- check_stack.sh: the same checks as a plain bash script of docker inspect / exec, curl, pg_isready;
- stack.json: what was generated (project, services, ports), for bench/scale.py and the smoke test.

Every HTTP service depends on postgres; every even-numbered one also on the HTTP service before
it, so the dependency checks have a second hop to look at.
"""
from __future__ import annotations

import argparse
import json
import socket
import textwrap
import uuid
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

IMAGE = "verifier-fixture-base:bookworm"
HTTP_PORT = 8000
POSTGRES_PORT = 5432
POSTGRES_USER = "bench"
POSTGRES_DB = "postgres"  # the database initdb creates: nothing to create at start-up
POSTGRES_BIN = "/usr/lib/postgresql/15/bin"

# The whole HTTP service: /health answers 200, anything else 404, no access log (50 services
# logging every healthcheck would be Engine work the benchmark does not mean to measure).
HTTP_SERVER = textwrap.dedent("""\
    import http.server, os
    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self, body):
            self.send_response(200 if self.path == '/health' else 404)
            self.send_header('Content-Length', '2')
            self.end_headers()
            if body:
                self.wfile.write(b'ok')
        def do_GET(self):
            self.answer(True)
        def do_HEAD(self):
            self.answer(False)
        def log_message(self, *args):
            pass
    http.server.ThreadingHTTPServer(('', int(os.environ['PORT'])), Handler).serve_forever()
    """)

# initdb on every start into the container's own filesystem: a benchmark needs no durable data,
# and trust authentication keeps secrets (and their masking) out of what is measured.
POSTGRES_START = (
    f"{POSTGRES_BIN}/initdb -D /tmp/pgdata -U {POSTGRES_USER} --auth=trust >/dev/null"
    " && echo 'host all all 0.0.0.0/0 trust' >> /tmp/pgdata/pg_hba.conf"
    f" && exec {POSTGRES_BIN}/postgres -D /tmp/pgdata -c listen_addresses='*' -c unix_socket_directories=/tmp"
)
POSTGRES_HEALTH = f"pg_isready -h 127.0.0.1 -U {POSTGRES_USER} -d {POSTGRES_DB}"


@dataclass(frozen=True)
class HealthTiming:
    interval_s: int
    timeout_s: int
    retries: int


# Cheap on purpose: at N=50, healthchecks that start python3 every 2 s took both cores (load 36)
# and turned services unhealthy, so the timings measured that contention, not the tools. A bash
# /dev/tcp request and a 10 s interval leave the cores to what is measured.
HTTP_HEALTH_TIMING = HealthTiming(interval_s=10, timeout_s=2, retries=3)
POSTGRES_HEALTH_TIMING = HealthTiming(interval_s=5, timeout_s=2, retries=5)


def http_health_probe(port: int) -> str:
    """GET /health through bash's /dev/tcp: healthy when the status line says 200 (`$$` is Compose's
    escape for a `$` it must not interpolate)."""
    return (f"exec 3<>/dev/tcp/127.0.0.1/{port} && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3"
            " && read -r _ status _ <&3 && [ \"$$status\" = 200 ]")


@dataclass(frozen=True)
class GeneratedService:
    name: str
    kind: str  # "postgres" or "http"
    internal_port: int
    host_port: int
    environment: tuple[tuple[str, str], ...]
    dependencies: tuple[str, ...]

    def container(self, project: str) -> str:
        """Compose v2's container name for the service's only replica."""
        return f"{project}-{self.name}-1"


@dataclass(frozen=True)
class GeneratedStack:
    project: str
    directory: Path
    services: tuple[GeneratedService, ...]

    @property
    def compose_file(self) -> Path:
        return self.directory / "compose.yaml"

    @property
    def document(self) -> Path:
        return self.directory / "deployment-architecture.md"

    @property
    def testinfra_suite(self) -> Path:
        return self.directory / "test_stack_testinfra.py"

    @property
    def shell_script(self) -> Path:
        return self.directory / "check_stack.sh"

    @property
    def postgres(self) -> GeneratedService:
        return next(s for s in self.services if s.kind == "postgres")

    @property
    def http_services(self) -> tuple[GeneratedService, ...]:
        return tuple(s for s in self.services if s.kind == "http")


# --- choosing what to generate ------------------------------------------------------------------

def free_host_ports(count: int) -> list[int]:
    """`count` distinct ports free right now: every socket stays open until all are chosen,
    so the kernel cannot hand out the same port twice."""
    with ExitStack() as sockets:
        ports = []
        for _ in range(count):
            sock = sockets.enter_context(socket.socket())
            sock.bind(("0.0.0.0", 0))
            ports.append(sock.getsockname()[1])
        return ports


def unique_project(size: int) -> str:
    return f"vbench-n{size}-{uuid.uuid4().hex[:6]}"


def http_service_name(number: int) -> str:
    return f"svc-{number:02d}"


def plan_stack(directory: Path, size: int, project: str, host_ports: list[int]) -> GeneratedStack:
    """The stack's services, pure: postgres first, then size-1 HTTP services."""
    if size < 2:
        raise ValueError("a stack needs postgres and at least one HTTP service")
    postgres = GeneratedService("postgres", "postgres", POSTGRES_PORT, host_ports[0],
                                (("POSTGRES_USER", POSTGRES_USER), ("POSTGRES_DB", POSTGRES_DB)), ())
    services = [postgres]
    for number in range(1, size):
        name = http_service_name(number)
        dependencies = ("postgres",) + ((http_service_name(number - 1),) if number % 2 == 0 else ())
        services.append(GeneratedService(name, "http", HTTP_PORT, host_ports[number],
                                         (("APP_NAME", name), ("PORT", str(HTTP_PORT))), dependencies))
    return GeneratedStack(project, directory, tuple(services))


# --- compose.yaml ----------------------------------------------------------------------------------

def compose_definition(stack: GeneratedStack) -> dict:
    return {"name": stack.project,
            "services": {service.name: _compose_service(service) for service in stack.services}}


def _compose_service(service: GeneratedService) -> dict:
    definition: dict = {"image": IMAGE}
    if service.kind == "postgres":
        definition |= {"user": "postgres", "command": ["sh", "-c", POSTGRES_START],
                       "healthcheck": _healthcheck(["CMD-SHELL", POSTGRES_HEALTH], POSTGRES_HEALTH_TIMING)}
    else:
        definition |= {"init": True, "command": ["python3", "-c", HTTP_SERVER],
                       "healthcheck": _healthcheck(["CMD", "bash", "-c", http_health_probe(service.internal_port)],
                                                   HTTP_HEALTH_TIMING)}
    definition["environment"] = dict(service.environment)
    definition["ports"] = [f"{service.host_port}:{service.internal_port}"]
    if service.dependencies:
        definition["depends_on"] = {name: {"condition": "service_started"} for name in service.dependencies}
    definition["restart"] = "unless-stopped"
    return definition


def _healthcheck(test: list[str], timing: HealthTiming) -> dict:
    return {"test": test, "interval": f"{timing.interval_s}s", "timeout": f"{timing.timeout_s}s",
            "retries": timing.retries}


# --- deployment-architecture.md --------------------------------------------------------------------

def architecture_document(stack: GeneratedStack) -> str:
    sections = [_document_header(stack), "## Service Specifications\n",
                *(_service_section(service) for service in stack.services), _nfr_section(stack)]
    return "\n".join(sections)


def _document_header(stack: GeneratedStack) -> str:
    return textwrap.dedent(f"""\
        # Deployment Architecture

        > **Purpose:** benchmark stack `{stack.project}`, {len(stack.services)} services, generated by bench/stackgen.py

        ---

        ## Infrastructure Requirements

        **Database:**
        - **Type:** PostgreSQL
        - **Version:** PostgreSQL 15
        - **Port:** {POSTGRES_PORT}

        ---
        """)


def _service_section(service: GeneratedService) -> str:
    heading = "Database Service" if service.kind == "postgres" else f"Service {service.name}"
    lines = [f"### {heading}", "", "```yaml", f"Service Name: {service.name}", f"Image: {IMAGE}", "",
             "Ports:", f"  - Internal: {service.internal_port}",
             f"  - External: {service.host_port}:{service.internal_port}", ""]
    if service.dependencies:
        lines += ["Dependencies:", *(f"  - {name} (must be running)" for name in service.dependencies), ""]
    lines += ["Environment Variables:", *(f"  - {name}: {value}" for name, value in service.environment), ""]
    lines += [*_health_lines(service), "", "Restart Policy: unless-stopped", "```", ""]
    return "\n".join(lines)


def _health_lines(service: GeneratedService) -> list[str]:
    if service.kind == "postgres":
        timing, what = POSTGRES_HEALTH_TIMING, [f"  - Command: {POSTGRES_HEALTH}"]
    else:
        timing = HTTP_HEALTH_TIMING
        what = ["  - Endpoint: /health", "  - Method: GET", "  - Expected Status: 200"]
    return ["Health Check:", *what, f"  - Interval: {timing.interval_s}s", f"  - Timeout: {timing.timeout_s}s",
            f"  - Retries: {timing.retries}"]


def _nfr_section(stack: GeneratedStack) -> str:
    # One latency target whatever N: a constant cost, so the growth measured is the per-service work.
    first = stack.http_services[0].name
    return textwrap.dedent(f"""\
        ---

        ## Non-Functional Requirements

        ### Performance
        - **{first} Response Time:** p95 < 1000ms
        """)


# --- the testinfra suite ---------------------------------------------------------------------------

def testinfra_suite(stack: GeneratedStack) -> str:
    """A pytest-testinfra file doing the checks a team would write by hand for this stack."""
    services = [{"name": s.name, "container": s.container(stack.project), "kind": s.kind,
                 "internal_port": s.internal_port, "host_port": s.host_port,
                 "environment": dict(s.environment), "dependencies": list(s.dependencies)}
                for s in stack.services]
    return TESTINFRA_TEMPLATE.replace("@PROJECT@", stack.project).replace(
        "@SERVICES@", json.dumps(services, indent=1)).replace("@PG_USER@", POSTGRES_USER).replace(
        "@PG_DB@", POSTGRES_DB)


TESTINFRA_TEMPLATE = '''\
"""pytest-testinfra checks of stack @PROJECT@, generated by bench/stackgen.py.

Each fact the verifier checks is one test here: the container runs, each variable is set to its
value, each port accepts connections from inside the network, /health answers 200, PostgreSQL
is ready. Commands inside containers go through testinfra's docker backend (one docker exec each).
"""
import urllib.request

import pytest
import testinfra

SERVICES = @SERVICES@
BY_NAME = {service["name"]: service for service in SERVICES}
LOCAL = testinfra.get_host("local://")
CONNECT = "python3 -c \\"import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 2)\\""


def in_container(service):
    return testinfra.get_host("docker://" + service["container"])


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s["name"])
def test_container_running(service):
    assert LOCAL.docker(service["container"]).is_running


@pytest.mark.parametrize("service,name,value", [(s, n, v) for s in SERVICES for n, v in s["environment"].items()],
                         ids=lambda p: p["name"] if isinstance(p, dict) else p)
def test_environment_variable(service, name, value):
    assert in_container(service).check_output("printenv " + name) == value


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s["name"])
def test_port_listening(service):
    result = in_container(service).run(CONNECT + " 127.0.0.1 " + str(service["internal_port"]))
    assert result.rc == 0, result.stderr


@pytest.mark.parametrize("service,dependency", [(s, d) for s in SERVICES for d in s["dependencies"]],
                         ids=lambda p: p["name"] if isinstance(p, dict) else p)
def test_dependency_reachable(service, dependency):
    port = BY_NAME[dependency]["internal_port"]
    result = in_container(service).run(CONNECT + " " + dependency + " " + str(port))
    assert result.rc == 0, result.stderr


@pytest.mark.parametrize("service", [s for s in SERVICES if s["kind"] == "http"], ids=lambda s: s["name"])
def test_health_endpoint(service):
    url = "http://127.0.0.1:" + str(service["host_port"]) + "/health"
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200


@pytest.mark.parametrize("service", [s for s in SERVICES if s["kind"] == "postgres"], ids=lambda s: s["name"])
def test_postgres_ready(service):
    result = in_container(service).run("pg_isready -h 127.0.0.1 -U @PG_USER@ -d @PG_DB@")
    assert result.rc == 0, result.stdout
'''


# --- the shell script ------------------------------------------------------------------------------

SHELL_HEADER = r'''#!/usr/bin/env bash
# The checks a team would script by hand, one command each: docker inspect for state and
# environment, docker exec for connections from inside the network, curl for /health, pg_isready.
set -u
failures=0

check() {  # check DESCRIPTION COMMAND...: runs the command, counts and names a failure
  local what=$1
  shift
  if ! "$@" >/dev/null 2>&1; then
    echo "FAIL $what"
    failures=$((failures + 1))
  fi
}
running() { [ "$(docker inspect -f '{{.State.Running}}' "$1")" = true ]; }
env_is() { docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$1" | grep -qxF "$2=$3"; }
connects() { docker exec "$1" python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 2)' "$2" "$3"; }
answers_200() { [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$1")" = 200 ]; }
'''

SHELL_FOOTER = '''
echo "$failures failed"
[ "$failures" -eq 0 ]
'''


def shell_script(stack: GeneratedStack) -> str:
    by_name = {service.name: service for service in stack.services}
    lines = [SHELL_HEADER, f"# stack {stack.project}, generated by bench/stackgen.py"]
    for service in stack.services:
        container = service.container(stack.project)
        lines.append(f"\n# {service.name}")
        lines.append(f"check '{service.name} running' running {container}")
        lines += [f"check '{service.name} {name}' env_is {container} {name} '{value}'"
                  for name, value in service.environment]
        lines.append(f"check '{service.name} listens on {service.internal_port}' "
                     f"connects {container} 127.0.0.1 {service.internal_port}")
        lines += [f"check '{service.name} reaches {name}' connects {container} {name} {by_name[name].internal_port}"
                  for name in service.dependencies]
        if service.kind == "http":
            lines.append(f"check '{service.name} /health' answers_200 http://127.0.0.1:{service.host_port}/health")
        else:
            lines.append(f"check '{service.name} ready' pg_isready -q -h 127.0.0.1 -p {service.host_port} "
                         f"-U {POSTGRES_USER} -d {POSTGRES_DB}")
    lines.append(SHELL_FOOTER)
    return "\n".join(lines)


# --- writing it all ---------------------------------------------------------------------------------

def write_stack(stack: GeneratedStack) -> GeneratedStack:
    stack.directory.mkdir(parents=True, exist_ok=True)
    stack.compose_file.write_text(
        "# Generated by bench/stackgen.py: a benchmark stack, documented in deployment-architecture.md.\n"
        + yaml.safe_dump(compose_definition(stack), sort_keys=False, width=1000), encoding="utf-8")
    stack.document.write_text(architecture_document(stack), encoding="utf-8")
    stack.testinfra_suite.write_text(testinfra_suite(stack), encoding="utf-8")
    stack.shell_script.write_text(shell_script(stack), encoding="utf-8")
    stack.shell_script.chmod(0o755)
    (stack.directory / "stack.json").write_text(json.dumps(asdict(stack), default=str, indent=1), encoding="utf-8")
    return stack


def generate(directory: Path, size: int, project: str | None = None) -> GeneratedStack:
    """Chooses free host ports and a unique project name (unless given) and writes the stack."""
    stack = plan_stack(Path(directory), size, project or unique_project(size), free_host_ports(size))
    return write_stack(stack)


def load(directory: Path) -> GeneratedStack:
    """A stack written earlier, read back from its stack.json."""
    data = json.loads((Path(directory) / "stack.json").read_text(encoding="utf-8"))
    services = tuple(GeneratedService(s["name"], s["kind"], s["internal_port"], s["host_port"],
                                      tuple(tuple(pair) for pair in s["environment"]), tuple(s["dependencies"]))
                     for s in data["services"])
    return GeneratedStack(data["project"], Path(data["directory"]), services)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("size", type=int, help="number of services, postgres included")
    parser.add_argument("--project", help="compose project name (default: a unique one)")
    args = parser.parse_args()
    stack = generate(args.directory, args.size, args.project)
    print(f"{stack.project}: {len(stack.services)} services in {stack.directory}")


if __name__ == "__main__":
    main()
