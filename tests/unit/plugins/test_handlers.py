"""Every handler: fails on a bad host, check mode predicts apply exactly, apply converges, bad params are refused."""

from __future__ import annotations

import hashlib
import os

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.engine import Engine
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers import HANDLERS
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import (
    TYPE_SCHEMAS,
    ControlError,
    validate_control,
)
from engine_harness import BASE_FILES, BASE_SHADOW, FakeSystem, control, is_read_only, make_host
from scenarios import SCENARIOS

ENVIRON = {"SSH_CONNECTION": "198.51.100.7 50022 10.20.0.5 22"}


def test_every_documented_type_has_a_handler_and_a_scenario():
    assert set(HANDLERS) == set(TYPE_SCHEMAS) == set(SCENARIOS)


def build(tmp_path, name, ctype):
    system = FakeSystem(tmp_path / name)
    for path, text in BASE_FILES.items():
        system.write(path, text)
    system.write("/etc/shadow", BASE_SHADOW, 0o640)
    SCENARIOS[ctype]["arrange"](system)
    return system


def snapshot(system):
    """Every file under the root with its bytes and mode: to prove check mode wrote nothing."""
    tree = {}
    for directory, _, files in os.walk(system.root):
        for name in files:
            real = os.path.join(directory, name)
            if os.path.islink(real):  # a fake /proc/PID/exe points at a path of the real host
                tree[os.path.relpath(real, system.root)] = ("->", os.readlink(real))
                continue
            with open(real, "rb") as handle:
                tree[os.path.relpath(real, system.root)] = (handle.read(), os.stat(real).st_mode)
    return tree


def planned(host):
    """The follow-up commands a run decided on, with its own root prefix taken out."""
    actions = sorted(host.tx.actions.values(), key=lambda a: a.phase)
    return (
        [[arg.replace(host.root, "<root>") for arg in a.argv] if a.argv else a.description for a in actions],
        {state: sorted(names) for state, names in host.tx.packages.items()},
    )


def execute(system, ctype, mode="apply", check_mode=False):
    host = make_host(system, check_mode=check_mode, environ=ENVIRON)
    report = Engine(host).run([control(ctype, SCENARIOS[ctype]["params"])], mode)
    return report, host


@pytest.mark.parametrize("ctype", sorted(SCENARIOS))
def test_check_mode_predicts_exactly_what_apply_changes(tmp_path, ctype):
    audited, applied = build(tmp_path, "audited", ctype), build(tmp_path, "applied", ctype)
    before = snapshot(audited)

    prediction, check_host = execute(audited, ctype, check_mode=True)
    outcome, apply_host = execute(applied, ctype)

    predicted, result = prediction["results"][0], outcome["results"][0]
    assert predicted["status"] == "fail", predicted["reason"]
    assert predicted["changed"] is True
    assert prediction["changed"] is True
    assert snapshot(audited) == before, "check mode must not write anything"
    assert [argv for argv in audited.calls if not is_read_only(argv)] == []

    assert result["status"] == "fixed", result["reason"]
    assert result["changed"] is True
    assert result["diff"] == predicted["diff"]
    assert planned(apply_host) == planned(check_host)
    assert result["evidence"] == predicted["evidence"]
    assert outcome["diff"] == prediction["diff"]
    for change in result["diff"]:
        assert change["path"] in {d["after_header"] for d in outcome["diff"]}
    for change in outcome["diff"]:
        on_disk = applied.read(change["after_header"])
        if change["after"].startswith("(content not shown)"):
            assert hashlib.sha256(on_disk.encode()).hexdigest() in change["after"]
        else:
            assert on_disk == (change["after"] or None)


@pytest.mark.parametrize("ctype", sorted(SCENARIOS))
def test_apply_converges_so_the_next_audit_passes(tmp_path, ctype):
    system = build(tmp_path, "host", ctype)
    execute(system, ctype)
    if "reboot" in SCENARIOS[ctype]:
        SCENARIOS[ctype]["reboot"](system)
    system.calls.clear()

    report, _ = execute(system, ctype, mode="audit")

    result = report["results"][0]
    assert result["status"] == "pass", result["reason"]
    assert result["changed"] is False and result["diff"] == []
    assert report["changed"] is False
    assert [argv for argv in system.calls if not is_read_only(argv)] == []


@pytest.mark.parametrize("ctype", sorted(SCENARIOS))
def test_audit_mode_reports_but_never_changes(tmp_path, ctype):
    system = build(tmp_path, "host", ctype)
    before = snapshot(system)

    report, _ = execute(system, ctype, mode="audit")

    assert report["results"][0]["status"] == "fail"
    assert report["results"][0]["changed"] is True  # what apply would change
    assert report["changed"] is False  # but the audit itself changed nothing
    assert snapshot(system) == before


@pytest.mark.parametrize(
    ("ctype", "params", "field"),
    [(ctype, params, field) for ctype, s in sorted(SCENARIOS.items()) for params, field in s["bad"]],
)
def test_schema_rejects_bad_params_naming_control_and_field(ctype, params, field):
    with pytest.raises(ControlError) as caught:
        validate_control(control(ctype, params, control_id="LZ-BAD-009"))
    message = str(caught.value)
    assert "LZ-BAD-009" in message
    assert f" {field}:" in message
