"""What a handler's check reports back to the engine."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Finding:
    compliant: bool
    found: object = None
    expected: object = None
    reason: str = ""  # why it is not compliant, in words
    fixable: bool = True  # False: the engine must not touch it; a person has to
    live_reason: str = ""  # set when the live part cannot be changed on this host
    reboot_required: bool = False
    held_back: list = field(default_factory=list)  # what the fix left alone on purpose, and why
    warnings: list = field(default_factory=list)  # what an auditor should see although the control passes
