"""Facts seen from inside the stack's networks: looked for as the probes start, read as they arrive.

A small Python script connects, resolves and requests from inside a container's network
namespace: with `docker exec` and the container's own python3 where it has one (and memory to
spare), else in a short-lived probe container that joins the namespace
(`network_mode: container:<id>`), so the target image needs nothing, not even a shell.

One look serves every service that sees the network alike: containers on the same networks,
told the same extra hosts, DNS servers and links, resolve and reach the same names and
addresses. So a stack on one network costs one exec, not one per service; a service's own
ports are asked for at its address on its network, as its peers reach it (which also catches
a server bound to loopback only). A container that shares another's namespace, or uses the
host's, is looked at from inside itself.
`--no-exec` forbids all of it: the checks that need these facts are then skipped with the reason.
"""
from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from verifier.checks import Check, HttpTarget, ListenTarget, Plan, ReachTarget
from verifier.stack import ContainerState, NetRequest, NetResult, NetworkFacts, Stack

if TYPE_CHECKING:
    from docker import DockerClient

DEFAULT_PROBE_IMAGE = "verifier-probe:1"
REQUEST_TIMEOUT = 2.0
EXEC_MEMORY_FLOOR = 256 * 1024 * 1024
PROBE_LABEL = "verifier.probe"  # on every probe container: the project it looked into
RUN_LABEL = "verifier.run"  # and this process's RUN_ID, so that an interrupted run can find what it left
RUN_ID = uuid.uuid4().hex
PROBE_CONTAINER_SECONDS = 30  # the script's own requests time out long before
_CREATING = threading.Lock()  # held while a probe container is created, so that clean-up sees every one
_lifecycle = {"started": False, "closing": False}
_CLIENT_LOCK = threading.Lock()
_shared: dict[str, DockerClient | None] = {"client": None}

# Runs inside the probe container (or the target, through exec): standard library only.
SCRIPT = r"""
import json, socket, sys, threading, time
asked, workers = json.loads(sys.argv[1]), int(sys.argv[2])
out = [None] * len(asked)
def ask(r):
    started = time.monotonic()
    try:
        if r["kind"] == "tcp":
            socket.create_connection((r["host"], r["port"]), timeout=r["timeout"]).close()
            result = {"ok": True, "detail": "connected"}
        else:
            import urllib.error, urllib.request
            host = "[%s]" % r["host"] if ":" in r["host"] else r["host"]
            request = urllib.request.Request("http://%s:%d%s" % (host, r["port"], r["path"]), method=r["method"])
            try:
                response = urllib.request.urlopen(request, timeout=r["timeout"])
            except urllib.error.HTTPError as error:
                response = error
            result = {"ok": True, "status": response.status if hasattr(response, "status") else response.code,
                      "body": response.read(65536).decode("utf-8", "replace")}
    except OSError as error:
        result = {"ok": False, "detail": "%s: %s" % (type(error).__name__, error)}
    result["ms"] = (time.monotonic() - started) * 1000
    return result
def work(first):
    for i in range(first, len(asked), workers):
        out[i] = ask(asked[i])
threads = [threading.Thread(target=work, args=(k,)) for k in range(min(workers, len(asked)))]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(out))
"""


@dataclass(frozen=True)
class InNetworkSettings:
    allowed: bool = True  # False with --no-exec
    probe_image: str = DEFAULT_PROBE_IMAGE
    workers: int = 16  # looks at once, and requests at once inside each look


def request_for(check: Check, stack: Stack) -> NetRequest | None:
    """The request a check's finding rests on, when it must be made from inside the stack's networks."""
    target = check.target
    if isinstance(target, ListenTarget):
        return NetRequest("tcp", _address(stack, check.runs_as), target.container_port)
    if isinstance(target, ReachTarget):
        return NetRequest("tcp", target.host, target.port)
    if isinstance(target, HttpTarget) and stack.published_endpoint(check.runs_as, target.container_port) is None:
        return NetRequest("http", _address(stack, check.runs_as), target.container_port, target.path, target.method)
    return None


