"""The end-access script edits the files the module wrote: it removes exactly one supplier's
peers from the wg-quick file and leaves its nftables chain drop-only."""

from pathlib import Path

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import names, nftables, plan, wireguard
from role_script import load_role_script
from vpn_testdata import ADDRESSES, MANAGEMENT, NOW, TUNNEL

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "vpn_gateway" / "files" / "vpn-gateway-end-access"


def _script():
    return load_role_script(SCRIPT, "vpn_gateway_end_access")


def _two_suppliers(supplier, keys):
    other = {**supplier, "name": "other", "vpn": {**supplier["vpn"], "public_key": keys[1]}}
    other["vpn"]["tunnel_address"] = ["10.231.201.9/32", "fd00:231:201::9/128"]
    return plan.build([supplier, other], ADDRESSES, {}, {}, {}, NOW, TUNNEL)["active"]


def test_only_the_ended_suppliers_peer_leaves_the_wireguard_file(supplier, keys):
    active = _two_suppliers(supplier, keys)
    peers = [dict(p, supplier=s["name"]) for s in active for p in s["peers"]]
    conf = wireguard.render(["10.231.201.1/24"], 51820, "PRIV", peers, {"acme-support": "PSK1", "other": "PSK2"})
    edited = _script().without_peers(conf, [keys[0]])
    assert keys[0] not in edited and "PSK1" not in edited and "# supplier acme-support" not in edited
    assert f"PublicKey = {keys[1]}" in edited and "PSK2" in edited and "PrivateKey = PRIV" in edited


def test_the_ended_suppliers_chain_becomes_drop_only(supplier, keys):
    active = _two_suppliers(supplier, keys)
    dropin = nftables.render(active, [], "lzwg0", "", TUNNEL, MANAGEMENT)
    name = "acme-support"
    edited = _script().drop_only(dropin, names.supplier_chain(name), names.supplier_counter(name))
    chain = edited.split(f"chain {names.supplier_chain(name)} {{")[1].split("}")[0]
    assert "accept" not in chain and f'counter name "{names.supplier_counter(name)}" drop' in chain
    # The other supplier keeps its access, over both families.
    assert edited.count("tcp dport 8443 accept") == 2
