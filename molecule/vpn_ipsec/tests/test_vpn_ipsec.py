"""An IPsec supplier through the gateway: IKEv2 with certificates, modern proposals only,
and only its listed host and port. Connections are real TCP connects from an address of
the supplier's own network, with a short timeout."""

import json
import os
import subprocess
import time

import testinfra

GATEWAY, SUPPLIER, APP1 = "lz-ipsec-gw", "lz-ipsec-supplier", "lz-ipsec-app1"
SUPPLIER_ADDRESS = "10.231.202.2"
CONNECTION = "supplier-beta-ipsec"
COUNTER = "supplier_beta_ipsec_dropped"


def host(name):
    return testinfra.get_host(f"podman://{name}")


def address(name):
    return host(name).check_output("ip -4 -o route get 1.1.1.1").split(" src ")[1].split()[0]


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


def connects(target, port, timeout=2.0):
    script = (
        "import socket,sys\n"
        "s = socket.socket()\n"
        f"s.settimeout({timeout})\n"
        f"s.bind(('{SUPPLIER_ADDRESS}', 0))\n"
        f"try:\n s.connect(('{target}', {port}))\n"
        "except OSError:\n sys.exit(1)\n"
    )
    return host(SUPPLIER).run(f'python3 -c "{script}"').rc == 0


def counter(name=COUNTER):
    out = host(GATEWAY).check_output(f"nft -j list counter inet vpn_gateway {name}")
    return json.loads(out)["nftables"][1]["counter"]["packets"]


def established():
    return "ESTABLISHED" in host(GATEWAY).run(f"swanctl --list-sas --ike {CONNECTION}").stdout


def test_ike_sa_is_established_with_modern_proposals_only():
    assert wait_for(established, 20)
    sas = host(GATEWAY).check_output(f"swanctl --list-sas --ike {CONNECTION}")
    assert "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384" in sas
    assert "INSTALLED" in sas and "AES_GCM_16-256" in sas
    conns = host(GATEWAY).check_output("swanctl --list-conns")
    assert "IKEv2" in conns and "public key authentication" in conns


def test_tunnel_carries_traffic_to_the_listed_host_and_port():
    app1 = address(APP1)
    assert wait_for(lambda: connects(app1, 8443), 15)


def test_everything_else_is_dropped_and_counted():
    app1 = address(APP1)
    before = counter()
    assert not connects(app1, 22)
    assert counter() > before


def test_tunnel_up_is_logged_to_the_journal():
    journal = host(GATEWAY).run("journalctl -t vpn-gateway --no-pager").stdout
    assert f"ipsec tunnel {CONNECTION} up" in journal


def test_status_module_reports_the_sa_as_evidence():
    env = dict(os.environ)
    done = subprocess.run(
        [
            "ansible",
            "-i",
            env["MOLECULE_INVENTORY_FILE"],
            GATEWAY,
            "-m",
            "cyberveilig.landingzone.vpn_gateway_status",
            "-a",
            "interface=lzwgipsec0",
            "-o",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result, _ = json.JSONDecoder().raw_decode(done.stdout.split("=>", 1)[1].strip())
    record = result["landingzone_evidence"]["record"]
    assert result["landingzone_evidence"]["section"] == "vpn"
    assert record["suppliers"]["beta-ipsec"]["ipsec_sa"] == "ESTABLISHED"
    assert record["suppliers"]["beta-ipsec"]["dropped"]["packets"] > 0
    assert "PRIVATE" not in done.stdout
