"""The demo's inventory and card under another name and subnet: a lab municipality of its own,
so that a proof on it never takes the containers of `demo` (or of another copy) and can run
beside them under two pytest workers."""

import re
from pathlib import Path

import yaml
from lab_cli import ROOT

DEMO = ROOT / "inventories" / "demo"


WORKPLACE_GROUPS = ("workplace_desks", "workplace_gateways")


def copy_of_demo(fleet: Path, municipality: str, octet: int, workplace: bool = False) -> None:
    """The demo's inventory and card as the fleet's municipality ``municipality``, its hosts,
    lab network, subnets (10.231.<octet>.0/24, fd00:231:<octet>::/64), lab state directory and
    card name renamed. The workplace (the card's section, the desk and the gateway) is left out unless
    ``workplace``: a proof of the servers does not pay for starting and hardening a desktop."""
    renames = (
        (r"\bdemo-(app1|app2|backup1|log1|vpn1|s3|desk1|wpgw1)\b", rf"{municipality}-\1"),
        (r"\blz-demo\b", f"lz-{municipality}"),
        (r"\b10\.231\.10\.", f"10.231.{octet}."),
        (r"\bfd00:231:10:", f"fd00:231:{octet}:"),
        (r"\.cache/lab/demo\b", f".cache/lab/{municipality}"),
        (r"(?m)^name: demo$", f"name: {municipality}"),
    )
    for source in DEMO.rglob("*"):
        target = fleet / municipality / source.relative_to(DEMO)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        text = source.read_text(encoding="utf-8")
        for pattern, replacement in renames:
            text = re.sub(pattern, replacement, text)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    if not workplace:
        hosts_file = fleet / municipality / "hosts.yml"
        inventory = yaml.safe_load(hosts_file.read_text(encoding="utf-8"))
        for group in WORKPLACE_GROUPS:
            inventory["all"]["children"].pop(group, None)
        hosts_file.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
        # The card's workplace goes too: a card asking for desks that the inventory lacks is refused
        # by `workplace up` and by `drill --all`, which drills the card's workplace.
        card_file = fleet / municipality / "municipality.yml"
        card = yaml.safe_load(card_file.read_text(encoding="utf-8"))
        card.pop("workplace", None)
        card_file.write_text("---\n" + yaml.safe_dump(card, sort_keys=False), encoding="utf-8")
    copied = "\n".join(path.read_text(encoding="utf-8") for path in (fleet / municipality).rglob("*.yml"))
    left = re.search(r"\bdemo-(app|backup|log|vpn|desk|wpgw)\d|10\.231\.10\.|fd00:231:10:", copied)
    assert not left, f"a demo name stayed: {left.group(0)}"
