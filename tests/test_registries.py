"""Every extension point has one registry, and each registry is complete."""
import pkgutil

import probes
import reports
from probes import PROBES
from reports import RENDERERS
from tests.conftest import DEMO_DOCUMENT
from verifier.cli import build_parser
from verifier.document import read_document
from verifier.plan import build_plan


def test_every_probe_module_is_registered_once():
    modules = {m.name for m in pkgutil.iter_modules(probes.__path__) if not m.name.startswith("_")}
    registered = {fn.__module__.rsplit(".", 1)[-1] for fn in PROBES.values()}
    assert registered == modules
    assert len(set(PROBES.values())) == len(PROBES)


def test_every_planned_check_kind_has_a_probe():
    kinds = {check.kind for check in build_plan(read_document(DEMO_DOCUMENT)).checks}
    assert kinds <= set(PROBES)


def test_every_report_module_is_a_format_the_cli_offers():
    modules = {m.name for m in pkgutil.iter_modules(reports.__path__) if not m.name.startswith("_")}
    assert {fn.__module__.rsplit(".", 1)[-1] for fn in RENDERERS.values()} == modules
    help_text = build_parser()._subparsers._group_actions[0].choices["check"].format_help()
    for name in RENDERERS:
        assert name in help_text
