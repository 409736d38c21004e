"""End to end on real stacks: the demo conforms, the drift variant fails exactly where seeded."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

from tests.conftest import DEMO_COMPOSE, DEMO_SECRETS, DRIFT_OVERRIDE, container_states, free_port


def run_verifier(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verifier", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def check_json(stack, *options: str) -> tuple[int, dict]:
    result = run_verifier("check", str(stack.document), "--project", stack.project, "--format", "json", *options)
    assert result.stderr == ""
    return result.returncode, json.loads(result.stdout)


def test_demo_stack_conforms_with_every_check_passing(start_stack):
    stack = start_stack()
    code, report = check_json(stack)
    assert code == 0
    assert report["schema"] == "verifier.report/v1"
    assert report["summary"]["conformant"] is True
    assert {f["status"] for f in report["findings"]} == {"pass"}
    kinds = {f["check"] for f in report["findings"]}
    assert kinds == {"service.missing", "container.running", "container.health", "port.published",
                     "http.health", "postgres.ready", "env.present", "env.value", "image", "restart.policy",
                     "volume.mount", "healthcheck.config", "nfr.latency", "dependency.order", "port.listening",
                     "dependency.reachable"}
    assert {f["layer"] for f in report["findings"]} == {"live"}
    assert len(report["findings"]) == 67
    by_id = {f["id"]: f for f in report["findings"]}
    assert by_id["api/http.health/GET /health"]["source"]["line"] == 155
    assert by_id["postgres/postgres.ready"]["observed"].startswith("accepting connections; SELECT 1 answers")
    assert by_id["web/port.published/" + f"{stack.ports[3000]}:80"]["status"] == "pass"


def test_drift_variant_fails_exactly_where_seeded(start_stack):
    drift_port = free_port()
    stack = start_stack(DRIFT_OVERRIDE, extra_env={"DEMO_API_DRIFT_PORT": str(drift_port)})
    code, report = check_json(stack)
    assert code == 1
    not_passing = {(f["id"], f["status"], f["observed"]) for f in report["findings"] if f["status"] != "pass"}
    assert not_passing == {
        (f"api/port.published/{stack.ports[5000]}:5000", "fail", f"{drift_port}->5000/tcp"),
        ("web/env.present/API_URL", "fail", "not set"),
        ("neuron/http.health/GET /health", "fail", "503"),
        ("neuron/container.health", "fail", "unhealthy"),  # the same 503, seen by Docker's healthcheck
        ("neuron/env.value/ENGINE_INTERNAL_API_URL", "fail", "http://api:5000/api/missing"),  # its cause
        ("web/env.value/API_URL", "skip", "not checked"),  # not set at all: reported once, by env.present
    }
    lines = {f["id"]: f["source"]["line"] for f in report["findings"] if f["status"] == "fail"}
    assert lines["web/env.present/API_URL"] == 188
    assert lines["neuron/http.health/GET /health"] == 229


def test_stack_started_by_compose_v1_is_found_by_labels(start_stack):
    stack = start_stack(v1=True)
    names = subprocess.run(["docker", "ps", "--filter", f"label=com.docker.compose.project={stack.project}",
                            "--format", "{{.Names}}"], capture_output=True, text=True, check=True).stdout
    assert f"{stack.project}_api_1" in names.split()  # v1's naming, which v2 would write as -api-1
    code, report = check_json(stack)
    assert code == 0, [f for f in report["findings"] if f["status"] != "pass"]


def test_stopped_service_fails_once_and_skips_what_depends_on_it(start_stack):
    stack = start_stack()
    subprocess.run(["docker", "stop", "-t", "1", stack.container("web")], check=True, capture_output=True)
    code, report = check_json(stack)
    assert code == 1
    web = {f["check"]: f for f in report["findings"] if f["service"] == "web"}
    assert web["container.running"]["status"] == "fail"
    assert web["container.running"]["observed"].startswith("exited")
    assert web["http.health"]["status"] == "skip"
    assert web["port.published"]["status"] == "skip"
    assert "web/container.running" in web["http.health"]["message"]
    assert web["env.present"]["status"] == "pass"  # a stopped container still has its configuration


def test_no_secret_reaches_any_output(start_stack):
    stack = start_stack()
    outputs = []
    for fmt in ("terminal", "json"):
        result = run_verifier("check", str(stack.document), "--project", stack.project, "--format", fmt)
        outputs += [result.stdout, result.stderr]
    for fmt in ("json", "table"):
        result = run_verifier("model", str(stack.document), "--format", fmt)
        outputs += [result.stdout, result.stderr]
    result = run_verifier("check", str(stack.document), "--project", "vt-no-such-project", "--debug")
    outputs += [result.stdout, result.stderr]
    everything = "\n".join(outputs)
    assert "api" in everything and "POSTGRES_PASSWORD" in everything  # the outputs are really there
    for secret in DEMO_SECRETS:
        assert secret not in everything


def test_postgres_probe_tells_login_refused_from_no_response(start_stack):
    from probes import postgres_ready
    from verifier.document import read_document
    from verifier.plan import build_plan
    from verifier.stack import snapshot_stack

    stack = start_stack()
    snapshot = snapshot_stack(stack.project)
    check = next(c for c in build_plan(read_document(stack.document)).checks if c.kind == "postgres.ready")
    postgres = snapshot.containers("postgres")[0]
    wrong = dataclasses.replace(postgres, environment={**postgres.environment, "POSTGRES_PASSWORD": "wrong-canary-41"})
    refused = postgres_ready.probe(check, dataclasses.replace(snapshot, services={"postgres": (wrong,)}), 5.0)
    assert (refused.status.value, refused.observed) == ("fail", "accepting connections; login refused")
    assert "password authentication failed" in refused.message and "wrong-canary-41" not in refused.message

    newer = dataclasses.replace(check, target=dataclasses.replace(check.target, major_version="16"))
    mismatch = postgres_ready.probe(newer, snapshot, 5.0)
    assert mismatch.status.value == "fail" and "the document says PostgreSQL 16" in mismatch.message

    closed = dataclasses.replace(postgres, ports=tuple(dataclasses.replace(b, host_port=free_port())
                                                       for b in postgres.ports))
    silent = postgres_ready.probe(check, dataclasses.replace(snapshot, services={"postgres": (closed,)}), 2.0)
    assert (silent.status.value, silent.observed) == ("fail", "no response")


def test_demo_command_reports_on_the_demo_project():
    """`verifier demo` brings verifier-demo up when needed (leaving it up, as a user expects)."""
    result = run_verifier("demo", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["target"]["project"] == "verifier-demo"
    assert report["summary"]["conformant"] is True


def test_each_difference_is_reported_at_its_layer(start_stack):
    """Stack started from compose file A, verified with compose file B and the document."""
    from tests.conftest import CHANGED_OVERRIDE, DEMO_COMPOSE

    stack = start_stack()
    changed_port = free_port()
    env = {**stack.environment, "DEMO_API_CHANGED_PORT": str(changed_port)}
    result = run_verifier("check", str(stack.document), "--project", stack.project, "--format", "json",
                          "--compose", str(DEMO_COMPOSE), "--compose", str(CHANGED_OVERRIDE), env=env)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    api_port = stack.ports[5000]
    drift = {(f["layer"], f["id"], f["observed"]) for f in report["findings"] if f["status"] != "pass"}
    assert drift == {
        ("compose", f"api/port.published/{api_port}:5000", f"{changed_port}->5000"),
        ("compose", "api/env.value/APP_ENV", "staging"),
        ("compose", "web/restart.policy", "always"),
        ("live", f"api/port.published/{api_port}:5000", f"{api_port}->5000/tcp"),  # not redeployed
        ("live", "api/container.outdated", "created from an older definition"),
        ("live", "web/container.outdated", "created from an older definition"),
        ("live", "api/env.value/APP_ENV", "development"),  # not redeployed either
        ("live", "web/restart.policy", "unless-stopped"),
    }
    assert report["target"]["compose_files"] == [str(DEMO_COMPOSE), str(CHANGED_OVERRIDE)]
    assert not [f for f in report["findings"] if f["layer"] == "compose" and f["check"] == "service.undocumented"]


def test_a_dependency_compose_did_not_wait_for_is_found(start_stack, tmp_path):
    override = tmp_path / "order.override.yaml"
    override.write_text("services:\n  neuron:\n    depends_on: !override\n"
                        "      api:\n        condition: service_started\n")
    stack = start_stack(override)
    code, report = check_json(stack)
    assert code == 1
    drift = {(f["id"], f["status"], f["observed"]) for f in report["findings"] if f["status"] != "pass"}
    assert drift == {("neuron/dependency.order/api", "fail", "waited until api started")}


def test_containers_started_again_out_of_order_are_a_warning(start_stack):
    """What an Engine restart does: it starts containers by their restart policy, ignoring depends_on.
    Compose kept the order at `up`, so the stack is not wrong; the report says what happened."""
    stack = start_stack()
    api, web, neuron = (stack.container(service) for service in ("api", "web", "neuron"))
    subprocess.run(["docker", "stop", "-t", "1", web, neuron, api], check=True, capture_output=True)
    subprocess.run(["docker", "start", web, neuron], check=True, capture_output=True)
    subprocess.run(["docker", "start", api], check=True, capture_output=True)
    stack.wait_until_settled()
    code, report = check_json(stack)
    drift = {(f["id"], f["status"]) for f in report["findings"] if f["status"] != "pass"}
    assert drift == {("web/dependency.order/api", "warn"), ("neuron/dependency.order/api", "warn")}
    assert code == 0
    message = next(f["message"] for f in report["findings"] if f["id"] == "web/dependency.order/api")
    assert "ignores depends_on" in message


def test_a_dev_only_port_must_not_be_published_in_production(start_stack):
    """`5432 (dev only, not exposed in production)`: fine in development, drift when the stack is production."""
    stack = start_stack()
    code, report = check_json(stack, "--environment", "production")
    assert code == 1
    assert report["target"]["environment"] == "production"
    drift = {(f["id"], f["status"], f["observed"]) for f in report["findings"] if f["status"] != "pass"}
    assert {(id_, status) for id_, status, _ in drift} == {("postgres/port.exposure/5432", "fail")}
    observed = next(observed for _, _, observed in drift)  # plus [::]:port where the Engine binds IPv6 too
    assert observed.startswith(f"published on 0.0.0.0:{stack.ports[5432]}")
    published = [f["id"] for f in report["findings"] if f["id"].startswith("postgres/port.published")]
    assert published == []


def test_a_full_check_changes_nothing_it_looks_at(start_stack):
    """Read-only by construction: the containers and the database are the same before and after a run."""
    stack = start_stack()

    def state() -> tuple:
        containers = sorted((s["Id"], s["State"]["StartedAt"], s["RestartCount"], s["State"]["Status"])
                            for s in container_states(stack.project) if "verifier.probe" not in s["Config"]["Labels"])
        catalog = subprocess.run(
            ["docker", "exec", stack.container("postgres"), "psql", "-U", "app", "-d", "app", "-Atc",
             "select string_agg(datname, ',' order by datname) from pg_database union all "
             "select string_agg(rolname, ',' order by rolname) from pg_roles union all "
             "select string_agg(relname, ',' order by relname) from pg_class where relkind in ('r', 'v', 'S')"],
            capture_output=True, text=True, check=True).stdout
        return containers, catalog

    before = state()
    result = run_verifier("check", str(stack.document), "--project", stack.project, "--compose",
                          str(DEMO_COMPOSE), "--format", "json", env=stack.environment)
    assert result.returncode == 0, result.stdout[-2000:]
    assert state() == before


def test_a_paused_service_is_named_as_such_and_the_run_ends(start_stack):
    stack = start_stack()
    subprocess.run(["docker", "pause", stack.container("api")], check=True, capture_output=True)
    try:
        code, report = check_json(stack, "--timeout", "20")
    finally:
        subprocess.run(["docker", "unpause", stack.container("api")], capture_output=True)
    assert code == 1
    findings = {f["id"]: f for f in report["findings"]}
    assert (findings["api/container.running"]["status"], findings["api/container.running"]["observed"]) == (
        "fail", "paused")
    assert findings["api/http.health/GET /health"]["status"] == "skip"  # one failure, not ten


def test_a_service_cut_off_its_network_is_unreachable_for_its_dependents(start_stack):
    stack = start_stack()
    api = stack.container("api")
    network = f"{stack.project}_default"
    subprocess.run(["docker", "network", "disconnect", network, api], check=True, capture_output=True)
    code, report = check_json(stack, "--timeout", "20")
    assert code == 1
    findings = {f["id"]: f for f in report["findings"]}
    assert findings["web/dependency.reachable/api"]["status"] == "fail"
    assert findings["neuron/dependency.reachable/api"]["status"] == "fail"
    assert "api" in findings["web/dependency.reachable/api"]["message"]


def test_a_container_removed_while_the_run_waits_is_reported_missing(start_stack):
    """Removed in the middle of a --wait run: the next round sees it gone, and the run ends at its deadline."""
    import time

    stack = start_stack()
    document = stack.document.read_text().replace("  - APP_ENV: development", "  - APP_ENV: staging")
    stack.document.write_text(document)  # a drift that keeps it waiting, and that no crash ends early
    verifier = subprocess.Popen([sys.executable, "-m", "verifier", "check", str(stack.document), "--project",
                                 stack.project, "--wait", "12", "--format", "json"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=stack.environment)
    try:
        time.sleep(3)
        subprocess.run(["docker", "rm", "-f", stack.container("web")], check=True, capture_output=True)
        out, err = verifier.communicate(timeout=120)
    finally:
        verifier.kill()
    assert verifier.returncode == 1, err
    findings = {f["id"]: f for f in json.loads(out)["findings"]}
    assert (findings["web/service.missing"]["status"], findings["web/service.missing"]["observed"]) == (
        "fail", "no container")
    assert findings["web/container.running"]["status"] == "skip"


def test_postgres_out_of_connection_slots_is_rejecting_connections(start_stack):
    import psycopg

    stack = start_stack()
    held = []
    try:
        while len(held) < 300:  # PostgreSQL's default is 100
            try:
                held.append(psycopg.connect(host="127.0.0.1", port=stack.ports[5432], user="app", dbname="app",
                                            password=DEMO_SECRETS[0], connect_timeout=5))
            except psycopg.OperationalError as exc:
                assert "too many clients" in str(exc) or "connection slots" in str(exc), exc
                break
        code, report = check_json(stack, "--timeout", "20")
    finally:
        for connection in held:
            connection.close()
    ready = next(f for f in report["findings"] if f["id"] == "postgres/postgres.ready")
    assert (ready["status"], ready["observed"]) == ("fail", "rejecting connections")
    assert code == 1
