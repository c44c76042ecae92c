"""What the backup units' VM tests share: the packages the VM cannot fetch, the test PKI, and the
ways to ask the VM what a unit did and what its sandbox let it do."""

from __future__ import annotations

import io
import json
import shlex
import subprocess
import sys
import tarfile
import textwrap

from lab_vm import ROOT

DEBS = ROOT / ".cache" / "backup-vm-debs"
# What the roles install and the VM (which reaches no mirror) lacks: restic, rclone and the
# htpasswd module's bcrypt support, with their dependencies; and AppArmor's tools, which the
# baseline installs on a host and the REST server's profile is loaded with.
PACKAGES = (
    "restic",
    "rclone",
    "python3-passlib",
    "python3-pkg-resources",
    "python3-bcrypt",
    "python3-cffi-backend",
    "apparmor",
)
PROBE = "/usr/local/sbin/lz-sandbox-probe"
# The REST server's AppArmor profile (roles/backup_server/templates/apparmor-landingzone-restic-rest.j2).
REST_PROFILE = "landingzone-restic-rest"
RESTORED = "/var/tmp/lz-restored"
# What the VM's backups hold besides the host's configuration: random bytes, to compare after a restore.
DATA_FILE = "/var/lib/lz-vm-data/scan.bin"
KEEPER_SECRETS = (
    "/etc/landingzone-backup-keeper/passwords/{host}",
    "/etc/landingzone-backup-keeper/keeper.json",
    "/var/lib/landingzone-backup-server/arrivals/{host}.json",
)

PROBE_SCRIPT = textwrap.dedent(
    """\
    #!/usr/bin/python3
    # Started in a unit's place, under the unit's own sandbox: what can it do?
    import json, os, socket
    seen = {}
    def attempt(name, action):
        try:
            action()
            seen[name] = "yes"
        except OSError as exc:
            seen[name] = f"no ({exc.strerror})"
    attempt("write /usr", lambda: open("/usr/lz-probe", "w").close())
    attempt("read the keeper's passwords", lambda: os.listdir("/etc/landingzone-backup-keeper/passwords"))
    attempt("connect to the REST server", lambda: socket.create_connection(("127.0.0.1", 8443), 3).close())
    attempt("open an Internet socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close())
    print("LZPROBE " + json.dumps(seen), flush=True)
    """
)


def downloaded_debs(packages=PACKAGES, directory=DEBS):
    """The packages, downloaded once through apt on this machine into a directory of .cache/
    (another test's packages go in another directory: a test may install every .deb of its own)."""
    directory.mkdir(parents=True, exist_ok=True)
    missing = [name for name in packages if not list(directory.glob(f"{name}_*.deb"))]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=directory, check=True, capture_output=True, timeout=600)
    return directory


def make_pki(directory, host):
    """A CA and a certificate for ``host`` (and localhost), as the molecule scenarios make them."""
    subprocess.run(
        [sys.executable, "-m", "landingzone.pki", str(directory), host],
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        check=True,
        timeout=60,
    )
    return {name: (directory / name).read_text() for name in ("ca.crt", f"{host}.crt", f"{host}.key")}


