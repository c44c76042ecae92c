"""A lab municipality of its own with N desks, their RDP gateway and one service host, for the
proofs and the benchmark of `landingzone workplace`: its own name, lab network and subnet
(10.231.<octet>.0/24), so that it never takes the demo's containers.

Its card is the demo's, with the servers it does not start left out (no offsite copy, no
suppliers) and a roster of as many people as desks; its desks' settings are the demo's
(inventories/demo/group_vars/workplace_*). The people's first passwords and TOTP secrets are
lab-only secrets, vault-encrypted here under the lab's vault password.
"""

import base64
import hashlib
import importlib.util
import re
import shlex
import subprocess
import time
from pathlib import Path

import yaml
from lab_cli import ENV, LAB_VAULT_PASSWORD, ROOT

from landingzone.lab.desk_image import DESK_IMAGE
from landingzone.runner.vault import encrypt

DEMO = ROOT / "inventories" / "demo"
LAB_IMAGE = "localhost/landingzone-lab:bookworm"
# The demo's two people first; the others are named for the benchmark's larger rosters.
PEOPLE = ["lmertens", "svermeulen", "kdewilde", "tjacobs", "hwouters"]
FIRST_PASSWORDS = {
    "lmertens": "Zomer-Kaai-Loket-2026",
    "svermeulen": "Winter-Dok-Balie-2027",
    "kdewilde": "Lente-Haven-Brug-2028",
    "tjacobs": "Herfst-Markt-Toren-2029",
    "hwouters": "Regen-Plein-Poort-2030",
}
DESK_OCTET, GATEWAY_OCTET, APP_OCTET = 60, 50, 11


class VaultValue(str):
    """A value written as a YAML `!vault` scalar."""


yaml.SafeDumper.add_representer(
    VaultValue, lambda dumper, value: dumper.represent_scalar("!vault", str(value), style="|")
)


def first_password(person: str) -> str:
    """A lab-only first password per person that the desks' pwquality and its dictionary take."""
    return FIRST_PASSWORDS[person]


def totp_secret(person: str) -> str:
    """A fixed base32 secret per person (lab only), so that a test can compute their codes."""
    return base64.b32encode(hashlib.sha256(f"workplace lab {person}".encode()).digest()[:20]).decode()


def _workplace_scenario():
    """molecule/workplace's verify: its login through xrdp-sesman's PAM stack and its TOTP codes."""
    verify = ROOT / "molecule" / "workplace" / "tests" / "test_workplace.py"
    spec = importlib.util.spec_from_file_location("workplace_scenario", verify)
    scenario = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scenario)
    return scenario


# The 30-second step of the code each person last gave on each desk.
_CODE_STEPS: dict[tuple[str, str], int] = {}