def _address(stack: Stack, service: str) -> str:
    running = _first_running(stack, service)
    return running.address if running is not None else "127.0.0.1"


def _first_running(stack: Stack, service: str) -> ContainerState | None:
    return next((c for c in stack.containers(service) if c.status == "running"), None)


class PendingFacts(Mapping[str, NetworkFacts]):
    """Each service's in-network facts as they arrive: reading one waits for that service's look only,
    so the checks that look from the host run meanwhile."""

    def __init__(self, futures: Mapping[str, Future[NetworkFacts]]) -> None:
        self._futures = dict(futures)

    def __getitem__(self, service: str) -> NetworkFacts:
        return self._futures[service].result()

    def __contains__(self, service: object) -> bool:
        return service in self._futures

    def __iter__(self) -> Iterator[str]:
        return iter(self._futures)

    def __len__(self) -> int:
        return len(self._futures)


@dataclass
class _Look:
    """One exec (or probe container) in `vantage`, making the requests of every service that sees the
    network as it does."""

    vantage: ContainerState
    services: list[str]
    requests: set[NetRequest]


def gather(plan: Plan, stack: Stack, settings: InNetworkSettings) -> Stack:
    """The snapshot with the in-network facts to come: one look per view of the network, started now
    and read by the probes that need them."""
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
        return stack.with_network(MappingProxyType(facts))
    looks, futures = _plan_looks(stack, wanted)
    pool = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="innet")
    for look in looks:
        future = pool.submit(_look_facts, look, stack.project, settings)
        futures.update(dict.fromkeys(look.services, future))
    pool.shutdown(wait=False)  # the threads finish their look; nobody waits for them here
    return stack.with_network(PendingFacts(futures))


def _plan_looks(stack: Stack, wanted: Mapping[str, set[NetRequest]]) -> tuple[list[_Look], dict[str, Future[NetworkFacts]]]:
    """The looks to take, and the facts already known: those of services with no running container."""
    looks: dict[object, _Look] = {}
    known: dict[str, Future[NetworkFacts]] = {}
    for service in sorted(wanted):
        running = _first_running(stack, service)
        if running is None:
            known[service] = _done(NetworkFacts("", unavailable=f"no running container of '{service}' to look from"))
            continue
        view = running.network_view or ("itself", running.id)
        look = looks.setdefault(view, _Look(running, [], set()))
        look.services.append(service)
        look.requests |= wanted[service]
        if not _has_room(look.vantage) and _has_room(running):
            look.vantage = running
    return list(looks.values()), known


def _done(facts: NetworkFacts) -> Future[NetworkFacts]:
    future: Future[NetworkFacts] = Future()
    future.set_result(facts)
    return future


def _look_facts(look: _Look, project: str, settings: InNetworkSettings) -> NetworkFacts:
    from docker.errors import DockerException  # the Docker SDK only when in-network facts are wanted

    requests = sorted(look.requests, key=repr)
    vantage = look.vantage
    try:
        client = _client(settings.workers)
        results: list[dict] = []
        for chunk in _chunks(requests):
            payload = json.dumps([{"kind": r.kind, "host": r.host, "port": r.port, "path": r.path,
                                   "method": r.method, "timeout": REQUEST_TIMEOUT} for r in chunk])
            output, method = _look_from_inside(client, vantage, [payload, str(settings.workers)], project, settings)
            if output is None and _lifecycle["closing"]:
                return NetworkFacts("", unavailable="the run was ending: no probe container was started")
            if output is None:
                return NetworkFacts("", unavailable=f"the probe image {settings.probe_image} is not on the Engine "
                                                    f"and {vantage.name} has no python3 to run the probe")
            results += json.loads(output)
    except (DockerException, ValueError) as exc:
        return NetworkFacts("", unavailable=f"the in-network probe could not run ({type(exc).__name__})")
    return NetworkFacts(f"{method} {vantage.service}", MappingProxyType({
        request: NetResult(r.get("ok", False), r.get("detail", ""), r.get("status"), r.get("body", ""), r.get("ms", 0.0))
        for request, r in zip(requests, results)}), vantage=vantage.service)


