"""The Linux action plugin reads the role's catalog from its directory (catalog_dir), selects this
host's controls and renders only their templates, with the task's variables and a real Templar.

A control this host does not run may hold a template that fails here (the log collector's address
where the card names none): it must never be rendered. The connection is a fake (see
test_action_confirm.py); the last test runs the real plugin's selection in ansible-playbook, for
hosts of every kind, against the selection the role made before with the select_controls filter.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from linux_baseline_hosts import HOSTS, PLAY_ON_HOSTS, run_playbook
from test_action_catalog import make as make_control
from test_action_confirm import FakeConnection, run_action

HASH = "$6$rounds=656000$saltsaltsalt$not-a-real-hash-but-secret-all-the-same"


def make(control_id, level="basic", ctype="sshd_option", params=None, **extra):
    """A control of test_action_catalog's shape, with the fields it lacks (configured_when)."""
    return {**make_control(control_id, level=level, ctype=ctype, params=params), **extra}


# A template that names a variable no host defines: rendering it fails.
FAILS_HERE = "{{ no_such_variable_on_this_host }}"


def write_catalog(directory: Path) -> Path:
    areas = {
        "ssh": [
            make("LZ-SSH-001", params={"option": "X11Forwarding", "value": "{{ x11_forwarding }}"}),
            make("LZ-SSH-002", level="essential", params={"option": "Banner", "value": FAILS_HERE}),
            make("LZ-SSH-003", params={"option": "MaxAuthTries", "value": FAILS_HERE}),
        ],
        "logging": [
            make(
                "LZ-LOG-001",
                ctype="file_content",
                params={"path": "/etc/rsyslog.d/lz.conf", "content": FAILS_HERE},
                configured_when="{{ collector | length > 0 }}",
            ),
            make(
                "LZ-LOG-002",
                level="essential",
                ctype="file_content",
                params={"path": "/etc/rsyslog.d/other.conf", "content": FAILS_HERE},
                configured_when=FAILS_HERE,
            ),
        ],
        "breakglass": [
            make(
                "LZ-BG-001",
                ctype="local_account",
                params={"name": "{{ breakglass }}", "password_hash": "{{ breakglass_hash }}", "shell": "/bin/bash"},
            )
        ],
    }
    directory.mkdir()
    for area, controls in areas.items():
        (directory / f"{area}.yml").write_text(yaml.safe_dump({area: controls}), encoding="utf-8")
    return directory


class CountingTemplar(Templar):
    """A real Templar that counts what it was asked to render, for the plugin's copy of it."""

    rendered: list = []

    def copy_with_new_env(self, **kwargs):
        copy = super().copy_with_new_env(**kwargs)
        copy.__class__ = CountingTemplar
        return copy

    def template(self, variable, *args, **kwargs):
        CountingTemplar.rendered.append(variable)
        return super().template(variable, *args, **kwargs)


TASK_VARS = {"x11_forwarding": False, "collector": "", "breakglass": "breakglass", "breakglass_hash": HASH}


def audit(catalog_dir, task_vars=None, check_mode=False, answer=None, **args):
    CountingTemplar.rendered = []
    answer = answer or {"results": [], "summary": {}, "run_id": "run-1"}
    return run_action(
        [answer, answer],
        connection=FakeConnection(transport="local"),
        args={"mode": "audit", "catalog_dir": str(catalog_dir), **args},
        templar=CountingTemplar(loader=DataLoader()),
        task_vars=TASK_VARS if task_vars is None else task_vars,
        check_mode=check_mode,
    )


def test_only_the_selected_controls_templates_are_rendered(tmp_path):
    catalog = write_catalog(tmp_path / "controls")
    result, calls, _ = audit(catalog, level="important", disabled=["LZ-SSH-003"])
    assert result.get("failed") is not True, result.get("msg")
    (module_args,) = calls
    by_id = {control["id"]: control for control in module_args["controls"]}
    # LZ-SSH-002 is essential, LZ-SSH-003 switched off, LZ-LOG-001 not configured (no collector),
    # LZ-LOG-002 essential: each holds a template that fails here, and none was rendered.
    assert list(by_id) == ["LZ-BG-001", "LZ-SSH-001"]  # files in name order
    assert by_id["LZ-SSH-001"]["params"]["value"] == "no"  # rendered from the task's variables, then checked
    assert by_id["LZ-BG-001"]["params"]["name"] == "breakglass"
    rendered = json.dumps([str(value) for value in CountingTemplar.rendered])
    assert "no_such_variable_on_this_host" not in rendered
    # configured_when of LZ-LOG-001 (of the level, not switched off), and the params of the two selected
    assert len(CountingTemplar.rendered) == 3
    # The selection's arguments stay on the controller.
    assert not set(module_args) & {"catalog_dir", "level", "edition", "disabled", "adjustments"}


