"""vpn_gateway_status judges its record by one fact: whether the gateway's WireGuard interface exists.

Run as Ansible runs it, reading this machine's real links (read-only): a name no interface has is a
gateway that carries no supplier, and an interface that exists (the loopback stands in, since the
verdict looks at nothing but its existence) passes.
"""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def status(interface: str) -> dict:
    completed = subprocess.run(
        [sys.executable, str(REPO / "plugins" / "modules" / "vpn_gateway_status.py")],
        input=json.dumps({"ANSIBLE_MODULE_ARGS": {"interface": interface, "endpoint": "vpn1.gem.be:51820"}}),
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "collections"), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        check=False,
        timeout=60,
    )
    assert completed.stdout, completed.stderr
    return json.loads(completed.stdout)


def test_a_gateway_without_its_interface_fails_and_one_with_it_passes():
    missing = status("lzverdict9")
    assert missing["failed"] is False
    assert missing["landingzone_evidence"]["section"] == "vpn"
    record = missing["landingzone_evidence"]["record"]
    assert record["interface"]["up"] is False and record["verdict"] == "fail" == missing["verdict"]
    present = status("lo")["landingzone_evidence"]["record"]
    assert present["interface"]["up"] is True and present["verdict"] == "pass"
