"""What validating the demo fleet costs, and how fast hostile input is refused (a script, not a test).

Times, in one process and against the same reference each round:

- the demo card alone (`load_card`: YAML, vault values, the schema, the inventory and catalog
  checks), the part the 0.5 s budget of the card layer is about;
- each part of `landingzone validate demo` in-process (the catalogs, the secret scan of the
  inventory files, `ansible-inventory --list`, the card) and the whole of it;
- the refusal of an alias bomb (9 lists of 9 aliases, 9 deep) in a card;
- the reference: reading the demo card's YAML with PyYAML's plain safe_load, which checks nothing.

Each figure is the median of ROUNDS rounds, and is printed beside its ratio to the reference.

    .venv/bin/python benchmarks/validate.py [ROUNDS]
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from landingzone.card import CardError, catalog_roles, load_card  # noqa: E402
from landingzone.fleet_inputs import inventory_shape, load_municipalities  # noqa: E402
from landingzone.runner.secret_values import municipality_secrets, secret_variable_names  # noqa: E402

DEMO = ROOT / "inventories" / "demo"
PASSWORD = (ROOT / "lab" / "demo-vault-password").read_text().strip()


def median_seconds(action, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def alias_bomb_card(directory: Path) -> Path:
    card = directory / "demo" / "municipality.yml"
    card.parent.mkdir(parents=True)
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, 9)]
    card.write_text((DEMO / "municipality.yml").read_text() + "\n".join(lines) + "\ndisplay_name_x: *lol8\n")
    return card


def main(rounds: int) -> None:
    roles = catalog_roles(ROOT)
    hosts, groups = inventory_shape(DEMO / "hosts.yml")
    secret_names = secret_variable_names(ROOT)
    bomb = alias_bomb_card(Path(tempfile.mkdtemp(prefix="lz-validate-bench-")))

    def card():
        load_card(
            DEMO / "municipality.yml",
            inventory_hosts=set(hosts),
            inventory_groups=set(groups),
            group_hosts=groups,
            known_control_ids=set(roles),
            vault_secret=PASSWORD.encode(),
        )

    def refuse_bomb():
        try:
            load_card(bomb, inventory_hosts=set(hosts), known_control_ids=set(roles), vault_secret=None)
        except CardError:
            return
        raise AssertionError("the alias bomb was not refused")

    figures = {
        "reference: yaml.safe_load of the card": lambda: yaml.safe_load((DEMO / "municipality.yml").read_text()),
        "the demo card (load_card)": card,
        "an alias bomb in the card, refused": refuse_bomb,
        "the catalogs (control ids)": lambda: catalog_roles(ROOT),
        "the secret scan of the inventory files": lambda: municipality_secrets(DEMO, PASSWORD, secret_names),
        "ansible-inventory --list": lambda: inventory_shape(DEMO / "hosts.yml"),
        "validate demo, in-process, all of it": lambda: load_municipalities(
            ROOT, DEMO.parent, ["demo"], None, PASSWORD
        ),
    }
    results = {name: median_seconds(action, rounds) for name, action in figures.items()}
    reference = results["reference: yaml.safe_load of the card"]
    print(f"median of {rounds} rounds")
    for name, seconds in results.items():
        print(f"  {name:<42} {seconds * 1000:8.1f} ms  {seconds / reference:7.1f} x the reference")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
