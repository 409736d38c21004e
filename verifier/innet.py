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

import functools
import json
import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from verifier.checks import Check, HttpTarget, ListenTarget, Plan, ReachTarget
from verifier.read_only_http import refusal
from verifier.stack import ContainerState, NetRequest, NetResult, NetworkFacts, Stack

if TYPE_CHECKING:
    from docker import DockerClient

DEFAULT_PROBE_IMAGE = "verifier-probe:1"
REQUEST_TIMEOUT = 2.0
EXEC_MEMORY_FLOOR = 256 * 1024 * 1024
PROBE_LABEL = "verifier.probe"  # on every probe container: the project it looked into
RUN_LABEL = "verifier.run"  # and this process's RUN_ID, so that an interrupted run can find what it left
RUN_ID = uuid.uuid4().hex
PROBE_CONTAINER_GRACE = 5.0  # past the look's own deadline, for the container to start and stop
_CREATING = threading.Lock()  # held while a probe container is created, so that clean-up sees every one
_lifecycle = {"started": False, "closing": False}
_CLIENT_LOCK = threading.Lock()
_shared: dict[str, DockerClient | None] = {"client": None}

_BARE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")  # one DNS label, as Compose service names are
OUTPUT_LIMIT = 4 * 1024 * 1024  # of a look's answer: a few hundred short results, never bodies

# Runs inside the probe container (or the target, through exec), after read_only_http's own source, so
# that every request made inside the stack follows the same policy as those made from this machine.
# Standard library only. At the look's deadline it prints what has arrived and ends itself: a hung
# resolver or a server that never answers cannot keep a process running in someone's container.
_DRIVER = r"""
import json, os, sys, threading
asked, workers, budget = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
out = [None] * len(asked)
printing = threading.Lock()
def report():
    with printing:
        late = {"ok": False, "detail": "no answer before the look's deadline"}
        sys.stdout.write(json.dumps([r if r is not None else late for r in out]))
        sys.stdout.flush()
        os._exit(0)
def ask(r):
    started = time.monotonic()
    try:
        if r["kind"] == "tcp":
            socket.create_connection((r["host"], r["port"]), timeout=r["timeout"]).close()
            result = {"ok": True, "detail": "connected"}
        else:
            needle = r["body_contains"]
            answer = fetch(r["host"], r["port"], r["path"], r["method"], r["timeout"], bool(needle))
            found = bool(needle) and needle in answer.body.decode("utf-8", "replace")
            result = {"ok": True, "status": answer.status, "body_found": found}
    except NotSent as error:
        result = {"ok": False, "detail": "not sent: %s" % error}
    except (OSError, NotHttp) as error:
        result = {"ok": False, "detail": ("%s: %s" % (type(error).__name__, error))[:300]}
    except Exception as error:  # whatever one hostile answer causes stays that request's own
        result = {"ok": False, "unusable": True, "detail": ("%s: %s" % (type(error).__name__, error))[:300]}
    result["ms"] = (time.monotonic() - started) * 1000
    return result
def work(first):
    for i in range(first, len(asked), workers):
        out[i] = ask(asked[i])
watchdog = threading.Timer(budget, report)
watchdog.daemon = True
watchdog.start()
threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(min(workers, len(asked)))]
for t in threads: t.start()
for t in threads: t.join()
report()
"""


@functools.cache
def script() -> str:
    """The program a look runs: the request policy's own module, then the driver."""
    from verifier import read_only_http

    return Path(read_only_http.__file__).read_text(encoding="utf-8") + _DRIVER


@dataclass(frozen=True)
class InNetworkSettings:
    allowed: bool = True  # False with --no-exec
    probe_image: str = DEFAULT_PROBE_IMAGE
    workers: int = 16  # looks at once, and requests at once inside each look
    look_seconds: float = 20.0  # a look's process ends itself by then, with what it has


def request_for(check: Check, stack: Stack) -> NetRequest | None:
    """The request a check's finding rests on, when it must be made from inside the stack's networks
    and may be (see refusal_for)."""
    if refusal_for(check, stack) is not None:
        return None
    target = check.target
    if isinstance(target, ListenTarget):
        return NetRequest("tcp", _address(stack, check.runs_as), target.container_port)
    if isinstance(target, ReachTarget):
        return NetRequest("tcp", target.host, target.port)
    if isinstance(target, HttpTarget) and stack.published_endpoint(check.runs_as, target.container_port) is None:
        return NetRequest("http", _address(stack, check.runs_as), target.container_port, target.path,
                          target.method, target.body_contains or "")
    return None


