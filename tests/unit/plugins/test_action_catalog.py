"""The Linux action plugin takes the role's whole catalog, as the Windows one does: it selects this
host's controls and checks them once, on the controller; a mistake stops the task before the host;
the module runs what it was given without checking it again.

The connection is a fake (see test_action_confirm.py); the role's real run through this path is
the molecule scenario linux_baseline."""

from __future__ import annotations

from unittest import mock

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action import linux_controls as plugin
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import engine, linux_catalog
from engine_harness import FakeSystem, control, make_host
from test_action_confirm import FakeConnection, run_action


def make(control_id, level="basic", ctype="sshd_option", params=None):
    return {
        "id": control_id,
        "title": f"title of {control_id}",
        "rationale": "because",
        "level": level,
        "level_2025": level,
        "cyfun": ["PR.AC-1.1"],
        "cyfun_2025": ["PR.AA-01.1"],
        "cis": ["5.1.1"],
        "applies_to": ["server", "virtual_pc", "container"],
        "risk": "low",
        "type": ctype,
        "params": params if params is not None else {"option": "X11Forwarding", "value": False},
    }


def catalog():
    return {
        "ssh": [make("LZ-SSH-001"), make("LZ-SSH-002", level="important"), make("LZ-SSH-003", level="essential")],
        "sysctl": [make("LZ-SYSCTL-001", ctype="sysctl", params={"key": "net.ipv4.ip_forward", "value": 0})],
        "files": [make("LZ-FILE-001", ctype="file_permission", params={"path": "/etc/shadow", "mode": "0640"})],
    }


WAIVER = {
    "control": "LZ-SSH-002",
    "hosts": "all",
    "justification": "switched off here, waived elsewhere",
    "approver": "ciso@gemeente.example",
    "expires": "2099-12-31",
    "compensating_measure": "none needed",
}


def audit(**args):
    """One audit run through the plugin (no access facts: nothing asked of the shell)."""
    answer = {"results": [], "summary": {}, "run_id": "run-1"}
    return run_action([answer], connection=FakeConnection(transport="local"), args={"mode": "audit", **args})


def test_the_plugin_selects_from_the_catalog_and_checks_it_once():
    with (
        mock.patch.object(plugin, "validate_controls", wraps=plugin.validate_controls) as params_checked,
        mock.patch.object(linux_catalog, "flatten", wraps=linux_catalog.flatten) as records_checked,
    ):
        result, calls, _ = audit(
            catalog=catalog(),
            level="important",
            edition=2025,
            disabled=["LZ-SSH-001"],
            adjustments=[{"role": "vpn_gateway", "forwarding": True}],
            waivers=[WAIVER],
        )
    assert result.get("failed") is not True, result.get("msg")
    assert params_checked.call_count == 1 and records_checked.call_count == 1
    (module_args,) = calls
    # The selection's arguments stay on the controller; the module gets the checked controls.
    assert not set(module_args) & {"catalog", "level", "edition", "disabled", "adjustments", "waivers"}
    assert module_args["checked_on_controller"] is True
    by_id = {c["id"]: c for c in module_args["controls"]}
    assert list(by_id) == ["LZ-SSH-002", "LZ-SYSCTL-001", "LZ-FILE-001"]
    assert by_id["LZ-SSH-002"]["params"] == {"option": "X11Forwarding", "value": "no"}  # normalised here
    assert by_id["LZ-FILE-001"]["params"]["mode"] == 0o640
    assert by_id["LZ-SYSCTL-001"]["params"]["value"] == "1"  # forwarding declared by another role
    assert by_id["LZ-SSH-002"]["cyfun_edition"] == 2025
    # The waiver names a control of the catalog: no error, though this host switched another one off.
    assert by_id["LZ-SSH-002"]["waiver_state"] == "active"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a["catalog"]["ssh"][0].update(params={"option": "X11Forwarding"}), "LZ-SSH-001: params.value"),
        (lambda a: a["catalog"]["ssh"][0].update(params={"option": "two words", "value": 1}), "LZ-SSH-001: params."),
        (lambda a: a["catalog"]["files"][0].update(risk="none"), "LZ-FILE-001: risk: must be one of"),
        (lambda a: a["catalog"]["files"][0].update(cis=["99.9"]), "LZ-FILE-001: cis: '99.9' is not an id"),
        (lambda a: a.update(level="maximal"), "level: must be one of basic, important, essential"),
        (lambda a: a.update(edition=2024), "edition: cyfun edition: must be one of 2023, 2025"),
        (lambda a: a.update(disabled=["LZ-SSH-999"]), "LZ-SSH-999: linux_baseline_disabled_controls"),
        (lambda a: a.update(adjustments=[{"role": "x", "forwarding": "yes"}]), "forwarding: must be true or false"),
        (lambda a: a.update(waivers=[dict(WAIVER, control="LZ-NOPE-001")]), "unknown control id 'LZ-NOPE-001'"),
        (lambda a: a.update(controls=[control("sysctl", {"key": "a", "value": 1})]), "give either catalog or"),
        (lambda a: a["catalog"]["ssh"].__setitem__(0, {**a["catalog"]["ssh"][0], "type": "nope"}), "type: unknown"),
    ],
)
def test_a_catalog_mistake_stops_the_task_before_the_host(change, message):
    args = {"catalog": catalog(), "level": "essential"}
    change(args)
    result, calls, _ = audit(**args)
    assert result["failed"] is True and message in result["msg"]
    assert calls == []  # nothing was sent to the host


def test_a_level_that_selects_nothing_is_an_error():
    only_essential = {"ssh": [make("LZ-SSH-003", level="essential")]}
    result, calls, _ = audit(catalog=only_essential, level="basic")
    assert result["failed"] is True and "no control selected" in result["msg"] and calls == []


def test_the_engine_runs_checked_controls_as_given_and_checks_the_others(tmp_path):
    system = FakeSystem(tmp_path / "host")
    system.write("/etc/login.defs", "PASS_MAX_DAYS 99999\n")
    raw = control("config_key", {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": 365})
    with mock.patch.object(engine, "validate_controls", wraps=engine.validate_controls) as checked:
        engine.Engine(make_host(system)).run([raw], "audit")
        assert checked.call_count == 1
        normalised = engine.validate_controls([raw])
        report = engine.Engine(make_host(system)).run(normalised, "audit", checked=True)
        assert checked.call_count == 2  # the one above only: the run with checked=True asked none
    assert report["results"][0]["status"] == "fail"
