"""`landingzone drill M --workplace` from nothing: an empty desk (from the desk image) and an empty
gateway start beside the lab, the baseline makes the desk a virtual PC with RDP open to the gateway
alone, the workplace roles set both up, and a real RDP client logs in through the gateway as the
roster's person, with the vault's password and a TOTP code: the session must paint the desk's name
and the run's word. The time goes against the card's workplace RTO, into the evidence and the
summary; no password, code or TOTP secret reaches either; the empty hosts are gone afterwards.

The municipality is the test's own (lab network lz-wpdrill, 10.231.147.0/24): one desk, its
gateway, and a host for the roster's service."""

import json
import re
from pathlib import Path

import pytest
import yaml
from lab_cli import LAB_VAULT_PASSWORD, ROOT, landingzone, podman

from landingzone.lab.desk_image import ensure_desk_image
from landingzone.runner.vault import encrypt

MUNICIPALITY = "wpdrill"
NET = "10.231.147"
PERSON = "lmertens"
# Lab-only secrets, vault-encrypted into the inventory below with the lab's vault password.
FIRST_PASSWORD = "Herfst-Drill-Kaai-2026"
TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
STOCKLAB = ROOT / "inventories" / "stocklab"

CARD = {
    "schema_version": 1,
    "name": MUNICIPALITY,
    "display_name": "Gemeente Wpdrill (lab)",
    "nis_code": "99028",
    "cyfun_target_level": "important",
    "data_classification": 3,
    "contacts": [
        {"role": "security_officer", "name": "Lies Claes", "email": "informatieveiligheid@wpdrill.invalid"},
        {"role": "dpo", "name": "Tom Wouters", "email": "dpo@wpdrill.invalid"},
        {"role": "it_manager", "name": "Sara Jacobs", "email": "ict@wpdrill.invalid"},
    ],
    "management_networks": [f"{NET}.0/24"],
    "log_collector": {"host": f"{MUNICIPALITY}-svc1", "port": 6514},
    "ntp_servers": ["0.be.pool.ntp.org"],
    "backup": {"retention": {"keep_daily": 7, "keep_weekly": 4, "keep_monthly": 6, "keep_yearly": 1}},
    "services": [
        {
            "name": "register",
            "hosts": [f"{MUNICIPALITY}-svc1"],
            "role": "population registry front office",
            "health_check": f"tcp://{MUNICIPALITY}-svc1:8443",
            "tier": 1,
            "rto_minutes": 240,
            "rpo_minutes": 60,
        }
    ],
    "workplace": {
        "desks": 1,
        "rto_minutes": 30,
        "data_classification": 3,
        "totp_required": True,
        "idle_lock_minutes": 10,
        "roles": [{"name": "balie", "class4_data": False}],
        "roster": [{"name": PERSON, "role": "balie", "services": ["register"]}],
    },
}
HOSTS = {
    "all": {
        "children": {
            "app_servers": {"hosts": {f"{MUNICIPALITY}-svc1": {"lab_address": f"{NET}.31"}}},
            "workplace_desks": {
                "hosts": {f"{MUNICIPALITY}-desk1": {"lab_address": f"{NET}.11", "workplace_address": f"{NET}.11"}}
            },
            "workplace_gateways": {
                "hosts": {f"{MUNICIPALITY}-gw1": {"lab_address": f"{NET}.21", "workplace_address": f"{NET}.21"}}
            },
        }
    }
}
# The desks' variables beside the card's: where the roster's service is, xrdp's certificate, no
# office suite (the desk image leaves it out), and the baseline a lab desk can take (the
# workplace scenario's: no audit rules, no /tmp remount in a container).
DESK_VARS = {
    "workplace_service_endpoints": {"register": [{"address": f"{NET}.31", "port": 8443, "proto": "tcp"}]},
    "workplace_tls_cert": "{{ landingzone_host_cert }}",
    "workplace_tls_key": "{{ landingzone_host_key }}",
    "workplace_office_suite": False,
    "workplace_lab_audit_catalog": "{{ playbook_dir }}/../roles/linux_baseline/controls/audit.yml",
}


def _vaulted(value: str, indent: str) -> str:
    text = encrypt(LAB_VAULT_PASSWORD.read_text(encoding="utf-8").strip(), value)
    return "!vault |\n" + "\n".join(indent + line for line in text.splitlines())


