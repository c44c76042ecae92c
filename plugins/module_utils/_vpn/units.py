"""systemd timers that end a supplier's access at its expiry time, on the gateway itself.

One timer per supplier, calendar time in UTC to the second. ``Persistent=true`` makes a
gateway that was down at that moment end the access as soon as it boots.
"""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import names


def expiry_timer(supplier, expires):
    when = expires.strftime("%Y-%m-%d %H:%M:%S UTC")
    return "\n".join(
        [
            "# Managed by cyberveilig.landingzone (role vpn_gateway): replaced on every run.",
            "[Unit]",
            f"Description=End the VPN access of supplier {supplier} at its expiry ({when})",
            "",
            "[Timer]",
            f"OnCalendar={when}",
            "AccuracySec=1s",
            "Persistent=true",
            f"Unit=vpn-gateway-expire@{supplier}.service",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
    )


def timer_files(active):
    """{path: content} of the timers the active suppliers need."""
    return {f"{names.UNIT_DIR}/{names.expiry_timer(s['name'])}": expiry_timer(s["name"], s["expires"]) for s in active}