def pam_login(desk: str, person: str) -> int:
    """The PAM result of the person's first password and current code, through pam_authenticate and
    pam_acct_mgmt as xrdp-sesman calls them on ``desk``: 0 lets the person in. The desk takes a code
    once (DISALLOW_REUSE), a refused login's included: a second login within the same 30 seconds
    waits for the next code, as the person would."""
    scenario = _workplace_scenario()
    if _CODE_STEPS.get((desk, person)) == int(time.time() // 30):
        time.sleep(30 - time.time() % 30 + 0.5)
    now = time.time()
    _CODE_STEPS[(desk, person)] = int(now // 30)
    answer = first_password(person) + scenario.totp(totp_secret(person), now)
    script = scenario.PAM_LOGIN % (shlex.quote(person), shlex.quote(answer))
    ran = subprocess.run(["podman", "exec", desk, "sh", "-c", script], env=ENV, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    return int(ran.stdout.strip())


def desk_name(municipality: str, index: int) -> str:
    return f"{municipality}-desk{index}"


def gateway_name(municipality: str) -> str:
    return f"{municipality}-wpgw1"


def _rename(text: str, municipality: str, octet: int) -> str:
    text = re.sub(r"\bdemo-(app1|app2|backup1|log1|vpn1|s3|desk1|wpgw1)\b", rf"{municipality}-\1", text)
    text = re.sub(r"\b10\.231\.10\.", f"10.231.{octet}.", text)
    text = re.sub(r"\blz-demo\b", f"lz-{municipality}", text)
    return re.sub(r"\.cache/lab/demo\b", f".cache/lab/{municipality}", text)


def _write(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def workplace_fleet(fleet: Path, municipality: str, octet: int, desks: int) -> Path:
    """The municipality's inventory, group variables, vault and card under ``fleet``; its directory."""
    assert 1 <= desks <= len(PEOPLE)
    directory = fleet / municipality
    directory.mkdir(parents=True)
    app = f"{municipality}-app1"
    hosts = {
        "app_servers": {"hosts": {app: {"lab_address": f"10.231.{octet}.{APP_OCTET}", "lab_image": LAB_IMAGE}}},
        "workplace_desks": {
            "hosts": {
                desk_name(municipality, index): {
                    "lab_address": f"10.231.{octet}.{DESK_OCTET + index}",
                    "workplace_address": f"10.231.{octet}.{DESK_OCTET + index}",
                    "lab_image": DESK_IMAGE,
                }
                for index in range(1, desks + 1)
            }
        },
        "workplace_gateways": {
            "hosts": {
                gateway_name(municipality): {
                    "lab_address": f"10.231.{octet}.{GATEWAY_OCTET}",
                    "workplace_address": f"10.231.{octet}.{GATEWAY_OCTET}",
                    "lab_image": DESK_IMAGE,
                }
            }
        },
    }
    _write(directory / "hosts.yml", {"all": {"children": hosts}})
    for name in ("connection.yml", "pki.yml", "lab_baseline.yml", "vault.yml"):
        target = directory / "group_vars" / "all" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_rename((DEMO / "group_vars/all" / name).read_text(encoding="utf-8"), municipality, octet))
    lab = yaml.safe_load((DEMO / "group_vars" / "all" / "lab.yml").read_text(encoding="utf-8"))
    lab.update(
        lab_network=f"lz-{municipality}",
        lab_subnet=f"10.231.{octet}.0/24",
        lab_state_dir=f"{{{{ playbook_dir }}}}/../.cache/lab/{municipality}",
    )
    lab.pop("lab_subnet6", None)
    _write(directory / "group_vars" / "all" / "lab.yml", lab)
    for group in ("workplace_desks", "workplace_gateways"):
        source = next((DEMO / "group_vars" / group).glob("workplace*.yml"))
        target = directory / "group_vars" / group / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_rename(source.read_text(encoding="utf-8"), municipality, octet), encoding="utf-8")
    people = PEOPLE[:desks]
    password = LAB_VAULT_PASSWORD.read_text(encoding="utf-8").splitlines()[0]
    _write(
        directory / "group_vars" / "workplace_desks" / "vault.yml",
        {
            "workplace_first_passwords": {p: VaultValue(encrypt(password, first_password(p))) for p in people},
            "workplace_totp_secrets": {p: VaultValue(encrypt(password, totp_secret(p))) for p in people},
        },
    )
    _write(directory / "municipality.yml", _card(municipality, octet, people, app))
    return directory


def _card(municipality: str, octet: int, people: list[str], app: str) -> dict:
    card = yaml.safe_load(_rename((DEMO / "municipality.yml").read_text(encoding="utf-8"), municipality, octet))
    card.update(name=municipality, display_name=f"Workplace lab {municipality}", suppliers=[], waivers=[])
    # The copy is never made here: the backups are not what this lab proves, and no S3 endpoint starts.
    card["backup"]["offsite"]["enabled"] = False
    card["log_collector"]["host"] = app
    for service in card["services"]:
        service.update(hosts=[app], depends_on=[])
        if service.pop("supplier_role", None):
            service["health_check"] = f"tcp://{app}:443"
    roles = [role["name"] for role in card["workplace"]["roles"]]
    services = {person["name"]: person["services"] for person in card["workplace"]["roster"]}
    card["workplace"]["desks"] = len(people)
    card["workplace"]["roster"] = [
        {"name": p, "role": roles[i % len(roles)], "services": services.get(p, ["website"])}
        for i, p in enumerate(people)
    ]
    return card
