"""`landingzone vpn export` against a gateway an attacker holds: every value it reads from the
gateway's state (gateway.json, the gateway's certificate, the suppliers map, the preshared key)
is refused, naming the gateway and the field, before any file is written; or it reaches the
supplier's wg-quick file without changing what the real wg-quick reads from it.

The fetched directory is made here as the role's export tasks fetch it (the run that fetches it
needs a gateway; the checks start from the directory)."""

import copy
import json
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "vpn"))
from hostile_strings import HOSTILE, inert  # noqa: E402
from vpn_testdata import wg_key  # noqa: E402
from wg_quick import available, wg_quick_reads  # noqa: E402

from landingzone import pki  # noqa: E402
from landingzone.errors import LandingzoneError  # noqa: E402
from landingzone.runner.job import Municipality  # noqa: E402
from landingzone.vpn.commands import _export_files  # noqa: E402
from landingzone.vpn.export import Handover, wireguard_files  # noqa: E402

pytestmark = pytest.mark.skipif(not available(), reason="needs wg-quick and bash, as root")

GATEWAY = "demo-vpn1"
SUPPLIER = "acme-support"
PASSWORD = "handover password given to the supplier by phone"
CONF = f"demo-{GATEWAY}.conf"
SWANCTL = f"demo-{GATEWAY}.swanctl.conf"
KEY, PSK = wg_key(), wg_key()
CA = pki.new_ca("test CA")


PEM = pki.issue_certificate(*CA, GATEWAY, [GATEWAY])[0].public_bytes(serialization.Encoding.PEM).decode()
STATE = {
    "interface": "wg0",
    "public_key": KEY,
    "endpoint": "vpn.demo.invalid",
    "listen_port": 51820,
    "interface_addresses": ["10.231.200.1/24", "fd00:231:200::1/64"],
    "ipsec_id": GATEWAY,
    "suppliers": {
        SUPPLIER: {
            "protocol": "wireguard",
            "access": [
                {"host": "app1", "address": "10.231.250.11", "port": 8443, "proto": "tcp"},
                {"host": "app1", "address": "fd00:231:250::11", "port": 8443, "proto": "tcp"},
            ],
            "ipsec_local_ts": None,
        }
    },
}
ACCESS = f"suppliers.{SUPPLIER}.access"
MUNICIPALITY = Municipality(name="demo", nis_code="99999", inventory_dir=Path("/nonexistent"), hosts=[GATEWAY])


def _supplier(protocol="wireguard"):
    addresses = ["10.231.201.2/32", "fd00:231:201::2/128"]
    vpn = {"protocol": "wireguard", "public_key": wg_key(), "tunnel_address": addresses}
    if protocol == "ipsec":
        vpn = {"protocol": "ipsec", "certificate": "PEM", "tunnel_address": "10.231.201.16/28"}
    return {"name": SUPPLIER, "vpn": vpn, "expires": "2027-06-30T18:00:00+02:00"}


def _fetched(tmp_path: Path, state: dict, certificate: str = PEM, psk: str = PSK + "\n", gateway=GATEWAY) -> Path:
    """A work directory as the role's export tasks leave it: one directory per gateway."""
    work = Path(tmp_path, "work")
    work.mkdir(parents=True, exist_ok=True)
    directory = work / gateway
    directory.mkdir()
    (directory / "gateway.json").write_text(json.dumps(state))
    (directory / "gateway.crt").write_text(certificate)
    (directory / "preshared.key").write_text(psk)
    return work


def _export(tmp_path: Path, state: dict, protocol="wireguard", **fetched) -> dict:
    work = _fetched(tmp_path, state, **fetched)
    password = PASSWORD if protocol == "wireguard" else None
    return _export_files(work, MUNICIPALITY, _supplier(protocol), password)


def _with(path: str, value) -> dict:
    """STATE with the value at ``path`` (dotted, list indices as numbers) replaced."""
    state = copy.deepcopy(STATE)
    *parents, last = path.split(".")
    target = state
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    target[int(last) if isinstance(target, list) else last] = value
    return state


# Where each field's value lands in the supplier's file, and a field name the refusal must give.
FIELDS = {
    "endpoint": ("vpn.demo.invalid", "endpoint"),
    "public_key": (KEY, "public_key"),
    # AllowedIPs takes the gateway's own address as a host network.
    "interface_addresses.0": ("10.231.200.1/32", "interface_addresses[0]"),
    "ipsec_id": (GATEWAY, "ipsec_id"),
    f"suppliers.{SUPPLIER}.access.0.host": ("app1", f"{ACCESS}[0]: host"),
    f"suppliers.{SUPPLIER}.access.0.address": ("10.231.250.11", f"{ACCESS}[0]: address"),
    f"suppliers.{SUPPLIER}.access.0.proto": ("tcp", f"{ACCESS}[0]: proto"),
}


