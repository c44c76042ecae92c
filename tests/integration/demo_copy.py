"""The demo's inventory and card under another name and subnet: a lab municipality of its own,
so that a proof on it never takes the containers of `demo` (or of another copy) and can run
beside them under two pytest workers."""

import re
from pathlib import Path

from lab_cli import ROOT

DEMO = ROOT / "inventories" / "demo"


def copy_of_demo(fleet: Path, municipality: str, octet: int) -> None:
    """The demo's inventory and card as the fleet's municipality ``municipality``, its hosts,
    lab network, subnets (10.231.<octet>.0/24, fd00:231:<octet>::/64), lab state directory and
    card name renamed."""
    renames = (
        (r"\bdemo-(app1|app2|backup1|log1|vpn1|s3)\b", rf"{municipality}-\1"),
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
    copied = "\n".join(path.read_text(encoding="utf-8") for path in (fleet / municipality).rglob("*.yml"))
    assert not re.search(r"\bdemo-(app|backup|log|vpn)\d|10\.231\.10\.|fd00:231:10:", copied), "a demo name stayed"