def test_a_configured_control_is_selected_and_rendered_and_its_failure_names_it(tmp_path):
    catalog = write_catalog(tmp_path / "controls")
    result, calls, _ = audit(catalog, task_vars=dict(TASK_VARS, collector="logs.example.invalid"), level="basic")
    # LZ-LOG-001 is configured now: its params are rendered, and their template fails on this host.
    assert result["failed"] is True and calls == []
    assert result["msg"].startswith("control LZ-LOG-001: params: cannot be rendered for this host: ")
    assert "no_such_variable_on_this_host" in result["msg"]


def test_the_secret_param_travels_only_in_the_no_log_option(tmp_path):
    catalog = write_catalog(tmp_path / "controls")
    result, calls, _ = audit(catalog, level="basic", disabled=["LZ-SSH-003"])
    (module_args,) = calls
    assert module_args["secret_params"] == {"LZ-BG-001": {"password_hash": HASH}}
    outside = {name: value for name, value in module_args.items() if name != "secret_params"}
    assert HASH not in json.dumps(outside) and HASH not in json.dumps(result)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"level": "maximal"}, "level: must be one of basic, important, essential, got 'maximal'"),
        ({"level": "basic", "edition": 2024}, "edition: cyfun edition: must be one of 2023, 2025"),
        ({"level": "basic", "disabled": ["LZ-SSH-999"]}, "LZ-SSH-999: linux_baseline_disabled_controls"),
        (
            {"level": "basic", "disabled": ["LZ-SSH-001", "LZ-SSH-003", "LZ-BG-001"]},
            "no control selected for this host: its level (linux_baseline_level), CyFun edition "
            "(linux_baseline_cyfun_edition) and switches (linux_baseline_disabled_controls) leave none",
        ),
        ({"level": "basic", "catalog": {"ssh": [make("LZ-SSH-001")]}}, "give either catalog or catalog_dir"),
        ({"level": "basic", "controls": [make("LZ-SSH-001")]}, "give either catalog_dir or controls"),
    ],
    ids=["level", "edition", "disabled", "nothing-left", "catalog-too", "controls-too"],
)
def test_a_bad_selection_stops_the_task_naming_the_field(tmp_path, args, message):
    catalog = write_catalog(tmp_path / "controls")
    result, calls, _ = audit(catalog, **args)
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert calls == []
    if "leave none" not in message:
        assert CountingTemplar.rendered == []  # the selection's own mistakes are found before any rendering


@pytest.mark.parametrize(
    ("files", "message"),
    [({}, "holds no .yml file"), ({"ssh.yml": "ssh: [\n"}, "ssh.yml: not valid YAML")],
    ids=["empty", "bad-yaml"],
)
def test_a_catalog_directory_that_cannot_be_read_is_named(tmp_path, files, message):
    catalog = tmp_path / "controls"
    catalog.mkdir()
    for name, text in files.items():
        (catalog / name).write_text(text, encoding="utf-8")
    result, calls, _ = audit(catalog, level="basic")
    assert result["failed"] is True and message in result["msg"] and str(catalog) in result["msg"]
    assert calls == []


def test_check_mode_sends_the_same_controls_and_confirms_nothing(tmp_path):
    catalog = write_catalog(tmp_path / "controls")
    armed = {"results": [], "summary": {}, "run_id": "run-1", "commit_confirmed": {"seconds": 30, "unit": "u"}}
    selection = {"level": "important", "disabled": ["LZ-SSH-003"]}
    checked, check_calls, _ = audit(catalog, check_mode=True, answer=armed, **selection)
    applied, apply_calls, _ = audit(catalog, answer=armed, **selection)
    assert check_calls == apply_calls[:1]  # the same module arguments, in check mode too
    assert len(check_calls) == 1 and checked.get("failed") is not True  # no confirmation in check mode
    assert len(apply_calls) == 2 and apply_calls[1] == {"mode": "confirm", "confirm_run": "run-1"}


# ---- the real plugin in ansible-playbook, against the selection the role made before ---------------

# The plugin as the role runs it, its module call replaced by handing back what it would send.
SELECTION_ONLY = """
from ansible_collections.cyberveilig.landingzone.plugins.action import linux_controls


class ActionModule(linux_controls.ActionModule):
    def _execute_module(self, module_name=None, module_args=None, task_vars=None, **kwargs):
        return {"changed": False, "module_args": module_args}
"""

