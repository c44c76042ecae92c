"""Benchmark of the operator CLI (a script, not a test).

Prints, in one run against the same lab hosts:
- the wrapper's overhead: `landingzone audit` of one municipality against plain
  `ansible-playbook` of the same play with the same variables (ratio);
- the wall time of `landingzone audit` for 1, 3 and 6 lab municipalities run in
  parallel (--parallel N).

It makes throwaway lab municipalities of one host each (10.231.81-86.0/24) in a
temporary fleet, and removes their containers and the fleet afterwards.

    .venv/bin/python benchmarks/cli_overhead.py [--rounds 2]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COUNTS = (1, 3, 6)
# A throwaway sha512-crypt hash: the baseline's break-glass control needs one.
BREAKGLASS_HASH = "$6$benchsalt$0kQCiHldjG5kuj8v4yzRhjGa58r4Kq.bbzhE43OQbldhEO7AGV.3.DNU3G9BMAIW5y72HXigxRHEilIdGP80o0"


def _env() -> dict:
    # Bytecode is written and reused, as on an operator's machine: a shell that turns it off
    # would make every command compile Ansible afresh, both sides alike.
    inherited = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return {
        **inherited,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "CONTAINERS_CONF": str(ROOT / "lab" / "containers.conf"),
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
    }


def _write(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def make_municipality(fleet: Path, index: int) -> str:
    name = f"bench-cli{index}"
    write_municipality(fleet, name, f"10.231.8{index}", [f"cli{index}-app1"], nis_code=f"4900{index}")
    return name


def write_municipality(fleet: Path, name: str, network: str, hosts: list[str], nis_code: str) -> None:
    """A throwaway lab municipality: its hosts at network.11, .12, ... of network.0/24, a minimal card."""
    directory = fleet / name
    addresses = {host: {"lab_address": f"{network}.{11 + number}"} for number, host in enumerate(hosts)}
    _write(directory / "hosts.yml", {"all": {"hosts": addresses}})
    _write(
        directory / "group_vars" / "all" / "lab.yml",
        {
            "lab_network": f"lz-{name}",
            "lab_subnet": f"{network}.0/24",
            "lab_image": "localhost/landingzone-lab:bookworm",
            "lab_capabilities": ["NET_ADMIN"],
            "lab_state_dir": "{{ playbook_dir }}/../.cache/lab/" + name,
            "ansible_connection": "ssh",
            "ansible_user": "operator",
            "ansible_become": True,
            "ansible_ssh_private_key_file": "{{ lab_state_dir }}/operator_ed25519",
            "ansible_ssh_common_args": "-F {{ lab_state_dir }}/ssh_config",
            "ansible_python_interpreter": "/usr/bin/python3",
            "linux_baseline_breakglass_password_hash": BREAKGLASS_HASH,
        },
    )
    card = {
        "schema_version": 1,
        "name": name,
        "nis_code": nis_code,
        "cyfun_target_level": "basic",
        "data_classification": 2,
        "contacts": [{"role": "security_officer", "name": "Bench", "email": f"security@{name}.invalid"}],
        "management_networks": ["10.231.0.0/16"],
        "log_collector": {"host": hosts[0], "port": 6514},
        "ntp_servers": ["0.be.pool.ntp.org"],
        "backup": {
            "retention": {"keep_daily": 7, "keep_weekly": 4, "keep_monthly": 6, "keep_yearly": 1},
            "offsite": {"type": "s3", "endpoint": f"https://s3.{name}.invalid", "bucket": f"{name}-backup"},
        },
    }
    _write(directory / "municipality.yml", card)


def landingzone(fleet: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "landingzone", "--fleet", str(fleet), *args],
        cwd=ROOT,
        env=_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def timed(command: list, **kwargs) -> tuple[float, int]:
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, **kwargs
    )
    elapsed = time.monotonic() - started
    if result.returncode not in (0, 1):  # 1: the lab hosts are not hardened, the audit says so
        raise SystemExit(f"{command[0]} failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed, result.returncode


def plain_playbook_command(fleet: Path, name: str, vars_file: Path) -> list:
    """The same play the wrapper runs, with the card's variables, straight through ansible-playbook."""
    return [
        BIN / "ansible-playbook",
        "-i",
        fleet / name / "hosts.yml",
        "-e",
        f"@{vars_file}",
        ROOT / "playbooks" / "audit.yml",
    ]


def card_vars(fleet: Path, name: str) -> dict:
    """The variables the wrapper derives from a municipality's card."""
    sys.path.insert(0, str(ROOT / "src"))
    from landingzone.card import card_to_vars, catalog_roles, load_card

    hosts = yaml.safe_load((fleet / name / "hosts.yml").read_text(encoding="utf-8"))["all"]["hosts"]
    control_roles = catalog_roles(ROOT)
    card = load_card(
        fleet / name / "municipality.yml",
        inventory_hosts=set(hosts),
        known_control_ids=set(control_roles),
        vault_secret=None,
    )
    return card_to_vars(card, control_roles)


def card_vars_file(fleet: Path, name: str, out: Path) -> Path:
    out.write_text(yaml.safe_dump(card_vars(fleet, name)), encoding="utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="timed runs of each side of the overhead ratio")
    args = parser.parse_args()
    fleet = Path(tempfile.mkdtemp(prefix="landingzone-bench-fleet-"))
    names = [make_municipality(fleet, index) for index in range(1, max(COUNTS) + 1)]
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            for up in pool.map(lambda name: landingzone(fleet, "lab", "up", name), names):
                if up.returncode != 0:
                    raise SystemExit(up.stdout + up.stderr)
        first = names[0]
        plain = plain_playbook_command(fleet, first, card_vars_file(fleet, first, fleet / "vars.yml"))
        wrapper = [BIN / "landingzone", "--fleet", fleet, "audit", first, "--keep-runs", "2"]
        timed(plain)  # warm-up: SSH control sockets, page cache
        plain_times, wrapper_times = [], []
        for _ in range(args.rounds):
            plain_times.append(timed(plain)[0])
            wrapper_times.append(timed(wrapper)[0])
        plain_median, wrapper_median = statistics.median(plain_times), statistics.median(wrapper_times)
        print("overhead, one municipality (1 host), audit.yml, median of", args.rounds, "runs:")
        print(f"  plain ansible-playbook   {plain_median:6.1f} s   ({', '.join(f'{t:.1f}' for t in plain_times)})")
        print(f"  landingzone audit        {wrapper_median:6.1f} s   ({', '.join(f'{t:.1f}' for t in wrapper_times)})")
        extra = wrapper_median - plain_median
        print(f"  ratio wrapper/plain      {wrapper_median / plain_median:6.2f}   (+{extra:.1f} s)")
        print("fleet audit wall time, one host per municipality:")
        for count in COUNTS:
            command = [BIN / "landingzone", "--fleet", fleet, "audit", *names[:count], "--parallel", str(count)]
            elapsed, _ = timed(command)
            print(f"  {count} municipalities, --parallel {count}: {elapsed:6.1f} s")
    finally:
        for name in names:
            landingzone(fleet, "lab", "down", name)
        shutil.rmtree(fleet, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