def put_in_place(vm, found):
    """One tar stream over SSH, unpacked as root."""
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w") as archive:
        for path, (content, mode) in found.items():
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode = len(content), mode
            archive.addfile(info, io.BytesIO(content))
    done = subprocess.run(
        vm.machine.ssh_command("sudo tar -x -C / --no-same-owner -f -"),
        input=stream.getvalue(),
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def sh(vm, command: str, timeout: float = 300) -> str:
    """``command`` run as root on the VM; its output."""
    return vm.ssh(f"sudo sh -c {shlex.quote(command)}", timeout=timeout)


def install_probe(vm):
    sh(vm, f"cat > {PROBE} <<'EOF'\n{PROBE_SCRIPT}EOF\nchmod 0755 {PROBE}")


def run_unit(vm, unit: str) -> str:
    """Start a oneshot unit, wait for it, and say how it ended."""
    return sh(vm, f"systemctl start {unit}; systemctl show -p Result --value {unit}", timeout=900).strip()


def probe(vm, unit: str) -> dict:
    """Run the probe in ``unit``'s place (its sandbox kept) and return what it could do."""
    dropin = f"/run/systemd/system/{unit}.d"
    sh(vm, f"mkdir -p {dropin} && printf '[Service]\\nExecStart=\\nExecStart={PROBE}\\n' > {dropin}/probe.conf")
    try:
        # A run its timer started would make `start` a no-op that runs no probe: stop it first.
        sh(vm, f"systemctl stop {unit}; systemctl daemon-reload && systemctl start {unit}", timeout=120)
        # On a busy VM the journal may hold the probe's line a moment after the unit ended.
        lines = sh(
            vm,
            f"for i in $(seq 60); do journalctl -u {unit} -o cat --no-pager | grep '^LZPROBE ' | tail -1 | grep . "
            "&& break; sleep 0.5; done; true",
        )
        why = "" if lines.strip() else sh(vm, f"systemctl status {unit} --no-pager -l 2>&1 | tail -20; true")
    finally:
        sh(vm, f"rm -rf {dropin} && systemctl daemon-reload")
    assert lines.strip(), f"{unit}: the probe printed nothing in its place:\n{why}"
    return json.loads(lines.split(" ", 1)[1])


def process_status(vm, pid: int) -> dict:
    lines = sh(vm, f"grep -E '^(NoNewPrivs|Seccomp|CapEff|CapBnd):' /proc/{pid}/status").splitlines()
    return {key: value.strip() for key, value in (line.split(":", 1) for line in lines)}


# ---- the checks both VM tests make --------------------------------------------------------------------
def assert_rest_server_confined(vm):
    """The REST server's process: no new privileges, a seccomp filter, no capability, its own mount
    namespace, where the keeper's files are not and the system is read-only."""
    pid = int(sh(vm, "systemctl show -p MainPID --value landingzone-restic-rest.service").strip())
    assert pid > 0
    status = process_status(vm, pid)
    assert status["NoNewPrivs"] == "1" and status["Seccomp"] == "2", status
    assert int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0, status
    assert sh(vm, f"readlink /proc/{pid}/ns/mnt") != sh(vm, "readlink /proc/1/ns/mnt")
    # In its namespace the keeper's directory is an empty node with no permission at all: even root,
    # entering it from outside, finds nothing in it.
    outside = sh(vm, "test -e /etc/landingzone-backup-keeper/passwords; echo rc=$?").strip()
    inside = sh(vm, f"nsenter -t {pid} -m test -e /etc/landingzone-backup-keeper/passwords; echo rc=$?").strip()
    assert (outside, inside) == ("rc=0", "rc=1")
    assert sh(vm, f"nsenter -t {pid} -m stat -c %a /etc/landingzone-backup-keeper").strip() == "0"
    read_only = sh(vm, f"nsenter -t {pid} -m touch /usr/lz-probe 2>&1; echo rc=$?")
    assert "Read-only file system" in read_only, read_only


def assert_rest_account_reads_no_secret(vm, host):
    for secret in (path.format(host=host) for path in KEEPER_SECRETS):
        assert sh(vm, f"cat {secret} >/dev/null; echo rc=$?").strip() == "rc=0", secret  # there, for root
        refused = sh(vm, f"runuser -u restic-rest -- cat {secret} >/dev/null 2>&1; echo rc=$?").strip()
        assert refused == "rc=1", secret
    # Where the offsite keys go too (offsite-keys.json): the account cannot even list it.
    listed = sh(vm, "runuser -u restic-rest -- ls /etc/landingzone-backup-keeper 2>&1; echo rc=$?")
    assert "Permission denied" in listed and "rc=0" not in listed


def assert_restored_byte_for_byte(vm, path: str):
    """The latest snapshot's copy of ``path``, restored through the REST server with the agent's own
    repository settings, is the file on disk, byte for byte."""
    sh(
        vm,
        f"rm -rf {RESTORED} && set -a && . /etc/landingzone-backup/repository.env && set +a && "
        f"restic --no-cache -q --cacert /etc/landingzone-backup/ca.crt restore latest --target {RESTORED} "
        f"--include {shlex.quote(path)}",
        timeout=600,
    )
    assert sh(vm, f"cmp {shlex.quote(path)} {RESTORED}{shlex.quote(path)} && echo same").strip() == "same"


def assert_local_job_confined(vm, unit):
    seen = probe(vm, unit)
    assert seen["connect to the REST server"].startswith("no"), seen
    assert seen["open an Internet socket"].startswith("no"), seen
    assert seen["write /usr"].startswith("no"), seen
    assert seen["read the keeper's passwords"] == "yes", seen
