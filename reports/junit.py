"""JUnit XML, for a CI system's test tab: one testsuite per service, one testcase per check.

The testcase's name is the finding's stable id, so a CI system's history follows the same check
from run to run. A failed check is a `failure`, a check that could not run an `error`, a skipped
one `skipped` with the reason; a warning passes, with the warning in its `system-out`.

A CI system shows these texts in its logs and pages: every value is `plain` (verifier.sanitize),
its control characters shown as `\\x1b`, so it is well-formed XML 1.0 and no log command either.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TextIO

from reports._options import RenderOptions
from verifier.findings import Finding, Report, Status
from verifier.sanitize import line_start, plain, safe_report


def render(report: Report, stream: TextIO, options: RenderOptions = RenderOptions()) -> None:
    report = safe_report(report, plain)
    # testsuites takes no `skipped` count in the schema CI systems accept (Jenkins' junit-10.xsd)
    totals = {k: v for k, v in _counts(report.findings).items() if k != "skipped"}
    root = ET.Element("testsuites", name=f"verifier: {report.document_path}",
                      time=_seconds(report.duration_ms), **totals)
    for service, findings in _by_service(report.findings).items():
        suite = ET.SubElement(root, "testsuite", name=service, timestamp=report.started_at[:19],
                              time=_seconds(sum(f.duration_ms for f in findings)), **_counts(findings))
        properties = ET.SubElement(suite, "properties")
        for name, value in (("document", report.document_path), ("project", report.target.project),
                            ("environment", report.target.environment or "")):
            ET.SubElement(properties, "property", name=name, value=value)
        for finding in findings:
            _testcase(suite, report, finding)
    _make_safe(root)
    ET.indent(root)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(root, encoding="unicode"))
    stream.write("\n")


def _testcase(suite: ET.Element, report: Report, finding: Finding) -> None:
    line = f"{report.document_path}:{finding.source.line}" if finding.source else report.document_path
    case = ET.SubElement(suite, "testcase", name=finding.id, classname=f"{finding.layer}.{finding.service}",
                         time=_seconds(finding.duration_ms))
    # The message begins a line of the text: a CI log that prints it must not read a command there.
    details = (f"expected: {finding.expected}\nobserved: {finding.observed}\n{line_start(finding.message)}\n"
               f"document: {line}")
    if finding.status is Status.FAIL:
        ET.SubElement(case, "failure", message=_one_line(finding), type=finding.check).text = details
    elif finding.status is Status.ERROR:
        ET.SubElement(case, "error", message=_one_line(finding), type=finding.check).text = details
    elif finding.status is Status.SKIP:
        ET.SubElement(case, "skipped", message=finding.message)
    elif finding.status is Status.WARN:
        ET.SubElement(case, "system-out").text = f"WARNING: {details}"


# Characters XML 1.0 cannot hold at all, not even escaped: `plain` has shown every one of them already,
# so this is only the last guard of a well-formed file.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _make_safe(element: ET.Element) -> None:
    for node in element.iter():
        if node.text:
            node.text = _NOT_XML.sub("\ufffd", node.text)
        for name, value in node.attrib.items():
            node.attrib[name] = _NOT_XML.sub("\ufffd", value)


def _one_line(finding: Finding) -> str:
    return f"expected {finding.expected}, observed {finding.observed}"


def _counts(findings: tuple[Finding, ...] | list[Finding]) -> dict[str, str]:
    def count(status: Status) -> str:
        return str(sum(1 for f in findings if f.status is status))

    return {"tests": str(len(findings)), "failures": count(Status.FAIL), "errors": count(Status.ERROR),
            "skipped": count(Status.SKIP)}


def _by_service(findings: tuple[Finding, ...]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.service or "(document)", []).append(finding)
    return grouped


def _seconds(milliseconds: float) -> str:
    return f"{milliseconds / 1000:.3f}"
