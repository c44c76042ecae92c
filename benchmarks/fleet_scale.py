"""Fleet-scale benchmark of the audit (a script, not a test).

Brings up N lab hosts (systemd containers) spread over M municipalities of at most
--per-municipality hosts each, and audits them two ways at the same forks:

- the CLI: `landingzone audit` of the M municipalities with --parallel M (each job runs
  with the checkout's forks, so all N hosts are worked on at once);
- plain: one `ansible-playbook playbooks/audit.yml --forks N` over all of them, each
  municipality a group carrying its card's variables.

Per host it prints wall time, controller CPU seconds (the command and every process it
started, ssh included) apart from target CPU seconds (the containers' cgroups), and the
controller's peak memory (the sum of the proportional set sizes of its processes, sampled),
as a table and as a text curve. From the largest N it derives the time to audit the
Flemish fleet (300 municipalities x 10 servers) on one 2-core controller and on k
execution-environment workers. With --before-src, the CLI of another checkout (a
`git archive` of main, say) is timed in the same run, for the before/after ratio. With
--before-root, a whole other checkout is timed beside this one: its CLI with its own roles
and plugins (way "before") and its plain ansible-playbook (way "plainb"), for a change to the
roles themselves.

About 6 inotify instances per container: when N needs more than
fs.inotify.max_user_instances allows, the script raises it for the run, restores it
afterwards, and prints both. Its municipalities are named fleetscale-*, on
10.231.90-97.0/24, and their containers are removed at the end.

    .venv/bin/python benchmarks/fleet_scale.py --hosts 1,5,10
"""

import argparse
import contextlib
import ctypes
import math
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from cli_overhead import BIN, ROOT, _env, card_vars, landingzone, write_municipality

FLEET_HOSTS = 3000  # about 300 municipalities x 10 servers
CONTROLLER_CORES = 2
INOTIFY_PER_CONTAINER = 6
INOTIFY_LIMIT = Path("/proc/sys/fs/inotify/max_user_instances")
MAX_MUNICIPALITIES = 8  # 10.231.90-97.0/24
PR_SET_CHILD_SUBREAPER = 36


def municipality_names(count: int) -> list[str]:
    return [f"fleetscale-{index}" for index in range(count)]


def host_names(municipality: int, count: int) -> list[str]:
    return [f"fs{municipality}-app{number}" for number in range(1, count + 1)]


def make_fleet(fleet: Path, hosts: int, per_municipality: int) -> list[list[str]]:
    """The municipalities for `hosts` lab hosts; the hosts of each."""
    count = math.ceil(hosts / per_municipality)
    if count > MAX_MUNICIPALITIES:
        raise SystemExit(f"--hosts {hosts}: more than {MAX_MUNICIPALITIES} municipalities; raise --per-municipality")
    layout = []
    for index, name in enumerate(municipality_names(count)):
        members = host_names(index, min(per_municipality, hosts - index * per_municipality))
        write_municipality(fleet, name, f"10.231.9{index}", members, nis_code=f"4800{index}")
        layout.append(members)
    return layout


def plain_inventory(fleet: Path, names: list[str], out: Path) -> Path:
    """One inventory over every municipality: each a group with its hosts, its lab settings and
    its card's variables (which the CLI passes to each job as extra vars)."""
    children = {}
    for name in names:
        hosts = yaml.safe_load((fleet / name / "hosts.yml").read_text(encoding="utf-8"))["all"]["hosts"]
        lab = yaml.safe_load((fleet / name / "group_vars" / "all" / "lab.yml").read_text(encoding="utf-8"))
        children[name.replace("-", "_")] = {"hosts": hosts, "vars": {**lab, **card_vars(fleet, name)}}
    out.write_text(yaml.safe_dump({"all": {"children": children}}, sort_keys=False), encoding="utf-8")
    return out


# ---- measuring a command: wall, controller CPU, peak memory ----------------------------------


def _children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, found, pending = _children_of(), [], [pid]
    while pending:
        for child in tree.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _cpu_seconds(usage) -> float:
    return usage.ru_utime + usage.ru_stime


