"""What one TLS input per sender costs the log collector (a script, not a test).

rsyslog cannot file a line by its sender's certificate, so the collector (roles/log_collector)
gives every sender an input and a port of its own. This applies the role to one lab container
for an inventory of 1, then 10, 50 and 200 senders, and measures each time, against the
1-sender collector of the same run:

- the collector's memory (VmRSS of its rsyslogd, settled, after its start);
- its start: from `systemctl restart` until every sender's port listens;
- its throughput: LINES lines of about 200 bytes sent over one TLS connection to one sender's
  input, until the last is stored (the other inputs idle).

    .venv/bin/python benchmarks/log_collector.py [--senders 1,10,50,200] [--lines 20000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from backup import env, podman, run_play  # the backup benchmark's podman, Ansible environment and play runner

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CONTAINER = "lz-bench-logs"
IMAGE = "localhost/landingzone-lab:bookworm"
STORE = "/var/log/remote"


def inside(command: str) -> str:
    done = podman("exec", CONTAINER, "bash", "-c", command, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{command}: {done.stdout}{done.stderr}")
    return done.stdout


def senders(count: int) -> list[str]:
    """The inventory's hosts: the container (it sends the lines) and count-1 hosts never contacted."""
    return [CONTAINER] + [f"bench-sender-{n:03d}" for n in range(1, count)]


def apply_role(workdir: Path, count: int) -> dict[str, int]:
    hosts = senders(count)
    inventory = {
        "all": {
            "children": {
                "log_collectors": {"hosts": {CONTAINER: {"ansible_connection": "containers.podman.podman"}}},
                "elsewhere": {"hosts": {name: {} for name in hosts[1:]}},
            }
        }
    }
    (workdir / "hosts.yml").write_text(json.dumps(inventory))
    pki = workdir / "pki"
    settings = {
        "log_collector_ca_cert": (pki / "ca.crt").read_text(),
        "log_collector_tls_cert": (pki / f"{CONTAINER}.crt").read_text(),
        "log_collector_tls_key": (pki / f"{CONTAINER}.key").read_text(),
    }
    (workdir / "settings.json").write_text(json.dumps(settings))
    (workdir / "play.yml").write_text(
        "- hosts: log_collectors\n  gather_facts: false\n  roles:\n    - cyberveilig.landingzone.log_collector\n"
    )
    run_play(workdir / "hosts.yml", workdir)
    return {name: 6514 + index for index, name in enumerate(sorted(hosts))}


def measure(count: int, lines: int, workdir: Path) -> dict:
    ports = apply_role(workdir, count)
    last_port = max(ports.values())
    started = time.perf_counter()
    inside("systemctl restart landingzone-log-collector.service")
    inside(f"until ss -Hltn 'sport = :{last_port}' | grep -q LISTEN; do sleep 0.05; done")
    start_seconds = time.perf_counter() - started
    time.sleep(2)
    pid = inside("systemctl show -p MainPID --value landingzone-log-collector.service").strip()
    rss_kib = int(inside(f"awk '/^VmRSS/ {{print $2}}' /proc/{pid}/status"))
    current = f"{STORE}/{CONTAINER}/current.log"
    before = int(inside(f"wc -l < {current}"))
    payload = "x" * 160
    start, end = inside(
        f"""
        seq {lines} | sed 's/^/<13>Mar  1 10:00:00 {CONTAINER} bench: line {payload} /' > /tmp/lines
        date +%s.%N
        timeout 120 openssl s_client -quiet -no_ign_eof -connect 127.0.0.1:{ports[CONTAINER]} \\
          -CAfile /etc/landingzone-log-collector/ca.crt \\
          -cert /etc/landingzone-log-collector/collector.crt -key /etc/landingzone-log-collector/collector.key \\
          < /tmp/lines > /dev/null 2>&1 &
        until [ "$(wc -l < {current})" -ge {before + lines} ]; do sleep 0.05; done
        date +%s.%N
        wait
        """
    ).split()
    seconds = float(end) - float(start)
    return {"senders": count, "rss_kib": rss_kib, "start_s": start_seconds, "lines_s": seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", default="1,10,50,200")
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--keep", action="store_true", help="leave the container running")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.senders.split(",")]
    podman("rm", "--force", "--time", "2", CONTAINER, check=False)
    podman("run", "--detach", "--name", CONTAINER, "--hostname", CONTAINER, "--cap-add", "NET_ADMIN", IMAGE)
    try:
        inside("until systemctl is-system-running | grep -qE 'running|degraded'; do sleep 0.2; done")
        with tempfile.TemporaryDirectory() as temporary:
            workdir = Path(temporary)
            subprocess.run(
                [BIN / "python", "-m", "landingzone.pki", str(workdir / "pki"), CONTAINER],
                env=dict(env(), PYTHONPATH=str(ROOT / "src")),
                stdin=subprocess.DEVNULL,
                check=True,
            )
            rows = [measure(count, args.lines, workdir) for count in counts]
    finally:
        if not args.keep:
            podman("rm", "--force", "--time", "2", CONTAINER, check=False)
    reference = rows[0]
    print(f"{'senders':>8} {'rss MiB':>8} {'× ref':>6} {'start s':>8} {'× ref':>6} {'lines/s':>9} {'× ref':>6}")
    for row in rows:
        rate, reference_rate = args.lines / row["lines_s"], args.lines / reference["lines_s"]
        print(
            f"{row['senders']:>8} {row['rss_kib'] / 1024:>8.1f} {row['rss_kib'] / reference['rss_kib']:>6.2f}"
            f" {row['start_s']:>8.2f} {row['start_s'] / reference['start_s']:>6.2f}"
            f" {rate:>9.0f} {rate / reference_rate:>6.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
