"""The gateway's own units run sandboxed: systemd-analyze scores each unit file offline.

The design's bound is an exposure of 2.0 at most. What they keep is CAP_NET_ADMIN (removing
a WireGuard peer, changing an nftables chain, reading handshakes from the kernel's
WireGuard), root (the gateway's files are root's) and the host's network: the documented
exceptions in each unit file.
"""

import re
import subprocess
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parents[3] / "roles" / "vpn_gateway" / "files"
UNITS = ["vpn-gateway-watch.service", "vpn-gateway-expire@.service"]
LIMIT = 2.0


def exposure(unit: Path) -> float:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout + done.stderr)
    assert found, f"systemd-analyze gave no score for {unit.name}:\n{done.stdout}{done.stderr}"
    return float(found.group(1))


@pytest.mark.parametrize("unit", UNITS)
def test_the_unit_is_sandboxed(unit):
    assert exposure(FILES / unit) <= LIMIT


@pytest.mark.parametrize("unit", UNITS)
def test_the_only_capability_kept_is_net_admin(unit):
    text = (FILES / unit).read_text()
    assert re.findall(r"^CapabilityBoundingSet=(.*)$", text, re.M) == ["CAP_NET_ADMIN"]
    assert "AmbientCapabilities" not in text and "NoNewPrivileges=yes" in text


def test_the_end_access_script_may_write_only_the_gateways_own_files():
    text = (FILES / "vpn-gateway-expire@.service").read_text()
    assert "ProtectSystem=strict" in text
    (paths,) = re.findall(r"^ReadWritePaths=(.*)$", text, re.M)
    assert set(paths.split()) == {
        "/etc/vpn_gateway",
        "/var/lib/vpn_gateway",
        "/etc/wireguard",
        "/etc/nftables.d",
        "-/etc/swanctl/conf.d",
    }


def test_an_unsandboxed_unit_would_fail_the_bound(tmp_path):
    """The measure can fail: the same service without its sandbox scores far above the bound."""
    plain = tmp_path / "vpn-gateway-watch.service"
    kept = [line for line in (FILES / UNITS[0]).read_text().splitlines() if not re.match(r"^[A-Z]\w+=", line)]
    kept += ["[Service]", "ExecStart=/usr/local/lib/vpn_gateway/vpn-gateway-watch"]
    plain.write_text("\n".join(kept) + "\n")
    assert exposure(plain) > LIMIT