def _refused_names_it(tmp_path: Path, state: dict, field: str, protocol="wireguard", **fetched):
    with pytest.raises(LandingzoneError) as refused:
        _export(tmp_path, state, protocol, **fetched)
    message = str(refused.value)
    assert message.startswith(f"vpn export: gateway {GATEWAY}: "), message
    assert f": {field}: " in message, message
    assert "\n" not in message, "a value's newline reached the message"
    return message


def test_a_good_state_exports_and_wg_quick_reads_what_was_meant(tmp_path):
    files = _export(tmp_path, STATE)
    read = wg_quick_reads(files[CONF])
    assert read["wg-quick"]["ADDRESSES"] == ["10.231.201.2/32", "fd00:231:201::2/128"]
    assert not any(read["wg-quick"][name] for name in ("PRE_UP", "POST_UP", "PRE_DOWN", "POST_DOWN", "DNS"))
    assert [line for line in read["wg"] if line[0] != "#"] == [
        ("[Interface]", ""),
        ("PrivateKey", "<the supplier's own private key: wg genkey, kept by the supplier>"),
        ("[Peer]", ""),
        ("PublicKey", KEY),
        ("PresharedKey", f"<the preshared key: ansible-vault view demo-{GATEWAY}.psk.vault>"),
        ("Endpoint", "vpn.demo.invalid:51820"),
        ("AllowedIPs", "10.231.200.1/32, fd00:231:200::1/128, 10.231.250.11/32, fd00:231:250::11/128"),
        ("PersistentKeepalive", "25"),
    ]
    assert ("#", "   app1 (10.231.250.11) tcp/8443") in read["wg"]


def test_without_the_checks_a_newline_in_the_endpoint_gives_wg_quick_a_command(tmp_path):
    """The attack is real, and wg_quick_reads sees it: the reason for the checks."""
    canary = tmp_path / "canary"
    endpoint = f"vpn.demo.invalid:1\n[Interface]\nPostUp = touch {canary}\n[Peer]\nEndpoint = vpn.demo.invalid"
    handover = Handover(GATEWAY, KEY, endpoint, 51820, ("10.231.200.1/24",))
    conf = wireguard_files("demo", _supplier(), handover, STATE["suppliers"][SUPPLIER]["access"], PSK, PASSWORD)
    assert wg_quick_reads(conf[CONF])["wg-quick"]["POST_UP"] == [f"touch {canary}"]


@pytest.mark.parametrize("path", FIELDS)
@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_value_in_the_gateways_state_is_refused_or_inert(tmp_path, path, hostile):
    placeholder, field = FIELDS[path]
    count = iter(range(1000))

    def render(value: str) -> str:
        try:
            return _export(tmp_path / str(next(count)), _with(path, value))[CONF]
        except LandingzoneError as exc:
            assert f": {field}: " in str(exc), exc
            raise ValueError(str(exc)) from None

    assert inert(render, wg_quick_reads, HOSTILE[hostile], placeholder=placeholder) == "refused"


NEIGHBOURS = {
    "endpoint, a final newline": ("endpoint", "vpn.demo.invalid\n", "endpoint"),
    "endpoint, a PostUp line": ("endpoint", "vpn.demo.invalid\nPostUp = id", "endpoint"),
    "endpoint, with a port": ("endpoint", "vpn.demo.invalid:22", "endpoint"),
    "endpoint, an IPv6 zone": ("endpoint", "fe80::1%wg0", "endpoint"),
    "endpoint, a name in brackets": ("endpoint", "[vpn.demo.invalid]", "endpoint"),
    "endpoint, brackets and a port": ("endpoint", "[fd00::1]:22", "endpoint"),
    "endpoint, empty": ("endpoint", "", "endpoint"),
    "endpoint, not a string": ("endpoint", ["vpn.demo.invalid"], "endpoint"),
    "port 0": ("listen_port", 0, "listen_port"),
    "port 65536": ("listen_port", 65536, "listen_port"),
    "port as text with a newline": ("listen_port", "22\n", "listen_port"),
    "port as text": ("listen_port", "51820", "listen_port"),
    "port true": ("listen_port", True, "listen_port"),
    "port as a float": ("listen_port", 51820.0, "listen_port"),
    "public key, a final newline": ("public_key", KEY + "\n", "public_key"),
    "public key, one character short": ("public_key", KEY[:-2] + "=", "public_key"),
    "public key, not base64 of 32 bytes": ("public_key", KEY[:-2] + "B=", "public_key"),
    "interface address, a zone": ("interface_addresses.0", "fe80::1%wg0/64", "interface_addresses[0]"),
    "interface address, more text": ("interface_addresses.0", "10.231.200.1/24, 0.0.0.0/0", "interface_addresses[0]"),
    "interface addresses, not a list": ("interface_addresses", "10.231.200.1/24", "interface_addresses"),
    "ipsec id, a quote": ("ipsec_id", 'demo-vpn1" }', "ipsec_id"),
    "ipsec id, a brace": ("ipsec_id", "demo-vpn1}", "ipsec_id"),
    "suppliers, not a mapping": ("suppliers", [SUPPLIER], "suppliers"),
    "access, not a list": (f"suppliers.{SUPPLIER}.access", "app1", f"suppliers.{SUPPLIER}.access"),
    "access port 0": (f"{ACCESS}.0.port", 0, f"{ACCESS}[0]: port"),
    "access port as text": (f"{ACCESS}.0.port", "8443\n", f"{ACCESS}[0]: port"),
    "access address, a network": (f"{ACCESS}.0.address", "0.0.0.0/0", f"{ACCESS}[0]: address"),
    "access host, a final newline": (f"{ACCESS}.0.host", "app1\n", f"{ACCESS}[0]: host"),
    "access proto, icmp": (f"{ACCESS}.0.proto", "icmp", f"{ACCESS}[0]: proto"),
}