# The logging controls that forward to the central collector, each with its configured_when.
FORWARDING_CONTROLS = {"LZ-LOG-008", "LZ-LOG-009", "LZ-LOG-010", "LZ-LOG-011"}
PLAYBOOK = (
    PLAY_ON_HOSTS
    + """
    - name: Load the catalog as the role did
      ansible.builtin.set_fact:
        linux_baseline_catalog: "{{{{ lookup('cyberveilig.landingzone.control_catalog', role_path ~ '/controls') }}}}"
        linux_baseline_catalog_ids: >-
          {{{{ lookup('cyberveilig.landingzone.control_catalog', role_path ~ '/controls')
             | cyberveilig.landingzone.catalog_ids }}}}
    - name: Select with the filter, as the role did, and check the selection
      selection_only:
        controls: "{{{{ selected_controls }}}}"
        known_controls: "{{{{ linux_baseline_catalog_ids }}}}"
        waivers: "{{{{ linux_baseline_waivers }}}}"
        mode: audit
      register: by_filter
    - name: Select as the role does now
      selection_only:
        catalog_dir: "{{{{ role_path }}}}/controls"
        level: "{{{{ linux_baseline_level }}}}"
        edition: "{{{{ linux_baseline_cyfun_edition }}}}"
        disabled: "{{{{ linux_baseline_disabled_controls }}}}"
        adjustments: "{{{{ landingzone_baseline_adjustments | default([]) }}}}"
        waivers: "{{{{ linux_baseline_waivers }}}}"
        mode: audit
      register: by_plugin
    - name: Write both
      ansible.builtin.copy:
        content: "{{{{ {{'filter': by_filter.module_args, 'plugin': by_plugin.module_args}} | to_json }}}}"
        dest: "{out}/{{{{ inventory_hostname }}}}.json"
        mode: "0600"
"""
)


def test_the_plugin_selects_and_renders_what_the_filter_did_for_every_kind_of_host(tmp_path):
    (tmp_path / "action_plugins").mkdir()
    (tmp_path / "action_plugins" / "selection_only.py").write_text(SELECTION_ONLY, encoding="utf-8")
    completed = run_playbook(tmp_path, PLAYBOOK, linux_baseline_breakglass_password_hash=HASH)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    counts = set()
    for host in HOSTS:
        both = json.loads((tmp_path / f"{host}.json").read_text())
        assert both["plugin"] == both["filter"], host
        rendered = json.dumps(both["plugin"]["controls"])
        assert "{{" not in rendered and "{%" not in rendered, host
        counts.add(len(both["plugin"]["controls"]))
    assert len(counts) == len(HOSTS)  # the hosts really differ
    essential = json.loads((tmp_path / "essential-no-collector.json").read_text())["plugin"]
    assert essential["secret_params"]["LZ-BG-001"] == {"password_hash": HASH}
    assert HASH not in json.dumps(essential["controls"])
    logs = json.loads((tmp_path / "essential-logs.json").read_text())["plugin"]["controls"]
    # The controls of the log collector run only where the card names one (configured_when).
    assert FORWARDING_CONTROLS.isdisjoint(control["id"] for control in essential["controls"])
    assert {control["id"] for control in logs} >= FORWARDING_CONTROLS
    assert "logs.example.invalid" in json.dumps(logs) and "server ntp1.example.invalid iburst" in json.dumps(logs)
    gateway = json.loads((tmp_path / "basic-2025-gateway.json").read_text())["plugin"]["controls"]
    assert any("(adjusted: forwarding on for vpn_gateway" in control["title"] for control in gateway)


def test_a_template_in_a_hosts_value_is_data_never_rendered(tmp_path):
    """A card or inventory value is data: the catalog's own template puts it in as it is."""
    catalog = write_catalog(tmp_path / "controls")
    witness = tmp_path / "rendered"
    hostile = "{{ lookup('ansible.builtin.pipe', 'touch " + str(witness) + "') }}"
    result, calls, _ = audit(catalog, task_vars=dict(TASK_VARS, breakglass_hash=hostile), level="basic",
                             disabled=["LZ-SSH-003"])  # fmt: skip
    assert not witness.exists()
    # The hash param gets the string itself, which its check refuses without echoing it (a secret).
    assert result["failed"] is True and calls == []
    assert result["msg"].startswith("control LZ-BG-001: params.password_hash: ") and hostile not in result["msg"]