def _write_municipality(fleet: Path) -> None:
    directory = fleet / MUNICIPALITY
    all_vars = directory / "group_vars" / "all"
    all_vars.mkdir(parents=True)
    (directory / "municipality.yml").write_text("---\n" + yaml.safe_dump(CARD, sort_keys=False), encoding="utf-8")
    (directory / "hosts.yml").write_text("---\n" + yaml.safe_dump(HOSTS, sort_keys=False), encoding="utf-8")
    for name in ("connection.yml", "lab.yml", "lab_baseline.yml", "log_forwarding.yml", "pki.yml"):
        text = (STOCKLAB / "group_vars" / "all" / name).read_text(encoding="utf-8")
        text = re.sub(r"\bstocklab\b", MUNICIPALITY, text).replace("10.231.11.", f"{NET}.")
        (all_vars / name).write_text(text, encoding="utf-8")
    # The stock lab's break-glass hash, its backup passwords left behind (this lab backs nothing up).
    stock_vault = (STOCKLAB / "group_vars" / "all" / "vault.yml").read_text(encoding="utf-8")
    breakglass = stock_vault[: stock_vault.index("# Per host")]
    (all_vars / "vault.yml").write_text(
        breakglass
        + f"workplace_first_passwords:\n  {PERSON}: {_vaulted(FIRST_PASSWORD, '    ')}\n"
        + f"workplace_totp_secrets:\n  {PERSON}: {_vaulted(TOTP_SECRET, '    ')}\n",
        encoding="utf-8",
    )
    desks = directory / "group_vars" / "workplace_desks"
    desks.mkdir(parents=True)
    (desks / "workplace.yml").write_text("---\n" + yaml.safe_dump(DESK_VARS), encoding="utf-8")
    lab_desk = (ROOT / "molecule" / "workplace" / "vars" / "lab_desk_baseline.yml").read_text(encoding="utf-8")
    (desks / "lab_desk_baseline.yml").write_text(lab_desk, encoding="utf-8")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    fleet = tmp_path_factory.mktemp("fleet")
    _write_municipality(fleet)
    ensure_desk_image(ROOT)
    try:
        up = landingzone(fleet, "lab", "up", MUNICIPALITY, timeout=600)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        yield fleet
    finally:
        landingzone(fleet, "lab", "down", MUNICIPALITY)


def _drill(fleet: Path):
    result = landingzone(
        fleet, "--json", "--vault-password-file", str(LAB_VAULT_PASSWORD), "drill", MUNICIPALITY, "--workplace",
        timeout=1500,
    )  # fmt: skip
    assert result.stdout.startswith("{"), result.stdout[-3000:] + result.stderr[-3000:]
    return result, json.loads(result.stdout)


@pytest.mark.lab
def test_the_workplace_comes_up_from_nothing_and_a_real_client_logs_into_its_desk(fleet):
    result, summary = _drill(fleet)
    record = summary["workplace"]
    assert result.returncode == 0, json.dumps(record, indent=1) + result.stderr[-3000:]
    print(f"workplace drill, 1 desk: {record['achieved_seconds']} s (hosts {record['hosts_ready_seconds']} s, "
          f"set up {record['applied_seconds']} s, login {record['logins'][0]['login_seconds']} s)")  # fmt: skip
    assert record["status"] == "pass" and record["rto_met"] is True and record["rto_minutes"] == 30
    assert record["desks"] == 1 and record["gateway"] == f"{MUNICIPALITY}-drill-gw1"
    (login,) = record["logins"]
    assert login["desk"] == f"{MUNICIPALITY}-drill-desk1" and login["person"] == PERSON and login["logged_in"]
    # The session painted the empty desk's name and this run's word, which nothing else knew.
    assert re.fullmatch(rf"{MUNICIPALITY}-drill-desk1 [0-9a-f]{{16}}", login["session_showed"])
    assert 0 < record["hosts_ready_seconds"] < record["applied_seconds"] < record["achieved_seconds"] < 30 * 60

    # The evidence holds the same record, the report shows it, and nothing of the secrets is anywhere.
    (outcome,) = summary["municipalities"]
    evidence = Path(outcome["evidence_dir"])
    results = json.loads((evidence / "results.json").read_text(encoding="utf-8"))
    assert results["drill"][f"{MUNICIPALITY}-drill-gw1"] == [record]
    report = (evidence / "report.html").read_text(encoding="utf-8")
    assert login["session_showed"] in report and f"{MUNICIPALITY}-drill-gw1" in report
    written = [result.stdout, result.stderr]
    for tree in (evidence, Path(outcome["run_dir"])):
        written += [path.read_text(errors="replace") for path in tree.rglob("*") if path.is_file()]
    for secret in (FIRST_PASSWORD, TOTP_SECRET):
        assert not [text for text in written if secret in text], "a workplace secret was written"

    # Its empty hosts are gone; the lab's own are still there.
    names = podman("ps", "-a", "--format", "{{.Names}}").split()
    assert not [name for name in names if name.startswith(f"{MUNICIPALITY}-drill-")], names
    assert f"{MUNICIPALITY}-desk1" in names
