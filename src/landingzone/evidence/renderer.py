"""The files a run's results.json renders to, and which code rendered them.

`evidence verify` renders a run again and compares the bytes. That comparison means something
only with the code that rendered the run, so report.html names its renderer: a sha256 over the
source of report.py, junit.py and every module of this package they import, directly or not.
"""

import ast
import hashlib
from functools import cache
from importlib import resources

from landingzone.evidence.junit import render_junit
from landingzone.evidence.report import render_report

PACKAGE = "landingzone.evidence"
ENTRY_MODULES = ("report", "junit")
JUNIT_FILE = "junit.xml"
REPORT_FILE = "report.html"


def _source(module: str) -> str:
    return resources.files(PACKAGE).joinpath(f"{module}.py").read_text(encoding="utf-8")


def _imported(module: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(_source(module))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE + "."):
            names.add(node.module.removeprefix(PACKAGE + "."))
        elif isinstance(node, ast.Import):
            names.update(a.name.removeprefix(PACKAGE + ".") for a in node.names if a.name.startswith(PACKAGE + "."))
    return names


def renderer_modules() -> list[str]:
    seen: set[str] = set()
    todo = list(ENTRY_MODULES)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_imported(module))
    return sorted(seen)


@cache
def renderer_id() -> str:
    digest = hashlib.sha256()
    for module in renderer_modules():
        digest.update(f"{module}\0{_source(module)}\0".encode())
    return digest.hexdigest()


def rendered_files(document: dict) -> dict[str, bytes]:
    """{file name: bytes} of what a results.json document renders to, by this code."""
    return {
        JUNIT_FILE: render_junit(document),
        REPORT_FILE: render_report(document, renderer_id()).encode("utf-8"),
    }
