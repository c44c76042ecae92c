"""A new field of a control's result, or a new section beside the results, is an edit of the results
schema alone for results.json, the report's sections and the action plugin; a field the report should
show also needs the report's template, and the engine must return it: three files at most.

Tried for real on a copy of the collection and the CLI whose only change is the schema.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = Path("plugins/plugin_utils/schema/results-v2.json")
# The collection's code and the CLI's: everything a change to the evidence could touch.
CODE = ("plugins", "src")

# Run in the copy: an engine's results with the new field, a run with a record in the new section.
SCRIPT = r"""
import json, sys
from pathlib import Path
sys.path.insert(0, str(Path.cwd() / "tests"))
from evidence_samples import SampleRun
from landingzone.evidence import write_evidence
from landingzone.runner.events import EVIDENCE_SECTIONS
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.results_schema import SECTIONS

sample = SampleRun(unreachable=())
results = [dict(result, exposure="internet", undeclared="dropped") for result in sample.results()]
run = sample.run()
run["mail"] = {"gem-app1": [{"relay": "smtp1", "tls_ok": True, "verdict": "fail"}]}
files = write_evidence(Path(sys.argv[1]), run, results)
print(json.dumps({
    "document": json.loads(files["results"].read_text()),
    "report": files["report"].read_text(),
    "sections": list(SECTIONS),
    "runner_sections": list(EVIDENCE_SECTIONS),
}))
"""


def tree_digests(root: Path, parts: tuple[str, ...]) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for part in parts
        for path in sorted((root / part).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_a_new_result_field_and_a_new_section_are_a_schema_edit(tmp_path):
    copy = tmp_path / "checkout"
    for part in CODE:
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "evidence_samples.py", copy / "tests")
    for path in (ROOT / "roles").glob("*/controls"):
        shutil.copytree(path, copy / path.relative_to(ROOT))  # the samples' catalog
    (copy / "collections" / "ansible_collections" / "cyberveilig").mkdir(parents=True)
    (copy / "collections" / "ansible_collections" / "cyberveilig" / "landingzone").symlink_to(copy)

    schema = json.loads((copy / SCHEMA).read_text())
    schema["properties"]["results"]["items"]["properties"]["exposure"] = {"enum": ["internet", "internal"]}
    schema["properties"]["mail"] = {"$ref": "#/$defs/host_records", "title": "Mail relays"}
    (copy / SCHEMA).write_text(json.dumps(schema, indent=2))
    before, after = tree_digests(ROOT, CODE), tree_digests(copy, CODE)
    assert set(before) == set(after)
    assert {name for name in after if after[name] != before[name]} == {SCHEMA.as_posix()}

    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = f"{copy / 'src'}{os.pathsep}{copy / 'collections'}"
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "run")],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    out = json.loads(completed.stdout)
    document = out["document"]
    assert {result["exposure"] for result in document["results"]} == {"internet"}
    assert not any("undeclared" in result for result in document["results"])
    assert document["mail"] == {"gem-app1": [{"relay": "smtp1", "tls_ok": True, "verdict": "fail"}]}
    assert out["sections"][-1] == out["runner_sections"][-1] == "mail"
    assert '<section id="mail" class=alert><h2>Mail relays (1 need attention)</h2>' in out["report"]