def refusal_for(check: Check, stack: Stack) -> str | None:
    """Why the check's request is never made from inside the stack: a method that could change the
    service, or a host that can be none of the stack's containers (a document must not aim the verifier
    at a cloud metadata address or at any other host of the network the stack runs in)."""
    target = check.target
    if isinstance(target, HttpTarget):
        return refusal(target.method)
    if isinstance(target, ReachTarget) and not _may_connect(target.host, stack):
        return (f"{target.host} is not a container of project '{stack.project}': the verifier connects only "
                "to the stack's own containers")
    return None


def _may_connect(host: str, stack: Stack) -> bool:
    """The stack's own containers, and a documented service's name that is a bare name: it resolves, if at
    all, to a container on the dependent's networks, and a documented service that is not running must
    still fail its reach check. An address or a dotted name is another host unless the stack owns it."""
    return stack.owns(host) or (_BARE_NAME.fullmatch(host) is not None and not host.isdigit())


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


class _Unreadable(Exception):
    """A look's answer that cannot be used: the reason goes into the findings of every service it served."""


def _look_facts(look: _Look, project: str, settings: InNetworkSettings) -> NetworkFacts:
    from docker.errors import DockerException  # the Docker SDK only when in-network facts are wanted

    requests = sorted(look.requests, key=repr)
    vantage = look.vantage
    try:
        client = _client(settings.workers)
        results: list[NetResult] = []
        for chunk in _chunks(requests):
            payload = json.dumps([{"kind": r.kind, "host": r.host, "port": r.port, "path": r.path,
                                   "method": r.method, "body_contains": r.body_contains,
                                   "timeout": REQUEST_TIMEOUT} for r in chunk])
            arguments = [payload, str(settings.workers), f"{max(1.0, settings.look_seconds - 1):.1f}"]
            output, method = _look_from_inside(client, vantage, arguments, project, settings)
            if output is None and _lifecycle["closing"]:
                return NetworkFacts("", unavailable="the run was ending: no probe container was started")
            if output is None:
                return NetworkFacts("", unavailable=f"the probe image {settings.probe_image} is not on the Engine "
                                                    f"and {vantage.name} has no python3 to run the probe")
            results += read_results(output, len(chunk))
    except _Unreadable as exc:
        return NetworkFacts("", unavailable=f"the in-network probe's answer could not be read: {exc}")
    except (DockerException, OSError) as exc:  # OSError: the Engine's connection (requests' errors are OSErrors)
        return NetworkFacts("", unavailable=f"the in-network probe could not run ({type(exc).__name__})")
    return NetworkFacts(f"{method} {vantage.service}", MappingProxyType(dict(zip(requests, results))),
                        vantage=vantage.service)


def read_results(output: bytes, expected: int) -> list[NetResult]:
    """The look's answer, checked before use: one result per request, each of the shape the script
    writes. A result of any other shape is that request's own error, never another's."""
    try:
        answers = json.loads(output)
    except ValueError:
        raise _Unreadable("not JSON") from None
    if not isinstance(answers, list) or len(answers) != expected:
        raise _Unreadable(f"expected {expected} results")
    return [_result(answer) for answer in answers]


def _result(answer: Any) -> NetResult:
    if not isinstance(answer, dict):
        return NetResult(False, "the in-network probe gave no result for this request", unusable=True)
    ok, detail, status = answer.get("ok"), answer.get("detail", ""), answer.get("status")
    found, elapsed = answer.get("body_found", False), answer.get("ms", 0.0)
    well_formed = (isinstance(ok, bool) and isinstance(detail, str) and isinstance(found, bool)
                   and (status is None or (type(status) is int and 100 <= status <= 999))
                   and type(elapsed) in (int, float))
    if not well_formed:
        return NetResult(False, "the in-network probe's result for this request is malformed", unusable=True)
    return NetResult(ok, detail[:300], status, found, float(elapsed), unusable=answer.get("unusable") is True)


def bounded(chunks: Iterable[bytes], limit: int = OUTPUT_LIMIT) -> bytes:
    """A look's output, at most `limit` bytes: a process in someone else's container must not be able to
    fill this machine's memory."""
    collected = bytearray()
    for chunk in chunks:
        collected += chunk
        if len(collected) > limit:
            raise _Unreadable(f"longer than {limit // (1024 * 1024)} MiB")
    return bytes(collected)


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
        probe = client.containers.create(settings.probe_image, ["python3", "-I", "-S", "-c", script(), *arguments],
                                         network_mode=f"container:{container.id}",
                                         labels={PROBE_LABEL: project, RUN_LABEL: RUN_ID})
    try:
        probe.start()
        probe.wait(timeout=settings.look_seconds + PROBE_CONTAINER_GRACE)
        return bounded(probe.logs(stdout=True, stderr=False, stream=True)), "probe container beside"
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
        execution = api.exec_create(container.id, ["python3", "-I", "-S", "-c", script(), *arguments],
                                     stderr=False)
        output = bounded(api.exec_start(execution["Id"], stream=True))
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
