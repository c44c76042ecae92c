"""Invariants of the linux_baseline control catalog, and that every control, rendered with
the role's defaults, is accepted by the engine's own schema."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from ansible_collections.cyberveilig.landingzone.plugins.filter.controls import select_controls
from ansible_collections.cyberveilig.landingzone.plugins.filter.encoders import FilterModule as EncoderFilters
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import validate_controls
from jinja2.nativetypes import NativeEnvironment

ROLE = Path(__file__).resolve().parents[3] / "roles" / "linux_baseline"
REQUIRED_FIELDS = (
    "id", "title", "rationale", "level", "level_2025", "cyfun", "cyfun_2025", "cis", "anssi", "applies_to", "risk",
    "type", "params",
)  # fmt: skip
# Whether each id exists is checked against its source in tests/unit/references/. Every control
# says which ANSSI-BP-028 recommendations it serves, possibly none (docs/controls/anssi-coverage.md).
OPTIONAL_FIELDS = {"configured_when", "cis_debian13"}
AREAS = {
    "ssh", "accounts", "pam", "sudo", "sysctl", "modules", "permissions", "services", "packages", "audit",
    "logging", "time", "updates", "firewall", "integrity", "coredumps", "banners", "mounts", "breakglass",
}  # fmt: skip
HOST_KINDS = {"server", "virtual_pc", "container"}


def load_catalog():
    catalog = {}
    for path in sorted((ROLE / "controls").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and len(data) == 1, f"{path.name}: one mapping {{area: [controls]}}"
        ((area, controls),) = data.items()
        assert area == path.stem, f"{path.name}: the area key must be the file name"
        catalog[area] = controls
    return catalog


CATALOG = load_catalog()
CONTROLS = [control for controls in CATALOG.values() for control in controls]


def test_the_catalog_has_at_least_150_controls():
    assert len(CONTROLS) >= 150


def test_every_area_is_covered():
    assert set(CATALOG) >= AREAS, f"missing areas: {sorted(AREAS - set(CATALOG))}"
    assert all(CATALOG[area] for area in AREAS)


def test_ids_are_unique():
    duplicates = [cid for cid, count in Counter(c["id"] for c in CONTROLS).items() if count > 1]
    assert not duplicates


def test_ids_of_one_area_share_one_prefix_no_other_area_uses():
    prefixes = {}
    for area, controls in CATALOG.items():
        area_prefixes = {re.match(r"^(LZ-[A-Z]+)-\d{3}$", c["id"]).group(1) for c in controls}
        assert len(area_prefixes) == 1, f"{area}: {sorted(area_prefixes)}"
        prefixes[area] = area_prefixes.pop()
    assert len(set(prefixes.values())) == len(prefixes)


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.get("id", "?"))
def test_every_control_has_every_field_with_a_valid_value(control):
    missing = [field for field in REQUIRED_FIELDS if field not in control]
    assert not missing
    assert set(control) <= set(REQUIRED_FIELDS) | OPTIONAL_FIELDS
    assert control["title"].strip() and control["rationale"].strip()
    assert control["level"] in ("basic", "important", "essential")
    assert control["level_2025"] in ("basic", "important", "essential")
    assert control["risk"] in ("low", "medium", "high")
    assert control["cyfun"] and control["cyfun_2025"]
    assert control["applies_to"] and set(control["applies_to"]) <= HOST_KINDS
    assert isinstance(control["params"], dict) and control["params"]


@pytest.mark.parametrize("edition", [2023, 2025])
def test_the_filter_accepts_the_whole_catalog_at_every_level(edition):
    counts = [len(select_controls(CATALOG, level, edition=edition)) for level in ("basic", "important", "essential")]
    assert counts[0] < counts[1] < counts[2]


def test_the_audit_lock_is_the_last_rule_loaded():
    locks = [c for c in CONTROLS if c["type"] == "audit_rule" and c["params"]["rule"] == "-e 2"]
    assert len(locks) == 1
    other_files = {c["params"].get("file", "60-landingzone.rules") for c in CONTROLS if c["type"] == "audit_rule"} - {
        locks[0]["params"]["file"]
    }
    assert all(locks[0]["params"]["file"] > name for name in other_files)


def test_the_operator_and_break_glass_are_exempt_from_ageing_and_locking():
    for control in CONTROLS:
        if control["type"] == "account_policy" and control["params"]["rule"] in (
            "inactive_lock", "password_max_days", "system_shell_nologin"
        ):  # fmt: skip
            assert "linux_baseline_operator_account" in control["params"]["exempt"]
            assert "linux_baseline_breakglass_account" in control["params"]["exempt"]


def test_ssh_lets_the_operator_group_in():
    allow = [c for c in CONTROLS if c["type"] == "sshd_option" and c["params"]["option"] == "AllowGroups"]
    assert len(allow) == 1 and "linux_baseline_operator_group" in allow[0]["params"]["value"]


def render(value, context, env):
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return env.from_string(value).render(context)
    if isinstance(value, dict):
        return {key: render(item, context, env) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, context, env) for item in value]
    return value


def role_context():
    """The role's defaults, with log forwarding configured so that every control renders."""
    context = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))
    context.update(
        linux_baseline_breakglass_password_hash="$6$saltsalt$" + "x" * 86,
        linux_baseline_log_collector={"host": "log.example.invalid", "port": 6514},
        linux_baseline_log_ca_cert="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        linux_baseline_log_forwarding_configured=True,
        linux_baseline_log_sender_port=6517,
    )
    return context


def test_every_control_rendered_with_the_defaults_passes_the_engine_schema():
    env = NativeEnvironment(trim_blocks=True)
    # The catalog writes card values through the collection's encoders, as Ansible would find them.
    env.filters.update({f"cyberveilig.landingzone.{name}": f for name, f in EncoderFilters().filters().items()})
    context = role_context()
    rendered = [
        {key: value for key, value in render(control, context, env).items() if key != "configured_when"}
        for control in CONTROLS
    ]
    validated = validate_controls(rendered)
    assert len(validated) == len(CONTROLS)
    chrony = next(c for c in validated if c["id"] == "LZ-TIME-002")
    assert "server 0.be.pool.ntp.org iburst\n" in chrony["params"]["content"]
    forward = next(c for c in validated if c["id"] == "LZ-LOG-011")
    assert 'target="log.example.invalid"' in forward["params"]["content"]
    assert 'port="6517"' in forward["params"]["content"]
