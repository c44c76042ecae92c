"""The generated files are up to date, and the generators work for any role."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tools"))

import catalog_docs  # noqa: E402
import role_docs  # noqa: E402


def run(tool, *args):
    return subprocess.run(
        [sys.executable, str(REPO / "tools" / tool), *args], cwd=REPO, capture_output=True, text=True, check=False
    )


ROLES = sorted(str(p.parent.parent.relative_to(REPO)) for p in (REPO / "roles").glob("*/meta/argument_specs.yml"))


def test_every_roles_defaults_and_readme_are_generated_from_argument_specs():
    assert "roles/linux_baseline" in ROLES and "roles/log_collector" in ROLES
    result = run("role_docs.py", "--check", *ROLES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_controls_page_is_generated_from_the_catalog():
    result = run("catalog_docs.py", "--check", "roles/linux_baseline")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_cyfun_coverage_table_is_generated_from_the_catalogs_and_lists():
    result = run("cyfun_coverage.py", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_anssi_coverage_table_is_generated_from_the_catalogs_and_lists():
    result = run("anssi_coverage.py", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_defaults_declare_exactly_the_argument_spec_options():
    spec = role_docs.load_spec(REPO / "roles" / "linux_baseline")
    defaults = yaml.safe_load((REPO / "roles" / "linux_baseline" / "defaults" / "main.yml").read_text())
    with_default = {name: option["default"] for name, option in spec["options"].items() if "default" in option}
    assert defaults == with_default
    assert list(defaults) == list(with_default)


def make_role(tmp_path, readme=None):
    role = tmp_path / "roles" / "demo"
    (role / "meta").mkdir(parents=True)
    spec = {
        "argument_specs": {
            "main": {
                "short_description": "A demo role.",
                "options": {
                    "demo_port": {"type": "int", "default": 8080, "description": "Port | with a pipe."},
                    "demo_mode": {"type": "str", "default": "on", "choices": ["on", "off"], "description": "Mode."},
                    "demo_hosts": {"type": "list", "elements": "str", "default": ["a", "b"], "description": "Hosts."},
                    "demo_secret": {"type": "str", "no_log": True, "required": True, "description": "A secret."},
                    "demo_shared": {"type": "list", "description": "Set by other roles."},
                },
            }
        }
    }
    (role / "meta" / "argument_specs.yml").write_text(yaml.safe_dump(spec))
    if readme is not None:
        (role / "README.md").write_text(readme)
    return role


def test_role_docs_works_for_any_role_and_check_sees_drift(tmp_path):
    role = make_role(tmp_path, readme="# demo\n\nHand-written intro.\n")
    assert role_docs.main(["--check", str(role)]) == 1
    assert role_docs.main([str(role)]) == 0
    assert role_docs.main(["--check", str(role)]) == 0

    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text())
    assert defaults == {"demo_port": 8080, "demo_mode": "on", "demo_hosts": ["a", "b"]}
    defaults_text = (role / "defaults" / "main.yml").read_text()
    assert "# demo_secret: required, no default" in defaults_text
    assert "Secret: set it from the vault" in defaults_text
    assert "# demo_shared: optional, unset by default" in defaults_text

    readme = (role / "README.md").read_text()
    assert readme.startswith("# demo\n\nHand-written intro.\n")
    assert "| `demo_port` | int | `8080` |  | Port \\| with a pipe. |" in readme
    assert "**Secret**" in readme

    (role / "README.md").write_text(readme.replace("Port \\| with a pipe.", "stale"))
    assert role_docs.main(["--check", str(role)]) == 1
    role_docs.main([str(role)])
    assert (role / "README.md").read_text() == readme


def test_role_docs_creates_a_missing_readme(tmp_path):
    role = make_role(tmp_path)
    role_docs.main([str(role)])
    assert (role / "README.md").read_text().startswith("# demo\n\nA demo role.\n")


def test_catalog_docs_works_for_any_role_and_check_sees_drift(tmp_path):
    role = tmp_path / "roles" / "demo"
    (role / "controls").mkdir(parents=True)
    control = {
        "id": "LZ-DEMO-001", "title": "A | title", "rationale": "r", "level": "important", "level_2025": "basic",
        "cyfun": ["PR.AC-1.1"], "cyfun_2025": ["PR.AA-01.1"], "cis": [], "applies_to": ["server"], "risk": "low",
        "type": "sysctl", "params": {"key": "a", "value": 1},
    }  # fmt: skip
    (role / "controls" / "demo.yml").write_text(yaml.safe_dump({"demo": [control]}))
    assert catalog_docs.main(["--check", str(role)]) == 1
    assert catalog_docs.main([str(role)]) == 0
    assert catalog_docs.main(["--check", str(role)]) == 0
    page = (tmp_path / "docs" / "controls" / "demo.md").read_text()
    assert "| LZ-DEMO-001 | A \\| title | important | basic | PR.AC-1.1 | PR.AA-01.1 | sysctl | low | server |" in page
    assert "| [demo](#demo) | 0 | 1 | 0 | 1 | 0 | 0 | 1 |" in page
