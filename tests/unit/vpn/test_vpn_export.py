"""The supplier's exported configuration: never a gateway secret, the preshared key only vault-encrypted."""

import pytest
from vpn_testdata import wg_key

from landingzone.runner.vault import decrypt
from landingzone.vpn.export import PRIVATE_KEY_PLACEHOLDER, Handover, ipsec_files, wireguard_files

PSK = "y5q8mJ0bq1Jm9f4l8H2mV3ZcR2s6T0k5nW7xQ1a2b3c="
PASSWORD = "handover password given to the supplier by phone"
ACCESS = [
    {"host": "app1", "address": "10.231.250.11", "port": 8443, "proto": "tcp"},
    {"host": "app1", "address": "fd00:231:250::11", "port": 8443, "proto": "tcp"},
]


@pytest.fixture
def handover():
    return Handover(
        gateway="demo-vpn1",
        public_key=wg_key(),
        endpoint="vpn.demo.invalid",
        listen_port=51820,
        interface_addresses=("10.231.200.1/24", "fd00:231:200::1/64"),
        ipsec_id="demo-vpn1",
        certificate="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )


def test_wireguard_export_has_the_gateways_public_side_only(supplier, handover):
    files = wireguard_files("demo", supplier, handover, ACCESS, PSK, PASSWORD)
    conf = files["demo-demo-vpn1.conf"]
    assert f"PublicKey = {handover.public_key}" in conf
    assert "Endpoint = vpn.demo.invalid:51820" in conf
    assert "AllowedIPs = 10.231.200.1/32, fd00:231:200::1/128, 10.231.250.11/32, fd00:231:250::11/128" in conf
    assert "Address = 10.231.201.2/32, fd00:231:201::2/128" in conf
    assert f"PrivateKey = {PRIVATE_KEY_PLACEHOLDER}" in conf
    # The one private-key line is the supplier's placeholder; no key material of any kind.
    assert [line for line in conf.splitlines() if line.startswith("PrivateKey")] == [
        f"PrivateKey = {PRIVATE_KEY_PLACEHOLDER}"
    ]


def test_the_preshared_key_is_only_vault_encrypted(supplier, handover):
    files = wireguard_files("demo", supplier, handover, ACCESS, PSK, PASSWORD)
    for name, content in files.items():
        assert PSK not in content, f"{name} holds the preshared key in plain text"
    vaulted = files["demo-demo-vpn1.psk.vault"]
    assert vaulted.startswith("$ANSIBLE_VAULT;")
    assert decrypt(PASSWORD, vaulted, "psk") == PSK


def test_rotation_export_gives_the_next_tunnel_address(supplier, handover, keys):
    supplier["vpn"].update(next_public_key=keys[1], next_tunnel_address=["10.231.201.3/32", "fd00:231:201::3/128"])
    files = wireguard_files("demo", supplier, handover, ACCESS, PSK, PASSWORD)
    assert "Address = 10.231.201.3/32, fd00:231:201::3/128" in files["demo-demo-vpn1.next.conf"]


def test_ipsec_export_is_swanctl_with_modern_proposals_and_no_secret(supplier, handover):
    supplier["vpn"] = {"protocol": "ipsec", "certificate": "PEM", "tunnel_address": "10.231.201.16/28"}
    files = ipsec_files("demo", supplier, handover, ACCESS)
    conf = files["demo-demo-vpn1.swanctl.conf"]
    assert "proposals = aes256gcm16-prfsha384-ecp384" in conf
    assert "esp_proposals = aes256gcm16-ecp384" in conf
    assert "encap = yes" in conf
    assert "local_ts = 10.231.201.16/28" in conf
    assert "remote_ts = 10.231.250.11/32,fd00:231:250::11/128" in conf
    assert "PRIVATE KEY" not in "".join(files.values())
