"""What a handler's check reports back to the engine."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Finding:
    compliant: bool
    found: object = None
    expected: object = None
    reason: str = ""  # why it is not compliant, in words
    fixable: bool = True  # False: the engine must not touch it; a person has to
    live_reason: str = ""  # set when the live part cannot be changed on this host
    reboot_required: bool = False
