"""A loop prints each item as its label unless told otherwise: a loop over secrets must hide them.

Every task of every role and playbook that loops over a value naming a secret (a variable a
role declares ``no_log``, or one with a ``no_log`` field inside) sets ``no_log: true`` or a
``loop_control.label`` of its own. The check reads the task files as data, so it also holds for
roles added later.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
TASK_FILES = sorted([*ROOT.glob("roles/*/tasks/**/*.yml"), *ROOT.glob("playbooks/*.yml")])


def _holds_secret(option: dict) -> bool:
    if option.get("no_log"):
        return True
    fields = {**(option.get("options") or {}), **(option.get("suboptions") or {})}
    return any(_holds_secret(field) for field in fields.values())


def secret_variables() -> set[str]:
    names = set()
    for specs in ROOT.glob("roles/*/meta/argument_specs.yml"):
        for entry in yaml.safe_load(specs.read_text())["argument_specs"].values():
            names |= {name for name, option in (entry.get("options") or {}).items() if _holds_secret(option)}
    return names


SECRETS = secret_variables()


def tasks_of(items):
    """Every task of a task file or a playbook, blocks, handlers and plays opened."""
    for item in items or []:
        if not isinstance(item, dict):
            continue
        yield item
        for key in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks", "handlers"):
            yield from tasks_of(item.get(key))


def loops(path: Path):
    for task in tasks_of(yaml.safe_load(path.read_text())):
        keys = [key for key in task if key == "loop" or key.startswith("with_")]
        for key in keys:
            yield task, yaml.safe_dump(task[key])


def names_a_secret(text: str) -> set[str]:
    return {name for name in SECRETS if re.search(rf"\b{name}\b", text)}


def names_a_secret_free_label(task: dict) -> bool:
    """A label that names no secret, nor the whole item (which is what would be printed anyway)."""
    label = (task.get("loop_control") or {}).get("label")
    if label is None or re.fullmatch(r"\{\{\s*item\s*\}\}", str(label).strip()):
        return False
    return not names_a_secret(str(label))


def test_the_roles_declare_secrets():
    # Without declared secrets the check below would pass for nothing.
    assert {"citizen_portal_tls_key", "linux_baseline_breakglass_password_hash", "backup_server_clients"} <= SECRETS


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_loop_prints_a_secret(path):
    leaks = [
        f"{task.get('name', '(unnamed)')}: loops over {sorted(secrets)}"
        for task, items in loops(path)
        if (secrets := names_a_secret(items)) and task.get("no_log") is not True and not names_a_secret_free_label(task)
    ]
    assert not leaks, leaks


def test_the_check_finds_a_loop_that_prints_a_secret(tmp_path):
    """The check itself: a loop over the portal's key, without and with a label."""
    task = {
        "name": "Install the keys",
        "ansible.builtin.copy": {"content": "{{ item }}", "dest": "/tmp/x"},
        "loop": ["{{ citizen_portal_tls_key }}"],
    }
    path = tmp_path / "tasks.yml"
    path.write_text(yaml.safe_dump([task]))
    [(found, items)] = loops(path)
    assert names_a_secret(items) == {"citizen_portal_tls_key"}
    assert not names_a_secret_free_label(found)
    found["loop_control"] = {"label": "portal.key"}
    assert names_a_secret_free_label(found)
    for label in ("{{ citizen_portal_tls_key }}", "{{ item }}"):
        found["loop_control"] = {"label": label}
        assert not names_a_secret_free_label(found), label


def test_loops_over_secrets_are_found_in_the_roles():
    # The roles do loop over secrets (hidden): the check sees them.
    found = [task["name"] for path in TASK_FILES for task, items in loops(path) if names_a_secret(items)]
    assert found, "no loop over a secret found: the check would pass for nothing"
