"""The workplace role refuses bad input before it touches a desk: its own assert tasks, evaluated as
Ansible evaluates them, with the scenario's input and with hostile values. And what it renders from
good input is what the desk's tools accept (nft -c), with each person's traffic in a chain of its own."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from hostile_strings import HOSTILE
from role_render import REPO, render, text, value

ROLE = "workplace"
TASKS = yaml.safe_load((REPO / "roles" / ROLE / "tasks" / "validate.yml").read_text(encoding="utf-8"))
SCENARIO = yaml.safe_load((REPO / "molecule" / "workplace" / "vars" / "workplace.yml").read_text(encoding="utf-8"))
GOOD = {
    **SCENARIO,
    "workplace_gateway_addresses": ["10.231.84.21"],
    "workplace_resolvers": [],
    "workplace_service_endpoints": {
        "bevolkingsregister": [{"address": "10.231.84.31", "port": 8443, "proto": "tcp"}],
        "website": [{"address": "fd00:231:84::31", "port": 443, "proto": "tcp"}],
    },
}
UIDS = {"lmertens": "1001", "svermeulen": "1002"}


def evaluate(name: str, **overrides) -> tuple[bool, str]:
    """(holds, message) of the assert task ``name`` with the good input and ``overrides``."""
    task = next(task for task in TASKS if task["name"] == name)
    check = task["ansible.builtin.assert"]
    variables = {**copy.deepcopy(GOOD), **overrides}
    that = check["that"] if isinstance(check["that"], list) else [check["that"]]
    holds = all(value(ROLE, condition, task.get("vars"), **variables) is True for condition in that)
    return holds, " ".join(text(ROLE, check["fail_msg"], task.get("vars"), **variables).split())


def with_person(**fields) -> list[dict]:
    roster = copy.deepcopy(GOOD["workplace_roster"])
    roster[0].update(fields)
    return roster


CHECKS = [
    "Check that every person's role and services are known",
    "Check that no class-4 role has its clipboard or drive redirection on",
    "Check that every person has a first password and, when required, a TOTP secret",
    "Check the endpoints and the gateway addresses",
]


@pytest.mark.parametrize("name", CHECKS)
def test_the_scenarios_input_passes(name):
    assert evaluate(name)[0] is True


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
@pytest.mark.parametrize("field", ["name", "role"])
def test_a_hostile_name_or_role_is_refused(field, hostile):
    holds, message = evaluate(CHECKS[0], workplace_roster=with_person(**{field: HOSTILE[hostile]}))
    assert holds is False
    assert message.startswith("workplace_roster: entries 0 ")


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
def test_a_hostile_service_name_is_refused(hostile):
    holds, _ = evaluate(CHECKS[0], workplace_roster=with_person(services=[HOSTILE[hostile]]))
    assert holds is False


def test_a_service_without_endpoints_is_named():
    holds, message = evaluate(CHECKS[0], workplace_roster=with_person(services=["webmail"]))
    assert holds is False
    assert "workplace_service_endpoints: no endpoints for the service(s) webmail" in message


def test_a_role_not_in_the_roles_is_named():
    holds, message = evaluate(CHECKS[0], workplace_roster=with_person(role="archief"))
    assert holds is False and "workplace_roster: the role(s) of lmertens are not in workplace_roles" in message


@pytest.mark.parametrize("channel", ["clipboard", "drive_redirection"])
def test_a_class4_role_with_redirection_is_refused(channel):
    roles = copy.deepcopy(GOOD["workplace_roles"])
    roles[0][channel] = True
    holds, message = evaluate(CHECKS[1], workplace_roles=roles)
    assert holds is False and message.startswith("workplace_roles: bevolking handle(s) class-4 data")


def test_a_missing_password_or_totp_secret_names_the_account_not_a_secret():
    holds, message = evaluate(CHECKS[2], workplace_first_passwords={"lmertens": "x"}, workplace_totp_secrets={})
    assert holds is False
    assert "no first password for svermeulen" in message and "no TOTP secret for lmertens, svermeulen" in message
    assert "Zomer-Lab" not in message and SCENARIO["workplace_totp_secrets"]["lmertens"] not in message
    no_log = next(task for task in TASKS if task["name"] == CHECKS[2])
    assert no_log["no_log"] is True


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
def test_a_hostile_endpoint_or_gateway_is_refused(hostile):
    endpoints = copy.deepcopy(GOOD["workplace_service_endpoints"])
    endpoints["website"][0]["address"] = HOSTILE[hostile]
    assert evaluate(CHECKS[3], workplace_service_endpoints=endpoints)[0] is False
    assert evaluate(CHECKS[3], workplace_gateway_addresses=[HOSTILE[hostile]])[0] is False


@pytest.mark.parametrize("port", [0, 65536, "443; drop", "x", -1])
def test_a_bad_port_is_refused(port):
    endpoints = copy.deepcopy(GOOD["workplace_service_endpoints"])
    endpoints["bevolkingsregister"][0]["port"] = port
    holds, message = evaluate(CHECKS[3], workplace_service_endpoints=endpoints)
    assert holds is False and "workplace_service_endpoints: bevolkingsregister entry 0" in message


def test_a_system_account_is_refused():
    task = next(
        task for task in TASKS if task["name"] == "Check that no person's name is a system account of this desk"
    )
    check = task["ansible.builtin.assert"]
    # As the desk's read (host_drift) returns them: the UIDs of the roster's accounts that exist there.
    for uids in ({"lmertens": "1001", "svermeulen": "104"}, {"svermeulen": "0"}, {"lmertens": "65534"}):
        read = {"account_uids": uids}
        assert value(ROLE, check["that"], task["vars"], **GOOD, workplace_drift_read=read) is False, uids
    for uids in ({"lmertens": "1001", "svermeulen": "1002"}, {}):
        read = {"account_uids": uids}
        assert value(ROLE, check["that"], task["vars"], **GOOD, workplace_drift_read=read) is True, uids


@pytest.mark.skipif(shutil.which("nft") is None, reason="nft is not installed (Debian package nftables)")
def test_the_egress_table_loads_and_gives_each_person_their_own_chain(tmp_path: Path):
    ruleset = render(ROLE, "workplace-egress.nft.j2", **GOOD, workplace_person_uids=UIDS)
    path = tmp_path / "workplace.nft"
    path.write_text(ruleset, encoding="utf-8")
    checked = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "meta skuid 1001 jump person_1001" in ruleset and "meta skuid 1002 jump person_1002" in ruleset
    person_1001 = ruleset.split("chain person_1001 {", 1)[1].split("}", 1)[0]
    assert "ip daddr 10.231.84.31 tcp dport 8443 accept" in person_1001
    assert "fd00:231:84::31" not in person_1001, "lmertens got svermeulen's service"
    assert person_1001.rstrip().endswith("reject with icmpx admin-prohibited")


def test_redirection_is_off_on_every_desk_when_one_role_turns_it_off():
    ini = render(ROLE, "xrdp.ini.j2", **GOOD)
    assert "cliprdr=false" in ini and "rdpdr=false" in ini
    roles = [dict(role, clipboard=True, drive_redirection=True, class4_data=False) for role in GOOD["workplace_roles"]]
    ini = render(ROLE, "xrdp.ini.j2", **{**GOOD, "workplace_roles": roles})
    assert "cliprdr=true" in ini and "rdpdr=true" in ini
