"""Paths, the fixture inventory and a static reading of hosts.yml, shared by the card tests."""

from pathlib import Path

import yaml

from landingzone import cli
from landingzone.card import load_card

ROOT = Path(__file__).resolve().parents[3]
CARDS = ROOT / "tests" / "fixtures" / "cards"
# The lab municipality, and the vault password of its inventory.
DEMO = ROOT / "inventories" / "demo"
DEMO_PASSWORD = ROOT / "lab" / "demo-vault-password"
# The inventory the fixture cards are written against.
FIXTURE_HOSTS = {"gem-app1", "gem-app2", "gem-log1", "gem-vpn1"}
FIXTURE_GROUPS = {"all", "app_servers", "vpn_gateways"}


def inventory_names(hosts_yml: Path) -> tuple[set[str], set[str]]:
    """Hosts and groups of a YAML inventory, without running ansible-inventory (seconds per call)."""
    hosts, groups = set(), set()

    def visit(name, group):
        groups.add(name)
        group = group or {}
        hosts.update(group.get("hosts") or {})
        for child, body in (group.get("children") or {}).items():
            visit(child, body)

    for name, group in (yaml.safe_load(hosts_yml.read_text()) or {}).items():
        visit(name, group)
    return hosts, groups


def load_against_fixtures(path: Path, control_ids: set[str], **kwargs) -> dict:
    """A card loaded against the fixture inventory, without a vault."""
    return load_card(
        path,
        inventory_hosts=FIXTURE_HOSTS,
        inventory_groups=FIXTURE_GROUPS,
        known_control_ids=control_ids,
        vault_secret=None,
        **kwargs,
    )


def run_cli(fleet: Path, capsys, *args) -> tuple[int, str, str]:
    """The CLI run in this process on ``fleet`` with the demo's vault password: (exit code, stdout, stderr)."""
    code = cli.main(["--fleet", str(fleet), "--vault-password-file", str(DEMO_PASSWORD), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err
