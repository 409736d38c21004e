"""Facts seen from inside a service's own network namespace, gathered before the probes run.

One short-lived probe container per service joins the target's namespace
(`network_mode: container:<id>`) and runs a small Python script that connects, resolves
and requests; the target image needs nothing, not even a shell. Where the probe image is
missing, `docker exec` runs the same script with the target's own python3, if it has one.
`--no-exec` forbids both: the checks that need these facts are then skipped with the reason.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType

from verifier.plan import Check, HttpTarget, ListenTarget, Plan, ReachTarget
from verifier.stack import ContainerState, NetRequest, NetResult, NetworkFacts, Stack

DEFAULT_PROBE_IMAGE = "verifier-probe:1"
REQUEST_TIMEOUT = 2.0

# Runs inside the probe container (or the target, through exec): standard library only.
SCRIPT = r"""
import json, socket, sys, time, urllib.error, urllib.request
out = []
for r in json.loads(sys.argv[1]):
    started = time.monotonic()
    try:
        if r["kind"] == "tcp":
            socket.create_connection((r["host"], r["port"]), timeout=r["timeout"]).close()
            result = {"ok": True, "detail": "connected"}
        else:
            request = urllib.request.Request("http://%s:%d%s" % (r["host"], r["port"], r["path"]), method=r["method"])
            try:
                response = urllib.request.urlopen(request, timeout=r["timeout"])
            except urllib.error.HTTPError as error:
                response = error
            result = {"ok": True, "status": response.status if hasattr(response, "status") else response.code,
                      "body": response.read(65536).decode("utf-8", "replace")}
    except OSError as error:
        result = {"ok": False, "detail": "%s: %s" % (type(error).__name__, error)}
    result["ms"] = (time.monotonic() - started) * 1000
    out.append(result)
print(json.dumps(out))
"""


@dataclass(frozen=True)
class InNetworkSettings:
    allowed: bool = True  # False with --no-exec
    probe_image: str = DEFAULT_PROBE_IMAGE


def request_for(check: Check, stack: Stack) -> NetRequest | None:
    target = check.target
    if isinstance(target, ListenTarget):
        return NetRequest("tcp", "127.0.0.1", target.container_port)
    if isinstance(target, ReachTarget):
        return NetRequest("tcp", target.host, target.port)
    if isinstance(target, HttpTarget) and stack.published_endpoint(check.runs_as, target.container_port) is None:
        return NetRequest("http", "127.0.0.1", target.container_port, target.path, target.method)
    return None


def gather(plan: Plan, stack: Stack, settings: InNetworkSettings) -> Stack:
    """The snapshot with each service's in-network facts added: one container or exec per service."""
    wanted: dict[str, set[NetRequest]] = {}
    for check in plan.checks:
        request = request_for(check, stack)
        if request is not None:
            wanted.setdefault(check.runs_as, set()).add(request)
    if not wanted:
        return stack
    if not settings.allowed:
        facts = {s: NetworkFacts("", unavailable="--no-exec forbids running anything beside or in the containers")
                 for s in wanted}
        return stack.with_network(facts)
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="innet") as pool:
        futures = {service: pool.submit(_service_facts, stack, service, sorted(requests, key=repr), settings)
                   for service, requests in wanted.items()}
        return stack.with_network({service: future.result() for service, future in futures.items()})


def _service_facts(stack: Stack, service: str, requests: list[NetRequest], settings: InNetworkSettings) -> NetworkFacts:
    running = [c for c in stack.containers(service) if c.status == "running"]
    if not running:
        return NetworkFacts("", unavailable=f"no running container of '{service}' to look from")
    import docker  # only when in-network facts are wanted
    from docker.errors import APIError, DockerException, ImageNotFound

    payload = json.dumps([{"kind": r.kind, "host": r.host, "port": r.port, "path": r.path, "method": r.method,
                           "timeout": REQUEST_TIMEOUT} for r in requests])
    client = docker.from_env(timeout=30)
    try:
        try:
            client.images.get(settings.probe_image)
            output = client.containers.run(settings.probe_image, ["python3", "-c", SCRIPT, payload],
                                           network_mode=f"container:{running[0].id}", remove=True,
                                           stdout=True, stderr=False, labels={"verifier.probe": stack.project})
            method = "probe container"
        except ImageNotFound:
            output = _exec(running[0], client, payload)
            method = "docker exec"
            if output is None:
                return NetworkFacts("", unavailable=f"the probe image {settings.probe_image} is not on the Engine "
                                                    f"and {running[0].name} has no python3 to run the probe")
        results = json.loads(output.decode() if isinstance(output, bytes) else output)
    except (APIError, DockerException, ValueError) as exc:
        return NetworkFacts("", unavailable=f"the in-network probe could not run ({type(exc).__name__})")
    finally:
        client.close()
    return NetworkFacts(method, MappingProxyType({
        request: NetResult(r.get("ok", False), r.get("detail", ""), r.get("status"), r.get("body", ""), r.get("ms", 0.0))
        for request, r in zip(requests, results)}))


def _exec(container: ContainerState, client: object, payload: str) -> bytes | None:
    result = client.containers.get(container.id).exec_run(["python3", "-c", SCRIPT, payload], stdout=True,
                                                           stderr=False)
    return result.output if result.exit_code == 0 else None


