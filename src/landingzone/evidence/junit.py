"""junit.xml: every control on every host as a test case, so CI tools show the run like a test run.

fail becomes <failure>, error <error>, waived and not_applicable <skipped> with the reason. A
host that was not reached (or whose run broke) gets one <error> case of its own: otherwise a
run that reached nothing would look green.
"""

import json
import re
import xml.etree.ElementTree as ET

from landingzone.evidence.references import labelled_references

# Characters XML 1.0 cannot carry at all; command output in evidence sometimes has them.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
HOST_CASE = "host reachable and run completed"


def _text(value) -> str:
    if not isinstance(value, str):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return _NOT_XML.sub("\ufffd", value)


def _properties(case: ET.Element, result: dict) -> None:
    """The control's level and references as test case properties, which CI tools show beside the case."""
    named = [("level", f"{result['level']} (CyFun {result.get('cyfun_edition') or 2023})")]
    named += [(label, ", ".join(ids)) for label, ids in labelled_references(result)]
    properties = ET.SubElement(case, "properties")
    for name, value in named:
        ET.SubElement(properties, "property", name=name, value=_text(value))


def _suite(document: dict, host: str) -> ET.Element:
    municipality = document["municipality"]["name"]
    # A host's name comes from the inventory: it passes through _text like any other value.
    suite = ET.Element("testsuite", name=_text(f"{municipality}/{host}"))
    tally = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    state = document["hosts"][host]
    if not state["reachable"] or state["failed"]:
        case = ET.SubElement(suite, "testcase", classname=_text(f"{municipality}.{host}"), name=HOST_CASE)
        what = "not reached" if not state["reachable"] else "run failed"
        ET.SubElement(case, "error", message=_text(f"{what}: {state['message']}"), type=what)
        tally["tests"] += 1
        tally["errors"] += 1
    for result in (r for r in document["results"] if r["host"] == host):
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_text(f"{municipality}.{host}"),
            name=_text(f"{result['control']} {result['title']}"),
            timestamp=result["timestamp"],
        )
        tally["tests"] += 1
        _properties(case, result)
        status = result["status"]
        if status == "fail":
            element = ET.SubElement(case, "failure", message=_text(result["reason"] or "control not met"), type=status)
            element.text = _text(result["evidence"])
            tally["failures"] += 1
        elif status == "error":
            element = ET.SubElement(case, "error", message=_text(result["reason"] or "control could not be checked"))
            element.text = _text(result["evidence"])
            tally["errors"] += 1
        elif status in ("waived", "not_applicable"):
            ET.SubElement(case, "skipped", message=_text(result["reason"] or status))
            tally["skipped"] += 1
        elif status == "fixed":
            ET.SubElement(case, "system-out").text = _text(f"fixed in this run: {result['reason']}".rstrip(": "))
    for key, value in tally.items():
        suite.set(key, str(value))
    return suite


def render_junit(document: dict) -> bytes:
    root = ET.Element("testsuites", name=f"landingzone {document['run']['kind']} {document['run']['ident']}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for host in sorted(document["hosts"]):
        suite = _suite(document, host)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
