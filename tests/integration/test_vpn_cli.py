"""`landingzone vpn export|revoke` against a real gateway in a dual-stack lab: a gateway
container (wireguard-go, forwarding set at creation) and an internal host, reached over SSH
as always.

The gateway is configured by playbooks/vpn.yml with the card's variables (as AWX runs it),
then the CLI exports the supplier's side (no gateway secret in it, the preshared key only
vault-encrypted, both address families) and revokes the supplier (its peer goes at once,
the run's evidence has the gateway's vpn record). A card with overlapping tunnel addresses,
or with a tunnel address that would take the gateway's default route, stops before any host.
"""

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from lab_cli import BIN, ROOT, landingzone, podman, run

from landingzone.runner.vault import decrypt

MUNICIPALITY = "vpncli"
GATEWAY, APP = "vpncli-gw1", "vpncli-app1"
SUPPLIER = "acme-support"
HANDOVER_PASSWORD = "told to the supplier by phone"


def _wg(*args: str, data: str | None = None) -> str:
    done = subprocess.run(["wg", *args], input=data, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _card(public_key: str, second_tunnel: str) -> dict:
    return {
        "schema_version": 1,
        "name": MUNICIPALITY,
        "nis_code": "99077",
        "cyfun_target_level": "important",
        "data_classification": 3,
        "contacts": [{"role": "security_officer", "name": "Test Officer", "email": "so@vpncli.invalid"}],
        "management_networks": ["10.231.61.0/24"],
        "vpn": {
            "tunnel_networks": ["10.231.204.0/24", "fd00:231:204::/64"],
            "service_networks": ["10.231.61.0/24", "fd00:231:61::/64"],
        },
        "log_collector": {"host": "log.vpncli.invalid", "port": 6514},
        "ntp_servers": ["ntp.vpncli.invalid"],
        "backup": {
            "retention": {"keep_daily": 7, "keep_weekly": 4, "keep_monthly": 6, "keep_yearly": 1},
            "offsite": {"type": "s3", "endpoint": "http://127.0.0.1:9000", "bucket": "vpncli-backup"},
        },
        "suppliers": [
            {
                "name": SUPPLIER,
                "contact": "support@acme.invalid",
                "vpn": {
                    "protocol": "wireguard",
                    "public_key": public_key,
                    "tunnel_address": ["10.231.204.2/32", "fd00:231:204::2/128"],
                },
                "access": [{"host": APP, "port": 443, "proto": "tcp"}],
                "expires": "2099-12-31T23:00:00+01:00",
            },
            {
                "name": "other-supplier",
                "contact": "support@other.invalid",
                "vpn": {
                    "protocol": "wireguard",
                    "public_key": _wg("pubkey", data=_wg("genkey")),
                    "tunnel_address": second_tunnel,
                },
                "access": [{"host": APP, "port": 22, "proto": "tcp"}],
                "expires": "2099-12-31T23:00:00+01:00",
            },
        ],
    }


def _write_fleet(fleet: Path, card: dict) -> Path:
    municipality = fleet / MUNICIPALITY
    (municipality / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
    (municipality / "municipality.yml").write_text("---\n" + yaml.safe_dump(card, sort_keys=False))
    hosts = {
        "all": {
            "children": {
                "vpn_gateways": {
                    "hosts": {
                        GATEWAY: {
                            "lab_address": "10.231.61.21",
                            "lab_address6": "fd00:231:61::21",
                            "lab_devices": ["/dev/net/tun"],
                            "lab_sysctls": {"net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": 1},
                        }
                    }
                },
                "app_servers": {"hosts": {APP: {"lab_address": "10.231.61.11", "lab_address6": "fd00:231:61::11"}}},
            }
        }
    }
    (municipality / "hosts.yml").write_text("---\n" + yaml.safe_dump(hosts, sort_keys=False))
    state_dir = ROOT / ".cache" / "lab" / MUNICIPALITY
    lab = {
        "lab_network": "lz-vpncli",
        "lab_subnet": "10.231.61.0/24",
        "lab_subnet6": "fd00:231:61::/64",
        "lab_image": "localhost/landingzone-lab:bookworm",
        "lab_capabilities": ["NET_ADMIN"],
        "lab_state_dir": str(state_dir),
        "ansible_connection": "ssh",
        "ansible_user": "operator",
        "ansible_become": True,
        "ansible_ssh_private_key_file": f"{state_dir}/operator_ed25519",
        "ansible_ssh_common_args": f"-F {state_dir}/ssh_config",
        "ansible_python_interpreter": "/usr/bin/python3",
    }
    (municipality / "group_vars" / "all" / "lab.yml").write_text("---\n" + yaml.safe_dump(lab, sort_keys=False))
    return municipality


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    fleet = tmp_path_factory.mktemp("vpn-fleet")
    public_key = _wg("pubkey", data=_wg("genkey"))
    municipality = _write_fleet(fleet, _card(public_key, "10.231.204.3/32"))
    try:
        up = landingzone(fleet, "lab", "up", MUNICIPALITY)
        assert up.returncode == 0, up.stdout + up.stderr
        card_vars = landingzone(fleet, "card-vars", MUNICIPALITY)
        assert card_vars.returncode == 0, card_vars.stderr
        vars_file = fleet / "card-vars.yml"
        vars_file.write_text(card_vars.stdout)
        inventory = str(municipality / "hosts.yml")
        playbook = [BIN / "ansible-playbook", "-i", inventory, "playbooks/vpn.yml", "-e", f"@{vars_file}"]
        applied = run(playbook, timeout=600)
        assert applied.returncode == 0, applied.stdout[-4000:] + applied.stderr[-2000:]
        yield fleet
    finally:
        landingzone(fleet, "lab", "down", MUNICIPALITY)


def _on_gateway(*command: str) -> str:
    return podman("exec", GATEWAY, *command)


@pytest.mark.lab
def test_export_holds_no_gateway_secret_and_the_psk_only_vault_encrypted(fleet, tmp_path):
    password_file = tmp_path / "handover"
    password_file.write_text(HANDOVER_PASSWORD + "\n")
    out = tmp_path / "export"
    result = landingzone(
        fleet,
        "--json",
        "vpn",
        "export",
        MUNICIPALITY,
        SUPPLIER,
        "--handover-password-file",
        str(password_file),
        "--output",
        str(out),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    files = {Path(p).name: Path(p).read_text() for p in json.loads(result.stdout)["files"]}
    conf = files[f"{MUNICIPALITY}-{GATEWAY}.conf"]
    gateway_private = _on_gateway("cat", "/etc/wireguard/lzwg0.key").strip()
    psk = _on_gateway("cat", f"/etc/wireguard/lzwg0.psk.d/{SUPPLIER}.psk").strip()
    gateway_public = _on_gateway("wg", "show", "lzwg0", "public-key").strip()
    everything = "".join(files.values()) + result.stdout + result.stderr
    assert gateway_private not in everything
    assert psk not in everything
    assert f"PublicKey = {gateway_public}" in conf
    assert "AllowedIPs = 10.231.204.1/32, fd00:231:204::1/128, 10.231.61.11/32, fd00:231:61::11/128" in conf
    assert "Address = 10.231.204.2/32, fd00:231:204::2/128" in conf
    assert decrypt(HANDOVER_PASSWORD, files[f"{MUNICIPALITY}-{GATEWAY}.psk.vault"], "psk") == psk
    # The fetched plain copy is gone from the controller.
    assert not list(Path("/tmp").glob("vpn-export-*/**/preshared.key"))


@pytest.mark.lab
def test_revoke_ends_access_at_once_with_evidence(fleet):
    peers_before = _on_gateway("wg", "show", "lzwg0", "peers").split()
    assert len(peers_before) == 2
    result = landingzone(fleet, "--json", "vpn", "revoke", MUNICIPALITY, SUPPLIER)
    assert result.returncode == 0, result.stdout + result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["revoked"] is True
    assert len(_on_gateway("wg", "show", "lzwg0", "peers").split()) == 1
    ended = json.loads(_on_gateway("cat", "/var/lib/vpn_gateway/ended.json"))
    assert ended[SUPPLIER]["reason"] == "revoked"
    results = json.loads((Path(outcome["evidence_dir"]) / "results.json").read_text())
    (record,) = results["vpn"][GATEWAY]
    assert record["ended"][SUPPLIER]["reason"] == "revoked"
    assert "other-supplier" in record["suppliers"]
    # An export for the revoked supplier is refused: the gateway no longer carries it.
    password_file = fleet / "handover"
    password_file.write_text(HANDOVER_PASSWORD + "\n")
    export = ["vpn", "export", MUNICIPALITY, SUPPLIER, "--handover-password-file", str(password_file)]
    refused = landingzone(fleet, *export)
    assert refused.returncode == 2
    assert f"does not carry supplier {SUPPLIER}" in refused.stderr


@pytest.mark.lab
@pytest.mark.parametrize(
    ("tunnel_address", "field", "said"),
    [
        ("10.231.204.2/31", "suppliers[1].vpn.tunnel_address", "overlaps 10.231.204.2/32"),
        ("0.0.0.0/0", "suppliers[1].vpn.tunnel_address", "is not inside the gateway's tunnel network 10.231.204.0/24"),
        (["10.231.204.3/32", "::/0"], "suppliers[1].vpn.tunnel_address[1]", "::/0 is not inside"),
    ],
    ids=["overlap", "ipv4-default-route", "ipv6-default-route"],
)
def test_a_tunnel_address_that_could_take_a_network_stops_before_any_host(fleet, tunnel_address, field, said):
    card_file = fleet / MUNICIPALITY / "municipality.yml"
    original = card_file.read_text()
    card = yaml.safe_load(original)
    card["suppliers"][1]["vpn"]["tunnel_address"] = tunnel_address
    card_file.write_text("---\n" + yaml.safe_dump(card, sort_keys=False))
    runs = fleet / ".landingzone" / "runs" / MUNICIPALITY
    before = sorted(runs.iterdir()) if runs.exists() else []
    try:
        result = landingzone(fleet, "vpn", "revoke", MUNICIPALITY, SUPPLIER)
    finally:
        card_file.write_text(original)
    assert result.returncode == 2
    assert f"{field}: " in result.stderr and said in result.stderr, result.stderr
    assert (sorted(runs.iterdir()) if runs.exists() else []) == before
