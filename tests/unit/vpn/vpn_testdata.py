"""A fixed clock, host addresses and real WireGuard keys for the VPN gateway's unit tests."""

import datetime
import subprocess

NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.UTC)
ADDRESSES = {"app1": "10.231.250.11", "app2": "10.231.250.12"}


def wg_key() -> str:
    """A real WireGuard public key (wg genkey | wg pubkey), so patterns are tested on real keys."""
    private = subprocess.run(["wg", "genkey"], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
    public = subprocess.run(["wg", "pubkey"], input=private.stdout, capture_output=True, text=True, check=True)
    return public.stdout.strip()
