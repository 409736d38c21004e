"""One in-network look per view of the network: services on the same networks share it, a service on
another network or in another's namespace gets its own, and ports are asked for as peers reach them."""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT, fixture_project

FIXTURE = ROOT / "compose-fixtures" / "network-views"


@pytest.fixture(scope="module")
def findings() -> Iterator[dict[str, dict]]:
    with fixture_project(FIXTURE, "vt") as (project, _):
        result = subprocess.run([sys.executable, "-m", "verifier", "check", str(FIXTURE / "deployment-architecture.md"),
                                 "-p", project, "--format", "json"], capture_output=True, text=True, cwd=ROOT,
                                timeout=120)
        assert result.returncode == 1, result.stderr
        yield {f["id"]: f for f in json.loads(result.stdout)["findings"]}


def test_the_drifts_are_the_ones_built_in(findings):
    assert {(i, f["layer"], f["status"]) for i, f in findings.items() if f["status"] != "pass"} == {
        ("beta/port.listening/9002", "live", "fail"),
        ("gamma/dependency.reachable/alpha", "live", "fail"),
        ("gamma/dependency.network/alpha", "compose", "fail"),
        ("delta/container.outdated", "live", "skip")}


def test_services_on_the_same_networks_share_one_look(findings):
    assert "(docker exec in alpha)" in findings["alpha/port.listening/9001"]["message"]
    assert "(docker exec in alpha, on the same networks as beta)" in findings["beta/port.listening/9002"]["message"]


def test_a_server_bound_to_loopback_fails_as_its_peers_see_it(findings):
    message = findings["beta/port.listening/9002"]["message"]
    assert "beta's address on its network" in message and "ConnectionRefusedError" in message
    assert "bound to 127.0.0.1" in message


def test_a_service_on_another_network_is_looked_at_from_itself(findings):
    reach = findings["gamma/dependency.reachable/alpha"]
    assert reach["observed"] == "does not resolve" and "(docker exec in gamma)" in reach["message"]
    assert "(docker exec in gamma)" in findings["gamma/port.listening/9004"]["message"]


def test_a_service_in_another_namespace_is_looked_at_from_itself(findings):
    listening = findings["delta/port.listening/9003"]
    assert listening["status"] == "pass" and "127.0.0.1:9003" in listening["message"]
    assert "(docker exec in delta)" in listening["message"]
    # network_mode: service:alpha joins alpha's networks, so the compose layer sees them shared
    assert findings["delta/dependency.network/alpha"]["status"] == "pass"
    assert findings["delta/dependency.reachable/alpha"]["status"] == "pass"
    assert "another container's network namespace" in findings["delta/container.outdated"]["message"]