def _reap_leftover_ssh(before: set[int]) -> None:
    """ssh ControlPersist masters the command left behind (orphans, so ours as the subreaper):
    end them and wait for them, so their CPU counts and the next run starts cold too."""
    leftovers = [pid for pid in descendants(os.getpid()) if pid not in before and _comm(pid) == "ssh"]
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for pid in leftovers:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def measure(command: list, env: dict, cwd: Path = ROOT) -> dict:
    """Run one command; its wall seconds, controller CPU seconds and peak memory (bytes)."""
    before = set(descendants(os.getpid()))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = 0
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.wait(0.25):
            peak = max(peak, sum(_pss_bytes(pid) for pid in [process.pid, *descendants(process.pid)]))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0].decode(errors="replace")
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    _reap_leftover_ssh(before)
    if process.returncode not in (0, 1):  # 1: the lab hosts are not hardened, the audit says so
        raise SystemExit(f"{command[0]} failed ({process.returncode}):\n{output[-3000:]}")
    cpu = _cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN)) - _cpu_seconds(usage)
    return {"wall": wall, "controller_cpu": cpu, "peak_memory": peak, "output": output}


RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=\d+\s+unreachable=\d+\s+failed=(\d+)", re.MULTILINE)


def tasks_per_host(output: str) -> float:
    """Task results that ran on a host (ok, changed included, and failed; not skipped), from
    ansible-playbook's recap: about one module execution each."""
    counts = [int(ok) + int(failed) for _, ok, failed in RECAP.findall(output)]
    return sum(counts) / len(counts) if counts else float("nan")


