"""A person's login to a desk through the workplace's gateway, with a real RDP client.

FreeRDP (`xfreerdp`) runs on an X display of its own (Xvfb) and logs in as the person, with the
password and the TOTP code typed together in the one password field, as people do
(docs/workplace.md). The proof that a session opened is what the desk paints: a QR code its
session start shows (a hook in the workplace's session.d), read from the client's screenshot
(`xwd`, `zbarimg`). A blank screen, xrdp's own login screen or a refused login shows no code.

The password never reaches a command line, where `ps` would show it to every user of the
machine: xfreerdp reads it from its stdin (`/from-stdin:force`, asked before it connects). Nothing
this module returns or prints holds the password, the code or the TOTP secret.
"""

import base64
import hashlib
import hmac
import os
import signal
import struct
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

SCREEN = "1024x768"
RDP_PORT = 3389
# A TOTP code is valid for its 30-second window; one with less left than this waits for the next.
CODE_MARGIN_SECONDS = 8


def totp_code(secret: str, at: float) -> str:
    """The 6-digit TOTP code (RFC 6238: SHA-1, 30-second steps) of a base32 secret at a time."""
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def fresh_code(secret: str) -> str:
    """A code with at least CODE_MARGIN_SECONDS of its window left, so that the desk checks the same one."""
    if time.time() % 30 > 30 - CODE_MARGIN_SECONDS:
        time.sleep(30 - time.time() % 30 + 1)
    return totp_code(secret, time.time())


class RdpClient:
    """xfreerdp on an Xvfb display of its own, and screenshots of that display."""

    def __init__(self, directory: Path, user: str, password: str, target: str, port: int = RDP_PORT, env=None):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        read, write = os.pipe()
        self.xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{SCREEN}x24", "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as displayfd:
            self.display = ":" + displayfd.readline().strip()
        # The desk's certificate is the municipality CA's, but FreeRDP 2 trusts only the system's
        # store: the login proves where the session lands, not the chain (/cert:ignore).
        self.rdp = subprocess.Popen(
            ["xfreerdp", f"/v:{target}:{port}", f"/u:{user}", "/from-stdin:force", "/cert:ignore",
             f"/size:{SCREEN}", "/bpp:24", "-clipboard", "/log-level:WARN"],
            env={**(env or os.environ), "DISPLAY": self.display, "HOME": str(directory)},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            self.rdp.stdin.write(password + "\n")
            self.rdp.stdin.close()
        except BrokenPipeError:  # it ended before asking: close() tells why
            pass

    def screenshot(self, path: Path) -> Path:
        with open(path, "wb") as out:
            subprocess.run(["xwd", "-root", "-silent", "-display", self.display], stdout=out, check=True)
        return path

    def qr_text(self, path: Path) -> str:
        decoded = subprocess.run(
            ["zbarimg", "-q", "--raw", str(self.screenshot(path))], capture_output=True, text=True, check=False
        )
        return decoded.stdout.strip()

    def wait_for_qr(self, within: float) -> str:
        """The text of the first QR code on the client's screen, or "" when none showed in time
        (or the client ended)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and self.rdp.poll() is None:
            text = self.qr_text(self.directory / "screen.xwd")
            if text:
                return text
            time.sleep(2)
        return ""

    def close(self) -> str:
        """End the client and its display; what the client printed (never the password: it was on stdin)."""
        for process in (self.rdp, self.xvfb):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        return self.rdp.stdout.read() if self.rdp.stdout else ""


@dataclass
class LoginResult:
    """One person's login to one desk: what went into the drill's evidence. No secret."""

    person: str
    desk: str
    logged_in: bool
    # From the client's start to the QR code read (or to giving up).
    seconds: float
    # What the session's QR code said ("" when none showed), and what it had to say.
    nonce_seen: str
    nonce_expected: str
    # Seconds since the epoch when the login ended, on this machine.
    ended_epoch: float
    # Why it did not log in, from what the client printed (last lines), when it did not.
    problem: str = ""

    def as_record(self) -> dict:
        return asdict(self)


def log_in(
    directory: Path,
    gateway: str,
    person: str,
    password: str,
    totp_secret: str | None,
    desk: str,
    expected: str,
    within: float = 120,
    port: int = RDP_PORT,
) -> LoginResult:
    """Log ``person`` in through ``gateway`` and wait up to ``within`` seconds for the session's
    QR code; logged in when it says ``expected`` (the desk's name and the run's word)."""
    answer = password + (fresh_code(totp_secret) if totp_secret else "")
    started = time.monotonic()
    client = RdpClient(directory, person, answer, gateway, port)
    try:
        seen = client.wait_for_qr(within)
        seconds = round(time.monotonic() - started, 1)
    finally:
        # The client never echoes what it read from stdin; should one ever do so, it stops here.
        output = client.close().replace(answer, "[redacted]")
    logged_in = seen == expected
    problem = ""
    if not logged_in:
        last = " | ".join(line.strip() for line in output.splitlines()[-3:] if line.strip())
        problem = f"the session showed {seen!r}, not the drill's word" if seen else f"no session within {within:.0f} s"
        problem += f" (client: {last})" if last else ""
    return LoginResult(person, desk, logged_in, seconds, seen, expected, time.time(), problem)