def _chunks(requests: list[NetRequest], size: int = 300) -> Iterator[list[NetRequest]]:
    """A few hundred requests per look: the kernel caps one argument of an exec at 128 KiB."""
    for start in range(0, len(requests), size):
        yield requests[start:start + size]


def _client(workers: int) -> DockerClient:
    """One Engine client for every look of the run: its connection pool is shared by their threads (and
    holds a connection for each, or urllib3 warns on standard error)."""
    with _CLIENT_LOCK:
        if _shared["client"] is None:
            import docker

            _shared["client"] = docker.from_env(timeout=30, max_pool_size=max(workers, 1))  # closed at exit
        return _shared["client"]


def _look_from_inside(client: DockerClient, container: ContainerState, arguments: list[str], project: str,
                      settings: InNetworkSettings) -> tuple[bytes | None, str]:
    """The script's output and how it ran: with the container's own python3 where it has one and room
    to spare (an exec costs the Engine half what a container does), else in a probe container."""
    from docker.errors import ImageNotFound

    if _has_room(container):
        output = _exec(client, container, arguments)
        if output is not None:
            return output, "docker exec in"
    try:
        client.images.get(settings.probe_image)
    except ImageNotFound:
        return None, ""
    with _CREATING:
        if _lifecycle["closing"]:
            return None, ""
        _lifecycle["started"] = True
        probe = client.containers.create(settings.probe_image, ["python3", "-I", "-S", "-c", SCRIPT, *arguments],
                                         network_mode=f"container:{container.id}",
                                         labels={PROBE_LABEL: project, RUN_LABEL: RUN_ID})
    try:
        probe.start()
        probe.wait(timeout=PROBE_CONTAINER_SECONDS)
        return probe.logs(stdout=True, stderr=False), "probe container beside"
    finally:
        _remove_quietly(probe)


def _remove_quietly(probe: object) -> None:
    from docker.errors import DockerException

    try:
        probe.remove(force=True)
    except DockerException:
        pass  # already removed by the clean-up of an interrupted run, or the Engine is gone


def remove_probe_containers() -> int:
    """Removes the probe containers this process started that are still there (the run was interrupted
    or timed out while they ran); how many. Nothing to do, and no Engine call, when none was started."""
    with _CREATING:
        _lifecycle["closing"] = True
        if not _lifecycle["started"]:
            return 0
    import docker
    from docker.errors import APIError, DockerException, NotFound

    removed = 0
    try:
        client = docker.from_env(timeout=10)
        try:
            for container in client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={RUN_ID}"}):
                try:
                    container.remove(force=True)
                    removed += 1
                except (NotFound, APIError):  # being removed by its own thread meanwhile
                    pass
            _wait_until_gone(client)
        finally:
            client.close()
    except DockerException:
        pass  # the Engine went away: nothing can be removed, and the run's error already says why
    return removed


def _has_room(container: ContainerState) -> bool:
    """A Python process inside takes about 10 MiB of the container's memory limit: only where that cannot
    push the service towards its limit."""
    return container.memory_bytes is None or container.memory_bytes >= EXEC_MEMORY_FLOOR


def _exec(client: DockerClient, container: ContainerState, arguments: list[str]) -> bytes | None:
    """None when the container has no python3 (or the script failed in it)."""
    from docker.errors import APIError

    api = client.api  # by the id the snapshot has: no second inspect of the container
    try:
        execution = api.exec_create(container.id, ["python3", "-I", "-S", "-c", SCRIPT, *arguments],
                                     stderr=False)
        output = api.exec_start(execution["Id"])
        exit_code = api.exec_inspect(execution["Id"]).get("ExitCode")
    except APIError:  # the runtime could not start python3 at all
        return None
    return output if exit_code == 0 else None


def _wait_until_gone(client: DockerClient, seconds: float = 5.0) -> None:
    """Until no container of this run is listed (a removal in progress still is), or `seconds` pass."""
    import time

    give_up = time.monotonic() + seconds
    while client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={RUN_ID}"}):
        if time.monotonic() > give_up:
            return
        time.sleep(0.1)
