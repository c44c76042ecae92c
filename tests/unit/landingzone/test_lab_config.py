"""The lab reads its hosts from the inventory and refuses what would reach the
host's kernel, before any container is made."""

import textwrap
from pathlib import Path

import pytest

from landingzone.errors import LandingzoneError
from landingzone.lab.desk_image import DESK_IMAGE
from landingzone.lab.municipality_lab import load_lab, neighbour_host_args

ROOT = Path(__file__).resolve().parents[3]


def _fleet(tmp_path: Path, host_line: str, subnet: str = "10.231.99.0/24", extra: str = "") -> Path:
    municipality = tmp_path / "fleet" / "testlab"
    (municipality / "group_vars" / "all").mkdir(parents=True)
    (municipality / "hosts.yml").write_text(
        textwrap.dedent(f"""\
            all:
              hosts:
                testlab-app1: {host_line}
            """)
    )
    (municipality / "group_vars" / "all" / "lab.yml").write_text(
        f"lab_network: lz-testlab\nlab_subnet: {subnet}\nlab_image: localhost/landingzone-lab:bookworm\n{extra}"
    )
    return tmp_path / "fleet"


def test_the_demo_inventory_describes_five_servers_a_desk_and_its_gateway():
    lab = load_lab(ROOT, ROOT / "inventories", "demo")
    names = {h.name for h in lab.hosts}
    assert names == {"demo-app1", "demo-app2", "demo-vpn1", "demo-backup1", "demo-log1", "demo-desk1", "demo-wpgw1"}
    # The desk and its gateway start from the desk image, which has their packages.
    assert {h.name for h in lab.hosts if h.image == DESK_IMAGE} == {"demo-desk1", "demo-wpgw1"}
    vpn = next(h for h in lab.hosts if h.name == "demo-vpn1")
    assert vpn.devices == ["/dev/net/tun"]
    assert all("NET_ADMIN" in h.capabilities for h in lab.hosts)


def test_every_lab_host_resolves_the_other_hosts_names():
    # The lab network has no DNS: a sender reaches the log collector by the name its certificate proves.
    lab = load_lab(ROOT, ROOT / "inventories", "demo")
    app1 = next(h for h in lab.hosts if h.name == "demo-app1")
    args = neighbour_host_args(lab, app1)
    assert args[0::2] == ["--add-host"] * 6
    assert sorted(args[1::2]) == [
        "demo-app2:10.231.10.12",
        "demo-backup1:10.231.10.31",
        "demo-desk1:10.231.10.61",
        "demo-log1:10.231.10.41",
        "demo-vpn1:10.231.10.21",
        "demo-wpgw1:10.231.10.62",
    ]


def test_a_kernel_reaching_capability_is_refused(tmp_path):
    fleet = _fleet(tmp_path, "{lab_address: 10.231.99.5, lab_capabilities: [NET_ADMIN, CAP_SYS_MODULE]}")
    with pytest.raises(LandingzoneError, match=r"hosts.yml: testlab-app1.lab_capabilities: SYS_MODULE"):
        load_lab(ROOT, fleet, "testlab")


def test_a_non_network_sysctl_is_refused(tmp_path):
    fleet = _fleet(tmp_path, "{lab_address: 10.231.99.5, lab_sysctls: {kernel.kptr_restrict: 2}}")
    with pytest.raises(LandingzoneError, match=r"testlab-app1.lab_sysctls: kernel.kptr_restrict"):
        load_lab(ROOT, fleet, "testlab")


def test_an_address_outside_the_subnet_is_refused(tmp_path):
    fleet = _fleet(tmp_path, "{lab_address: 10.1.2.3}")
    with pytest.raises(LandingzoneError, match=r"testlab-app1.lab_address: '10.1.2.3' is not an address in"):
        load_lab(ROOT, fleet, "testlab")


def test_the_demo_lab_is_dual_stack():
    lab = load_lab(ROOT, ROOT / "inventories", "demo")
    assert lab.subnet6 and all(host.address6 for host in lab.hosts)
    vpn = next(h for h in lab.hosts if h.name == "demo-vpn1")
    assert vpn.sysctls == {"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1"}


def test_an_ipv6_address_outside_the_ipv6_subnet_is_refused(tmp_path):
    fleet = _fleet(
        tmp_path, "{lab_address: 10.231.99.5, lab_address6: 'fd00:1::5'}", extra="lab_subnet6: fd00:99::/64\n"
    )
    with pytest.raises(LandingzoneError, match=r"testlab-app1.lab_address6: 'fd00:1::5' is not an address in"):
        load_lab(ROOT, fleet, "testlab")


def test_an_ipv6_address_without_an_ipv6_subnet_is_refused(tmp_path):
    fleet = _fleet(tmp_path, "{lab_address: 10.231.99.5, lab_address6: 'fd00:99::5'}")
    with pytest.raises(
        LandingzoneError, match=r"lab_address6: 'fd00:99::5' is not an address in lab_subnet6 \(not set\)"
    ):
        load_lab(ROOT, fleet, "testlab")


def test_an_unknown_municipality_names_the_missing_file(tmp_path):
    with pytest.raises(LandingzoneError, match=r"nowhere/hosts.yml: no inventory for municipality 'nowhere'"):
        load_lab(ROOT, tmp_path, "nowhere")
