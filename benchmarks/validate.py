"""What validating the demo fleet costs, and how fast hostile input is refused (a script, not a test).

Times, in one process and against the same reference each round:

- the demo card alone (`load_card`: YAML, vault values, the schema, the inventory and catalog
  checks), the part the 0.5 s budget of the card layer is about;
- each part of `landingzone validate demo` in-process (the catalogs, the secret scan of the
  inventory files, the inventory read with Ansible's classes, the card) and the whole of it;
- `ansible-inventory --list`, the command validation used to start for each inventory;
- the command `landingzone validate demo` itself (a new Python, its imports included), and
  `python -c pass` as the floor of any command;
- the check of inventory values that land in rendered files, on the demo and on a copy of it
  that sets one value of every checked variable (its calendars and time spans read by
  systemd-analyze, not cached between rounds);
- the refusal of an alias bomb (9 lists of 9 aliases, 9 deep) in a card;
- the reference: reading the demo card's YAML with PyYAML's plain safe_load, which checks nothing.

Each figure is the median of ROUNDS rounds (the figures take turns in each round), and is printed
beside its ratio to the reference.
With --before-src, the command of another checkout's CLI (its src/, a `git archive` of main, say)
is timed in the same rounds, for the before/after ratio.

    .venv/bin/python benchmarks/validate.py [ROUNDS] [--before-src DIR/src]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from landingzone import inventory_values  # noqa: E402
from landingzone.card import CardError, catalog_roles, load_card  # noqa: E402
from landingzone.fleet_inputs import inventory_shape, load_municipalities  # noqa: E402
from landingzone.inventory import inventory_list  # noqa: E402
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


def command(*args: str) -> None:
    # Bytecode written and reused, as on an operator's machine, whatever this shell says.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env["LANDINGZONE_VAULT_PASSWORD_FILE"] = str(ROOT / "lab" / "demo-vault-password")
    tool = Path(sys.executable).with_name(args[0])
    subprocess.run([tool, *args[1:]], cwd=ROOT, env=env, check=True, capture_output=True)


def other_cli(source: Path, *args: str) -> tuple[str, ...]:
    """The command line of another checkout's CLI, run with this virtualenv."""
    run = f"import sys; sys.path.insert(0, {str(source)!r}); from landingzone.cli import main; sys.exit(main())"
    return ("python", "-c", run, *args)


def alias_bomb_card(directory: Path) -> Path:
    card = directory / "demo" / "municipality.yml"
    card.parent.mkdir(parents=True)
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, 9)]
    card.write_text((DEMO / "municipality.yml").read_text() + "\n".join(lines) + "\ndisplay_name_x: *lol8\n")
    return card


# A value of every variable the inventory check reads (the calendars and spans go to systemd-analyze).
EVERY_CHECKED_VALUE = """\
linux_baseline_operator_group: lz-operators
linux_baseline_ssh_extra_allow_groups: [supplier_admins]
linux_baseline_ntp_servers: [ntp1.demo.invalid, 10.231.10.1]
linux_baseline_log_collector: {host: logs.demo.invalid, port: 6514}
citizen_portal_server_name: www.demo.invalid
backup_agent_server_url: https://backup.demo.invalid:8443
backup_agent_on_calendar: "*-*-* 01:30:00"
backup_agent_randomized_delay: 15min
backup_server_index_on_calendar: "*:0/5"
backup_server_verify_on_calendar: "*-*-* 04:15:00"
backup_server_retention_on_calendar: "*-*-* 05:15:00"
backup_server_offsite_on_calendar: "*-*-* 06:15:00"
backup_server_user: restic-rest
backup_server_keeper_user: restic-keeper
backup_server_repository_root: /srv/restic
log_collector_storage_dir: /var/log/remote
log_collector_seal_schedule: "*-*-* 00:00:00 UTC"
vpn_gateway_interface: lzwg0
vpn_gateway_ipsec_interface: ipsec0
vpn_gateway_endpoint: vpn.demo.invalid
vpn_gateway_ipsec_id: vpn.demo.invalid
vpn_gateway_ipsec_local_networks: [10.231.10.0/24]
"""


def every_value_inventory(directory: Path) -> Path:
    copy = directory / "every-value" / "demo"
    shutil.copytree(DEMO, copy)
    (copy / "group_vars" / "all" / "every_checked_value.yml").write_text(EVERY_CHECKED_VALUE)
    return copy


def uncached_inventory_check(inventory: Path) -> None:
    inventory_values._systemd_reads.cache_clear()
    inventory_values.check_inventory(inventory, PASSWORD)


def main(rounds: int, before_src: Path | None) -> None:
    roles = catalog_roles(ROOT)
    hosts, groups = inventory_shape(DEMO / "hosts.yml")
    secret_names = secret_variable_names(ROOT)
    scratch = Path(tempfile.mkdtemp(prefix="lz-validate-bench-"))
    bomb = alias_bomb_card(scratch)
    every_value = every_value_inventory(scratch)

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
        "inventory values in files, the demo": lambda: uncached_inventory_check(DEMO),
        "inventory values in files, every variable": lambda: uncached_inventory_check(every_value),
        "the inventory, Ansible's classes in-process": lambda: inventory_shape(DEMO / "hosts.yml"),
        "ansible-inventory --list (the command)": lambda: inventory_list(DEMO / "hosts.yml"),
        "validate demo, in-process, all of it": lambda: load_municipalities(
            ROOT, DEMO.parent, ["demo"], None, PASSWORD
        ),
        "landingzone validate demo (the command)": lambda: command("landingzone", "validate", "demo"),
        "python -c pass (the floor of a command)": lambda: command("python", "-c", "pass"),
    }
    if before_src:
        figures["the other checkout's landingzone validate demo"] = lambda: command(
            *other_cli(before_src, "validate", "demo")
        )
    times: dict[str, list[float]] = {name: [] for name in figures}
    for _ in range(rounds):  # the figures take turns, so that a change of load hits them alike
        for name, action in figures.items():
            times[name].append(median_seconds(action, 1))
    results = {name: statistics.median(measured) for name, measured in times.items()}
    reference = results["reference: yaml.safe_load of the card"]
    print(f"median of {rounds} rounds")
    for name, seconds in results.items():
        print(f"  {name:<42} {seconds * 1000:8.1f} ms  {seconds / reference:7.1f} x the reference")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", type=int, nargs="?", default=5)
    parser.add_argument("--before-src", type=Path, help="the src/ of another checkout, whose command is timed too")
    arguments = parser.parse_args()
    main(arguments.rounds, arguments.before_src)