def container_cpu_seconds(names: list[str]) -> float:
    """CPU seconds the containers have used so far, from their cgroups (cgroup v1 cpuacct or v2)."""
    total = 0.0
    for name in names:
        path = subprocess.run(
            ["podman", "inspect", "--format", "{{.State.CgroupPath}}", name],
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        v1 = Path("/sys/fs/cgroup/cpuacct") / path.lstrip("/") / "cpuacct.usage"
        if v1.is_file():
            total += int(v1.read_text()) / 1e9
            continue
        for line in (Path("/sys/fs/cgroup") / path.lstrip("/") / "cpu.stat").read_text().splitlines():
            if line.startswith("usage_usec"):
                total += int(line.split()[1]) / 1e6
    return total


def audit(command: list, env: dict, containers: list[str], cwd: Path = ROOT) -> dict:
    target_before = container_cpu_seconds(containers)
    figures = measure(command, env, cwd)
    figures["target_cpu"] = container_cpu_seconds(containers) - target_before
    return figures


# ---- the machine: inotify instances for the containers ------------------------------------------


def running_containers() -> int:
    out = subprocess.run(["podman", "ps", "-q"], env=_env(), capture_output=True, text=True, check=True).stdout
    return len(out.split())


class InotifyInstances:
    """Raises fs.inotify.max_user_instances for the run when the containers need more; restores it."""

    def __init__(self, containers: int):
        self.needed = (running_containers() + containers) * INOTIFY_PER_CONTAINER + 64
        self.original: int | None = None

    def __enter__(self):
        current = int(INOTIFY_LIMIT.read_text())
        if current < self.needed:
            self.original = current
            INOTIFY_LIMIT.write_text(str(self.needed))
            print(f"fs.inotify.max_user_instances raised from {current} to {self.needed} for this run")
        else:
            print(f"fs.inotify.max_user_instances = {current}: enough for this run, left as it is")
        return self

    def __exit__(self, *exc):
        if self.original is not None:
            INOTIFY_LIMIT.write_text(str(self.original))
            print(f"fs.inotify.max_user_instances restored to {self.original}")


# ---- the report -------------------------------------------------------------------------------------


def _per_host(figures: dict, hosts: int) -> dict:
    return {key: value / hosts for key, value in figures.items()}


def print_table(rows: list[tuple[int, int, str, dict]]) -> None:
    print("\nper host (totals / N):")
    print(f"  {'N':>3} {'M':>2}  {'way':<6} {'wall s':>7} {'ctl CPU s':>9} {'target CPU s':>12} {'peak MiB':>9}")
    for hosts, municipalities, way, figures in rows:
        each = _per_host(figures, hosts)
        print(
            f"  {hosts:>3} {municipalities:>2}  {way:<6} {each['wall']:7.2f} {each['controller_cpu']:9.2f} "
            f"{each['target_cpu']:12.2f} {each['peak_memory'] / 2**20:9.1f}"
        )


def print_curve(rows: list[tuple[int, int, str, dict]], key: str, title: str) -> None:
    """A text curve of one per-host figure against N, one bar per run."""
    values = [(hosts, way, figures[key] / hosts) for hosts, _, way, figures in rows]
    top = max(value for _, _, value in values) or 1.0
    print(f"\n{title} per host, by N:")
    for hosts, way, value in values:
        print(f"  N={hosts:<3} {way:<6} {'#' * max(1, round(40 * value / top)):<40} {value:.2f}")


def print_projection(rows: list[tuple[int, int, str, dict]], workers: list[int]) -> None:
    """The controller's CPU seconds per host, times the fleet, over its cores: the time when the
    controller's CPU is the limit (forks enough to keep it busy; the targets are other machines)."""
    biggest = max(hosts for hosts, _, _, _ in rows)
    figures = {way: (municipalities, f) for hosts, municipalities, way, f in rows if hosts == biggest}
    print(f"\n{FLEET_HOSTS} hosts, from the figures at N={biggest} (M={figures['cli'][0]}):")
    projected = [("cli", "one controller running the CLI", [1]), ("plain", "EE workers", workers)]
    if "before" in figures:
        projected.insert(1, ("before", "one controller running the other checkout's CLI", [1]))
    for way, where, counts in projected:
        each = _per_host(figures[way][1], biggest)
        for count in counts:
            minutes = FLEET_HOSTS * each["controller_cpu"] / (CONTROLLER_CORES * count) / 60
            label = where if count == 1 else f"{count} {where}"
            print(
                f"  {label} of {CONTROLLER_CORES} cores, {each['controller_cpu']:.2f} CPU s per host ({way}): "
                f"{minutes:.0f} min"
            )
    memory = figures["cli"][1]["peak_memory"] / biggest
    print(f"  controller memory: ~{memory / 2**20:.0f} MiB per host worked on at once (peak / N)")
    print("  here the lab hosts share the controller's 2 cores, so wall times run longer than this")


# ---- main -----------------------------------------------------------------------------------------------


def _counts(text: str) -> list[int]:
    counts = sorted({int(part) for part in text.split(",")})
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError("host counts are whole numbers of 1 or more, e.g. 1,5,10")
    return counts


def cli_command(names: list[str], limit: list[str], source: Path | None) -> list:
    args = ["--fleet", "{fleet}", "audit", *names, "--parallel", str(len(names)), "--limit", ",".join(limit)]
    if source is None:
        return [BIN / "landingzone", *args]
    # Another checkout's CLI, with this checkout's virtualenv.
    return [
        sys.executable,
        "-c",
        f"import sys; sys.path.insert(0, {str(source)!r}); from landingzone.cli import main; sys.exit(main())",
        *args,
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=_counts, default=[1, 5, 10], help="host counts, e.g. 1,5,10,20,40")
    parser.add_argument("--per-municipality", type=int, default=5, help="lab hosts per municipality")
    parser.add_argument("--workers", type=_counts, default=[2, 4, 8], help="EE worker counts to project onto")
    parser.add_argument("--rounds", type=int, default=1, help="measured runs of each way per N (medians)")
    parser.add_argument("--show-tasks", type=int, default=0, metavar="LINES", help="profile_tasks lines to print")
    before = parser.add_mutually_exclusive_group()
    before.add_argument(
        "--before-src", type=Path, help="the src/ of another checkout, whose CLI is timed beside this one"
    )
    before.add_argument(
        "--before-root", type=Path, help="another checkout, whose CLI and plain run are timed beside this one"
    )
    args = parser.parse_args()
    if args.before_root:
        args.before_root = args.before_root.resolve()
        args.before_src = args.before_root / "src"
    if args.before_src:
        # The lab's playbook-relative state (ssh keys, ssh_config) is this checkout's.
        state = args.before_src.resolve().parent / ".cache"
        if not state.exists():
            state.symlink_to(ROOT / ".cache")
    biggest = max(args.hosts)
    fleet = Path(tempfile.mkdtemp(prefix="landingzone-fleet-scale-"))
    layout = make_fleet(fleet, biggest, args.per_municipality)
    names = municipality_names(len(layout))
    containers = [host for members in layout for host in members]
    env = _env()
    # The other checkout's CLI finds its own roles and plugins (not this checkout's) through LANDINGZONE_HOME.
    before_env = {**env, "LANDINGZONE_HOME": str(args.before_root)} if args.before_root else env
    rows = []
    with InotifyInstances(len(containers)):
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                for up in pool.map(lambda name: landingzone(fleet, "lab", "up", name), names):
                    if up.returncode != 0:
                        raise SystemExit(up.stdout + up.stderr)
            # From here on, ssh masters left behind by a command become our children (reaped, counted).
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
            inventory = plain_inventory(fleet, names, fleet / "plain.yml")
            for hosts in args.hosts:
                chosen = containers[:hosts]
                used = [name for name, members in zip(names, layout, strict=True) if set(members) & set(chosen)]
                plain = [BIN / "ansible-playbook", "-i", inventory, "--forks", str(hosts), "--limit", ",".join(chosen)]
                plain.append(ROOT / "playbooks" / "audit.yml")
                ways = [("plain", plain, env, ROOT), ("cli", cli_command(used, chosen, None), env, ROOT)]
                if args.before_src:
                    ways.append(("before", cli_command(used, chosen, args.before_src), before_env, ROOT))
                if args.before_root:
                    plain_before = [*plain[:-1], args.before_root / "playbooks" / "audit.yml"]
                    ways.append(("plainb", plain_before, env, args.before_root))
                ways = [
                    (way, [str(part).replace("{fleet}", str(fleet)) for part in command], way_env, cwd)
                    for way, command, way_env, cwd in ways
                ]
                if hosts == args.hosts[0]:
                    for _, command, way_env, cwd in ways:
                        measure(command, way_env, cwd)  # warm-up of each way: page cache, bytecode
                runs: dict[str, list[dict]] = {way: [] for way, *_ in ways}
                for _ in range(args.rounds):  # the ways take turns, so that load changes hit them alike
                    for way, command, way_env, cwd in ways:
                        figures = audit(command, way_env, chosen, cwd)
                        output = figures.pop("output")
                        if way == "plain" and not runs[way]:
                            print(f"N={hosts} plain: {tasks_per_host(output):.1f} tasks run per host (the recap)")
                            if hosts == max(args.hosts) and args.show_tasks:
                                # ansible.cfg enables profile_tasks: its slowest tasks
                                print("\n".join(output.rstrip().splitlines()[-args.show_tasks :]))
                        runs[way].append(figures)
                for way, measured in runs.items():
                    figures = {key: statistics.median(run[key] for run in measured) for key in measured[0]}
                    rows.append((hosts, len(used), way, figures))
                    print(
                        f"N={hosts} M={len(used)} {way:<6} median of {len(measured)}: wall {figures['wall']:6.1f} s  "
                        f"controller CPU {figures['controller_cpu']:6.1f} s  "
                        f"target CPU {figures['target_cpu']:6.1f} s  peak {figures['peak_memory'] / 2**20:6.0f} MiB",
                        flush=True,
                    )
        finally:
            for name in names:
                landingzone(fleet, "lab", "down", name)
            shutil.rmtree(fleet, ignore_errors=True)
    print_table(rows)
    print_curve(rows, "wall", "wall seconds")
    print_curve(rows, "controller_cpu", "controller CPU seconds")
    by_run = {(hosts, way): figures for hosts, _, way, figures in rows}
    print("\nratios, same N, same run:")
    for hosts in args.hosts:
        plain = by_run[(hosts, "plain")]
        for way in ("cli", "before", "plainb"):
            if (hosts, way) in by_run:
                figures = by_run[(hosts, way)]
                print(
                    f"  N={hosts:<3} {way}/plain: wall {figures['wall'] / plain['wall']:.2f}x, "
                    f"controller CPU {figures['controller_cpu'] / plain['controller_cpu']:.2f}x"
                )
    print_projection(rows, args.workers)
    print("\nlab hosts run on this shared 2-core machine; N above 10 needs a machine of its own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
