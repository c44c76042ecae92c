"""Hostile strings in the evidence: results.json, junit.xml and report.html of a run whose card,
inventory and hosts said something hostile. Each file is parsed with a real parser (json,
the XML parser, the HTML parser of the standard library) and must keep its structure, with
the value read back byte for byte; XML, which cannot hold a NUL at all, carries U+FFFD there."""

import json
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from landingzone.evidence.document import build_document
from landingzone.evidence.renderer import JUNIT_FILE, REPORT_FILE, rendered_files

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]
from evidence_samples import SampleRun  # noqa: E402
from hostile_strings import HOSTILE, inert  # noqa: E402


class _Structure(HTMLParser):
    """An HTML page as the browser's tokenizer sees it: tags with their attributes, and text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.items.append(("start", tag, tuple(attrs)))

    def handle_endtag(self, tag):
        self.items.append(("end", tag))

    def handle_data(self, data):
        if self.items and self.items[-1][0] == "text":
            self.items[-1] = ("text", self.items[-1][1] + data)
        else:
            self.items.append(("text", data))

    def handle_comment(self, data):
        self.items.append(("comment", data))


def html_structure(text: str) -> list[tuple]:
    parser = _Structure()
    parser.feed(text)
    parser.close()
    return parser.items


def xml_structure(text: str) -> list[tuple]:
    return [
        (element.tag, tuple(sorted(element.attrib.items())), element.text) for element in ET.fromstring(text).iter()
    ]


PARSERS = {
    "results.json": lambda files: json.loads(files["results.json"]),
    JUNIT_FILE: lambda files: xml_structure(files[JUNIT_FILE].decode()),
    REPORT_FILE: lambda files: html_structure(files[REPORT_FILE].decode()),
}


def evidence_files(place: str, value: str) -> dict[str, bytes]:
    """The evidence of a sample run with ``value`` at ``place``."""
    host = value if place == "host name" else "gem-app1"
    sample = SampleRun(controls=6, hosts=(host,), unreachable=("gem-backup1",))
    run, results = sample.run(), sample.results()
    if place == "display name":
        run["municipality"]["display_name"] = value
    elif place == "unreachable host's message":
        run["hosts"]["gem-backup1"]["message"] = value
    elif place == "failing control's reason":
        next(r for r in results if r["status"] == "fail")["reason"] = value
    elif place == "failing control's evidence":
        next(r for r in results if r["status"] == "fail")["evidence"] = {"found": value}
    elif place == "waiver justification":
        next(r for r in results if r.get("waiver"))["waiver"]["justification"] = value
    elif place == "waiver approver":
        next(r for r in results if r.get("waiver"))["waiver"]["approver"] = value
    document = build_document(run, results)
    return {"results.json": json.dumps(document).encode(), **rendered_files(document)}


# Where each place shows: the report shows no control's raw evidence, junit.xml no waiver.
REACHES = {
    "host name": ("results.json", JUNIT_FILE, REPORT_FILE),
    "display name": ("results.json", REPORT_FILE),
    "unreachable host's message": ("results.json", JUNIT_FILE, REPORT_FILE),
    "failing control's reason": ("results.json", JUNIT_FILE, REPORT_FILE),
    "failing control's evidence": ("results.json", JUNIT_FILE),
    "waiver justification": ("results.json", REPORT_FILE),
    "waiver approver": ("results.json", REPORT_FILE),
}


def expected_text(place: str, artefact: str, value: str) -> str | None:
    """What the file carries: the value, but for two encodings nested in it."""
    if artefact == JUNIT_FILE and place == "failing control's evidence":
        # junit.xml holds the evidence as JSON text: the value as a JSON string's inside.
        return json.dumps(value, ensure_ascii=False)[1:-1]
    if artefact == JUNIT_FILE:
        # XML 1.0 has no NUL at all, not even escaped: junit.xml says U+FFFD there.
        return value.replace("\x00", "\ufffd")
    return None


@pytest.mark.parametrize(
    ("place", "artefact"), [(place, artefact) for place, artefacts in REACHES.items() for artefact in artefacts]
)
@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_value_stays_data_in_the_evidence(place, artefact, kind):
    value = HOSTILE[kind]
    rendered = {}

    def render(text):
        rendered[text] = evidence_files(place, text)
        return text

    def parse(text):
        return PARSERS[artefact](rendered[text])

    assert inert(render, parse, value, expected=expected_text(place, artefact, value)) == "carried"