@pytest.mark.parametrize("case", NEIGHBOURS)
def test_neighbouring_values_are_refused_naming_the_field(tmp_path, case):
    path, value, field = NEIGHBOURS[case]
    _refused_names_it(tmp_path, _with(path, value), field)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("value", "written"), [("fd00:231:9::1", "[fd00:231:9::1]:51820"), ("[fd00:231:9::1]", "[fd00:231:9::1]:51820")]
)
def test_an_ipv6_endpoint_is_written_in_brackets_with_or_without_them_in_the_state(tmp_path, value, written):
    read = wg_quick_reads(_export(tmp_path, _with("endpoint", value))[CONF])
    assert ("Endpoint", written) in read["wg"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_traffic_selector_is_refused(tmp_path, hostile):
    state = _with(f"suppliers.{SUPPLIER}.ipsec_local_ts", "10.231.250.0/24," + HOSTILE[hostile])
    _refused_names_it(tmp_path, state, f"suppliers.{SUPPLIER}.ipsec_local_ts", protocol="ipsec")


def test_the_ipsec_export_carries_the_checked_values(tmp_path):
    state = _with(f"suppliers.{SUPPLIER}.ipsec_local_ts", "10.231.250.0/24,fd00:231:250::/64")
    files = _export(tmp_path, _with("endpoint", "[fd00:231:9::1]") | {"suppliers": state["suppliers"]}, "ipsec")
    lines = [line.strip() for line in files[SWANCTL].splitlines()]
    assert "remote_addrs = fd00:231:9::1" in lines
    assert f'id = "{GATEWAY}"' in lines
    assert "remote_ts = 10.231.250.0/24,fd00:231:250::/64" in lines
    assert files[f"demo-{GATEWAY}-gateway.crt"] == PEM


CERTIFICATES = {
    "not PEM": "zq\nPostUp = id\nqz",
    "a certificate and more text": PEM + "connections { evil { } }\n",
    "text before the certificate": "include /etc/shadow\n" + PEM,
    "two certificates": PEM + PEM,
    "a truncated certificate": PEM[: len(PEM) // 2],
}


@pytest.mark.parametrize("case", CERTIFICATES)
def test_a_certificate_that_is_not_one_pem_certificate_is_refused(tmp_path, case):
    _refused_names_it(tmp_path, STATE, "(PEM)", certificate=CERTIFICATES[case])


# Named, not shown: a test's id must be the same in every pytest worker, and a key is random.
NOT_KEYS = {
    "empty": "",
    "a newline inside": "zq\nqz",
    "a key and a PostUp line": PSK + "\nPostUp = id\n",
    "one character short": PSK[:-2] + "=",
    "a key and a space": PSK + " ",
}


@pytest.mark.parametrize("case", NOT_KEYS)
def test_a_preshared_key_that_is_not_a_key_is_refused_and_never_shown(tmp_path, case):
    message = _refused_names_it(tmp_path, STATE, "(file)", psk=NOT_KEYS[case])
    assert "preshared key" in message
    assert PSK not in message


def test_a_gateway_name_with_a_newline_is_refused(tmp_path):
    with pytest.raises(LandingzoneError, match="is not a gateway's host name"):
        _export(tmp_path, STATE, gateway="demo-vpn1\nPostUp = id")


def test_one_hostile_gateway_stops_the_export_before_any_file_is_written(tmp_path):
    """Two gateways, the second hostile: nothing is returned to write, not even the first's files."""
    work = _fetched(tmp_path, STATE)
    other = work / "demo-vpn2"
    other.mkdir()
    (other / "gateway.json").write_text(json.dumps(_with("endpoint", "vpn\nPostUp = id")))
    (other / "preshared.key").write_text(PSK)
    with pytest.raises(LandingzoneError, match="gateway demo-vpn2: .*: endpoint: "):
        _export_files(work, MUNICIPALITY, _supplier(), PASSWORD)
