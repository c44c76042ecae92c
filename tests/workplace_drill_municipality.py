"""A lab municipality of its own for the workplace drill's tests, `wpdrill` (lab network lz-wpdrill,
10.231.147.0/24): one desk, its gateway, and a host for the roster's one service, with the
person's first password and TOTP secret vault-encrypted with the lab's vault password."""

import re
from pathlib import Path

import yaml

from landingzone.runner.vault import encrypt

ROOT = Path(__file__).resolve().parents[1]
LAB_VAULT_PASSWORD = ROOT / "lab" / "demo-vault-password"
MUNICIPALITY = "wpdrill"
NET = "10.231.147"
PERSON = "lmertens"
# Lab-only secrets, vault-encrypted into the inventory below with the lab's vault password.
FIRST_PASSWORD = "Herfst-Drill-Kaai-2026"
TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
# Every person of the roster has their first password and TOTP secret in the vault; the drill logs
# in as the first (one desk).
PEOPLE = {
    PERSON: (FIRST_PASSWORD, TOTP_SECRET),
    "svermeulen": ("Lente-Drill-Dok-2027", "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"),
}
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
    "backup": {
        "retention": {"keep_daily": 7, "keep_weekly": 4, "keep_monthly": 6, "keep_yearly": 1},
        "offsite": {"enabled": False, "type": "s3", "endpoint": "http://127.0.0.1:9000", "bucket": "wpdrill-offsite"},
    },
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
        # The second person's desk exists on a card of two desks only (the unit tests' mismatch).
        "roster": [
            {"name": PERSON, "role": "balie", "services": ["register"]},
            {"name": "svermeulen", "role": "balie", "services": ["register"]},
        ],
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

# The baseline a lab desk can take: the workplace scenario's exclusions (molecule/workplace/vars/
# lab_desk_baseline.yml: audit rules and auditd, which a container has not, the /tmp remount, apt's
# timers), and AppArmor's state (LZ-MAC-004, LZ-MAC-005), which a virtual PC must have enabled and
# a container cannot: it sees the host's kernel, which runs without AppArmor here. A real desk, a
# VM, runs them all.
LAB_DESK_BASELINE = """---
linux_baseline_host_kind: virtual_pc
linux_baseline_disabled_controls: >-
  {{ ['LZ-UPD-005', 'LZ-UPD-006', 'LZ-AUDIT-062', 'LZ-MNT-001', 'LZ-MAC-004', 'LZ-MAC-005']
     + (lookup('ansible.builtin.file', workplace_lab_audit_catalog) | from_yaml).audit
       | selectattr('type', 'equalto', 'audit_rule') | map(attribute='id') | list }}
"""


def _vaulted(value: str, indent: str) -> str:
    text = encrypt(LAB_VAULT_PASSWORD.read_text(encoding="utf-8").strip(), value)
    return "!vault |\n" + "\n".join(indent + line for line in text.splitlines())


def write_municipality(fleet: Path, desks: int = 1) -> None:
    """The municipality in ``fleet``; ``desks`` is the card's desk count (the inventory has one)."""
    directory = fleet / MUNICIPALITY
    all_vars = directory / "group_vars" / "all"
    all_vars.mkdir(parents=True)
    card = {**CARD, "workplace": {**CARD["workplace"], "desks": desks}}
    (directory / "municipality.yml").write_text("---\n" + yaml.safe_dump(card, sort_keys=False), encoding="utf-8")
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
        + "workplace_first_passwords:\n"
        + "".join(f"  {name}: {_vaulted(password, '    ')}\n" for name, (password, _) in PEOPLE.items())
        + "workplace_totp_secrets:\n"
        + "".join(f"  {name}: {_vaulted(secret, '    ')}\n" for name, (_, secret) in PEOPLE.items()),
        encoding="utf-8",
    )
    desks = directory / "group_vars" / "workplace_desks"
    desks.mkdir(parents=True)
    (desks / "workplace.yml").write_text("---\n" + yaml.safe_dump(DESK_VARS), encoding="utf-8")
    (desks / "lab_desk_baseline.yml").write_text(LAB_DESK_BASELINE, encoding="utf-8")
