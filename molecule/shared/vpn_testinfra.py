"""What the VPN scenarios' tests (vpn_gateway, vpn_ipsec) share: the containers through
testinfra's podman backend, real TCP connects and UDP echoes from a container, the
gateway's named nftables counters, and one module execution ad hoc through the scenario's
inventory. The scenarios' networks are dual stack; every helper takes either family.

On the verifier's PYTHONPATH through each scenario's molecule.yml (verifier.env)."""

import json
import os
import subprocess
import time
from pathlib import Path

import testinfra

FAMILIES = (4, 6)


def host(name):
    return testinfra.get_host(f"podman://{name}")


def address(name, family=4):
    """The container's address on the scenario's network (podman chooses it)."""
    out = host(name).check_output(f"ip -{family} -o address show dev eth0 scope global")
    return out.split()[3].split("/")[0]


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


# Run in the container the traffic starts from: every attempt at once (reach.py says how).
REACH = (Path(__file__).resolve().parent / "reach.py").read_text()


def reach(client, attempts, timeout=1.5):
    """Whether each attempt ``(target, port[, proto[, source]])`` from the container ``client``
    gets an answer: a TCP connect, or a UDP echo. All at once; a dropped packet is a timeout."""
    full = [[a[0], a[1], a[2] if len(a) > 2 else "tcp", a[3] if len(a) > 3 else ""] for a in attempts]
    done = host(client).run("python3 -c %s %s %s", REACH, json.dumps(full), str(timeout))
    assert done.rc == 0, done.stderr
    return json.loads(done.stdout)


def connects(client, target, port, timeout=1.5, source=None, proto="tcp"):
    """Whether one TCP connect (or UDP echo) from ``client`` to target:port gets an answer."""
    return reach(client, [(target, port, proto, source or "")], timeout) == [True]


def counter(gateway, name):
    """Packets of a named counter in the gateway's table inet vpn_gateway."""
    out = host(gateway).check_output(f"nft -j list counter inet vpn_gateway {name}")
    return json.loads(out)["nftables"][1]["counter"]["packets"]


def refused_and_counted(gateway, name, client, attempts, timeout=1.0):
    """Each attempt ``(target, port[, proto[, source]])`` from ``client`` gets no answer, and the
    gateway's counter ``name`` rose by at least one packet for each."""
    before = counter(gateway, name)
    answered = [attempt for attempt, ok in zip(attempts, reach(client, attempts, timeout), strict=True) if ok]
    assert answered == [], f"{client}: answered although refused: {answered}"
    after = counter(gateway, name)
    assert after >= before + len(attempts), f"{name}: {before} -> {after} for {len(attempts)} refused attempts"


def run_module(target, module, args, timeout=300, must_succeed=True):
    """(result, output) of one execution of `module` with `args` on `target`; it must succeed
    unless told otherwise."""
    env = dict(os.environ)
    done = subprocess.run(
        ["ansible", "-i", env["MOLECULE_INVENTORY_FILE"], target, "-m", module, "-a", json.dumps(args), "-o"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if must_succeed:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    result, _ = json.JSONDecoder().raw_decode(done.stdout.split("=>", 1)[1].strip())
    return result, done.stdout + done.stderr
