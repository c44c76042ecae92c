"""What the VPN scenarios' tests (vpn_gateway, vpn_ipsec) share: the containers through
testinfra's podman backend, real TCP connects from a supplier, the gateway's named nftables
counters, and one module execution ad hoc through the scenario's inventory.

On the verifier's PYTHONPATH through each scenario's molecule.yml (verifier.env)."""

import json
import os
import subprocess
import time

import testinfra


def host(name):
    return testinfra.get_host(f"podman://{name}")


def address(name):
    """The container's address on the scenario's network (podman chooses it)."""
    return host(name).check_output("ip -4 -o route get 1.1.1.1").split(" src ")[1].split()[0]


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


def connects(client, target, port, timeout=2.0, source=None):
    """Whether a TCP connect from the container `client` to target:port succeeds (from the
    address `source` of the client, when given). A dropped SYN is a timeout, not a refusal."""
    bind = f"s.bind(('{source}', 0))\n" if source else ""
    script = (
        "import socket,sys\n"
        "s = socket.socket()\n"
        f"s.settimeout({timeout})\n"
        f"{bind}"
        f"try:\n s.connect(('{target}', {port}))\n"
        "except OSError:\n sys.exit(1)\n"
    )
    return host(client).run(f'python3 -c "{script}"').rc == 0


def counter(gateway, name):
    """Packets of a named counter in the gateway's table inet vpn_gateway."""
    out = host(gateway).check_output(f"nft -j list counter inet vpn_gateway {name}")
    return json.loads(out)["nftables"][1]["counter"]["packets"]


def run_module(target, module, args, timeout=300):
    """(result, output) of one execution of `module` with `args` on `target`; it must succeed."""
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
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    result, _ = json.JSONDecoder().raw_decode(done.stdout.split("=>", 1)[1].strip())
    return result, done.stdout + done.stderr
