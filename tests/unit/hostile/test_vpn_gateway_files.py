"""Hostile strings in the files the VPN gateway writes (its wg-quick file, its nftables drop-in,
its swanctl connections, gateway.json): every value from the card or the inventory is refused
by the module, naming its parameter, before any file is written or any command run; what
passes is read by the real wg-quick and the real nft as it was meant.

swanctl reads its files only through a running charon (vici); no parser runs without one, so
the IKE identity and the local networks are proven by refusal: each hostile string is refused."""

import copy
import shutil
import sys
from pathlib import Path

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import (
    addresses,
    gateway_values,
    nftables,
    plan,
    swanctl,
    wireguard,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "vpn"))
from hostile_strings import HOSTILE, PLACEHOLDER, inert, run  # noqa: E402
from vpn_testdata import ADDRESSES, MANAGEMENT, NOW, TUNNEL, wg_key  # noqa: E402
from wg_quick import available, wg_quick_reads  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (available() and shutil.which("nft") and shutil.which("unshare")), reason="needs wg-quick, nft and unshare"
)

KEY = wg_key()
PARAMS = {
    "interface": "lzwg0",
    "ipsec_interface": "ipsec0",
    "endpoint": "vpn.demo.invalid",
    "ipsec_id": "demo-vpn1",
    "ipsec_local_networks": ["10.231.250.0/24"],
}
SUPPLIER = {
    "name": "acme-support",
    "vpn": {"protocol": "wireguard", "public_key": KEY, "tunnel_address": ["10.231.201.2/32", "fd00:231:201::2/128"]},
    "access": [{"host": "app1", "port": 8443, "proto": "tcp"}],
    "expires": "2027-06-30T18:00:00+02:00",
}


def _params(field, value):
    params = copy.deepcopy(PARAMS)
    if field == "ipsec_local_networks":
        value = [value]
    params[field] = value
    return gateway_values.checked(params)


def _dropin(interface="lzwg0", ipsec_interface="", supplier_name="acme-support"):
    decided = plan.build([dict(SUPPLIER, name=supplier_name)], ADDRESSES, {}, {}, {}, NOW, TUNNEL)
    return nftables.render(decided["active"], [], interface, ipsec_interface, TUNNEL, MANAGEMENT)


def _nft_reads(text: str) -> list[str]:
    """The drop-in as nft loads it into a network namespace of its own and prints it back."""
    script = 'printf %s "$1" | nft -f - && nft list ruleset'
    printed = run(["unshare", "--net", "sh", "-c", script, "nft-reads", text])
    return [line.strip() for line in printed.splitlines() if line.strip()]


def _wg_file(supplier_name="acme-support"):
    decided = plan.build([dict(SUPPLIER, name=supplier_name)], ADDRESSES, {}, {}, {}, NOW, TUNNEL)
    peers = [dict(peer, supplier=s["name"]) for s in decided["active"] for peer in s["peers"]]
    return wireguard.render(["10.231.201.1/24"], 51820, KEY, peers, {s["name"]: KEY for s in decided["active"]})


@pytest.mark.parametrize("field", ["interface", "ipsec_interface"])
@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_interface_name_never_reaches_the_dropin(field, hostile):
    def render(value):
        checked = _params(field, value)
        return _dropin(checked["interface"], checked["ipsec_interface"])

    assert inert(render, _nft_reads, HOSTILE[hostile]) == "refused"


def test_every_character_an_interface_name_may_hold_stays_inside_nfts_quotes():
    name = "w=g+0.-_Z9"
    assert f'iifname "{name}" ip saddr 10.231.201.2 jump supplier_acme_support' in _nft_reads(_dropin(name))


@pytest.mark.parametrize("field", ["endpoint", "ipsec_id", "ipsec_local_networks", "interface", "ipsec_interface"])
@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_gateway_value_is_refused_naming_its_parameter(field, hostile):
    with pytest.raises(addresses.AddressError) as refused:
        _params(field, HOSTILE[hostile])
    assert str(refused.value).startswith(f"{field}"), refused.value


