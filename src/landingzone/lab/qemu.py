"""One throwaway lab VM under qemu.

The VM boots the cached disk (landingzone.lab.vm) through a copy-on-write
overlay, so the base stays clean; its only network path is SSH forwarded from
a port on the host's loopback; its operator key comes in through qemu's
firmware configuration device. Stopping it kills qemu and deletes the overlay.
Only one lab VM runs on a machine at a time: software emulation is slow and
the cores are shared.
"""

import ctypes
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from landingzone.errors import LandingzoneError
from landingzone.lab.vm import VmImage

QEMU = "qemu-system-x86_64"
MACHINE_LOCK = Path("/run/lock/landingzone-vm.lock")
# /dev/kvm exists on the lab machines but does not work: always emulate.
ACCEL = "tcg"
KERNEL_COMMAND_LINE = "root=/dev/vda rw console=ttyS0"
OPERATOR = "operator"
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_parent() -> None:
    """Runs in the child before qemu starts: if the Python process that started
    it is killed outright (no cleanup runs), the kernel kills qemu too."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _take_machine_lock(timeout: float) -> int:
    """The descriptor holding the machine's one-VM lock, taken within timeout seconds."""
    MACHINE_LOCK.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(MACHINE_LOCK, os.O_WRONLY | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return descriptor
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(descriptor)
                raise LandingzoneError(
                    f"another lab VM kept {MACHINE_LOCK} for {timeout:.0f} s: wait for its test run to end and retry"
                ) from None
            time.sleep(2)


class VirtualMachine:
    """A running lab VM; use it as a context manager so that it always stops."""

    def __init__(
        self,
        image: VmImage,
        public_key: Path,
        private_key: Path,
        memory_mb: int = 1024,
        boot_loader: Path | None = None,
    ):
        self.image = image
        # A boot loader qemu starts in the kernel's place (GRUB's lnxboot image): every boot of the
        # VM, a reboot from inside included, then goes through it and the command line it finds.
        self.boot_loader = boot_loader
        self.public_key = public_key
        self.private_key = private_key
        self.memory_mb = memory_mb
        self.port: int | None = None
        self.workdir: Path | None = None
        self.process: subprocess.Popen | None = None
        self._lock: int | None = None

    @property
    def console_log(self) -> Path:
        return self.workdir / "console.log"

    def __enter__(self) -> "VirtualMachine":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def qemu_command(self, overlay: Path, port: int) -> list[str]:
        return [
            QEMU,
            "-accel", ACCEL,
            # The plain model: measured on the lab machine, boots under TCG
            # with "-cpu max" took about a third longer.
            "-cpu", "qemu64",
            # One vCPU: under TCG a second one would take the machine's other core.
            "-smp", "1",
            "-m", str(self.memory_mb),
            "-nodefaults", "-no-user-config",
            "-display", "none",
            "-monitor", "none",
            "-serial", f"file:{self.console_log}",
            *self.boot_arguments(),
            # The overlay is thrown away: no need to wait for flushes to reach the host disk.
            "-drive", f"file={overlay},if=virtio,format=qcow2,cache=unsafe",
            # restrict=on: the guest reaches nothing, not even the host; only
            # the forwarded loopback port reaches the guest.
            "-netdev", f"user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:22",
            "-device", "virtio-net-pci,netdev=net0,romfile=",
            "-device", "virtio-rng-pci",
            "-fw_cfg", f"name=opt/lz/authorized_keys,file={self.public_key}",
        ]  # fmt: skip

    def boot_arguments(self) -> list[str]:
        if self.boot_loader is not None:
            return ["-kernel", str(self.boot_loader)]
        return ["-kernel", str(self.image.kernel), "-initrd", str(self.image.initrd), "-append", KERNEL_COMMAND_LINE]

    def start(self, lock_timeout: float = 900) -> None:
        if shutil.which(QEMU) is None:
            raise LandingzoneError(f"{QEMU} is not installed: install lab/vm/host-packages.txt (`make setup`)")
        self._lock = _take_machine_lock(lock_timeout)
        self.workdir = Path(tempfile.mkdtemp(prefix="landingzone-vm-", dir="/var/tmp"))
        overlay = self.workdir / "overlay.qcow2"
        subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(self.image.disk), str(overlay)],
            check=True,
            capture_output=True,
        )
        # Another program may take the free port before qemu binds it: qemu
        # then exits at once, and another port is tried.
        for _attempt in range(3):
            self.port = free_loopback_port()
            with open(self.workdir / "qemu.err", "wb") as errors:
                self.process = subprocess.Popen(
                    self.qemu_command(overlay, self.port),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,
                )
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                return
            if "forwarding" not in (self.workdir / "qemu.err").read_text(errors="replace"):
                break
        self._check_running()

    def _console_tail(self, lines: int = 15) -> str:
        try:
            text = self.console_log.read_text(errors="replace")
        except OSError:
            return "    (no console output)"
        # The serial console ends its lines with \r\r\n: drop the blank ones in between.
        kept = [line for line in text.splitlines() if line.strip()]
        return "\n".join("    " + line for line in kept[-lines:])

    def _check_running(self) -> None:
        if self.process.poll() is not None:
            error = (self.workdir / "qemu.err").read_text(errors="replace").strip()
            raise LandingzoneError(
                f"qemu exited with status {self.process.returncode}: {error or 'no message'}\n{self._console_tail()}"
            )

    def ssh_command(self, command: str, *, connect_timeout: int = 20) -> list[str]:
        return [
            "ssh",
            "-i", str(self.private_key),
            "-p", str(self.port),
            "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes",
            # Every lab VM is new and reachable on loopback only: nothing to pin.
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR",
            "-o", f"ConnectTimeout={connect_timeout}",
            "-o", "ServerAliveInterval=15",
            f"{OPERATOR}@127.0.0.1",
            "--",
            command,
        ]  # fmt: skip

    def ssh(self, command: str, *, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        """Run a shell command as the operator over SSH; text output."""
        self._check_running()
        try:
            result = subprocess.run(
                self.ssh_command(command),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise LandingzoneError(f"ssh to the lab VM: {command!r} did not finish in {timeout:.0f} s") from None
        if check and result.returncode != 0:
            raise LandingzoneError(
                f"ssh to the lab VM: {command!r} exited {result.returncode}: {result.stderr.strip()}"
            )
        return result

    def wait_for_ssh(self, timeout: float = 240) -> float:
        """Wait until the operator logs in; returns the seconds it took."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            self._check_running()
            try:
                attempt = subprocess.run(
                    self.ssh_command("true", connect_timeout=10),
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=30,
                    check=False,
                )
                if attempt.returncode == 0:
                    return time.monotonic() - started
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() > deadline:
                raise LandingzoneError(
                    f"the lab VM did not accept SSH on 127.0.0.1:{self.port} within {timeout:.0f} s; "
                    f"its console ends with:\n{self._console_tail()}"
                )
            time.sleep(3)

    def stop(self, keep_console_in: Path | None = None) -> None:
        """Kill qemu and delete the overlay; keep a copy of the console log if asked."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if self.workdir is not None:
            if keep_console_in is not None and self.console_log.exists():
                keep_console_in.mkdir(parents=True, exist_ok=True)
                shutil.copy(self.console_log, keep_console_in / "console.log")
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