NEIGHBOURS = {
    "endpoint, a final newline": ("endpoint", "vpn.demo.invalid\n"),
    "endpoint, with a port": ("endpoint", "vpn.demo.invalid:51820"),
    "endpoint, an IPv6 zone": ("endpoint", "fe80::1%lzwg0"),
    "endpoint, a name in brackets": ("endpoint", "[vpn.demo.invalid]"),
    "ipsec id, a quote and a brace": ("ipsec_id", 'demo-vpn1" } connections { x {'),
    "ipsec id, a final newline": ("ipsec_id", "demo-vpn1\n"),
    "ipsec id, two at signs": ("ipsec_id", "a@b@demo.invalid"),
    "local network, two in one": ("ipsec_local_networks", "10.231.250.0/24,0.0.0.0/0"),
    "local network, a zone": ("ipsec_local_networks", "fe80::%lzwg0/64"),
    "interface, 16 characters": ("interface", "a" * 16),
    "interface, empty": ("interface", ""),
    "interface, a slash": ("interface", "../wg0"),
}


@pytest.mark.parametrize("case", NEIGHBOURS)
def test_neighbouring_gateway_values_are_refused(case):
    field, value = NEIGHBOURS[case]
    with pytest.raises(addresses.AddressError, match=f"^{field}"):
        _params(field, value)


@pytest.mark.parametrize(
    ("field", "value", "kept"),
    [
        ("endpoint", "[fd00:231:9::1]", "fd00:231:9::1"),
        ("endpoint", "", ""),
        ("ipsec_id", "gateway+ike@demo.invalid", "gateway+ike@demo.invalid"),
        ("ipsec_id", "fd00:231:9::1", "fd00:231:9::1"),
        ("ipsec_interface", "", ""),
        ("ipsec_local_networks", "10.231.250.5/24", ["10.231.250.5/24"]),
    ],
)
def test_good_gateway_values_pass_as_meant(field, value, kept):
    assert _params(field, value)[field] == kept


def test_the_ike_identity_that_passes_sits_inside_swanctls_quotes():
    checked = _params("ipsec_id", "gateway+ike@demo.invalid")
    supplier = {"name": "acme-support", "protocol": "ipsec", "access": [], "tunnel_addresses": ["10.231.201.16/28"]}
    text = swanctl.render([supplier], checked["ipsec_id"], checked["ipsec_local_networks"])
    assert '            id = "gateway+ike@demo.invalid"' in text.splitlines()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_supplier_name_never_reaches_the_wg_quick_file(hostile):
    assert inert(_wg_file, wg_quick_reads, HOSTILE[hostile]) == "refused"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_supplier_name_never_reaches_the_dropin(hostile):
    assert inert(lambda name: _dropin(supplier_name=name), _nft_reads, HOSTILE[hostile]) == "refused"


def test_the_placeholder_supplier_reaches_both_files():
    """The refusals above are the module's, not a render that never carried the name."""
    assert any(PLACEHOLDER in line for line in _nft_reads(_dropin(supplier_name=PLACEHOLDER)))
    assert ("#", f" supplier {PLACEHOLDER} (current key)") in wg_quick_reads(_wg_file(PLACEHOLDER))["wg"]


@pytest.mark.parametrize(
    ("field", "value"), [("name", "acme-support\n"), ("public_key", KEY + "\n")], ids=["name", "key"]
)
def test_a_final_newline_in_a_supplier_name_or_key_is_refused(field, value):
    supplier = copy.deepcopy(SUPPLIER)
    if field == "name":
        supplier["name"] = value
    else:
        supplier["vpn"]["public_key"] = value
    with pytest.raises(plan.PlanError, match=field):
        plan.build([supplier], ADDRESSES, {}, {}, {}, NOW, TUNNEL)
