"""What the baseline's catalog promises, read from roles/linux_baseline/controls,
so that no expected value is written down a second time in the VM tests."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "roles" / "linux_baseline" / "controls"
LEVELS = ("basic", "important", "essential")
# The controls only a real kernel can prove: containers report their live part not_applicable.
KERNEL_TYPES = (
    "sysctl", "kernel_module", "audit_rule", "mount_option", "apparmor_profile_mode", "apparmor_confined_process",
)  # fmt: skip
# Where the host boots through GRUB: the lab VMs boot their kernel from qemu, so these are
# not_applicable there, with that reason; test_grub_cmdline_vm.py boots one through GRUB instead.
BOOT_LOADER_TYPES = ("kernel_cmdline",)
# The highest level includes the others: the VM proves every control of the catalog.
VM_LEVEL = "essential"


def load_controls() -> list[dict]:
    """Every control of the catalog, area file by area file."""
    controls = []
    for path in sorted(CATALOG.glob("*.yml")):
        for entries in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).values():
            controls.extend(entries or [])
    return controls


def selected_for_server(controls: list[dict], level: str = VM_LEVEL) -> list[dict]:
    """The controls the role runs on a server at that level. Those that wait for
    something a municipality configures (configured_when) are left out: the VM
    configures none of it."""
    highest = LEVELS.index(level)
    return [
        control
        for control in controls
        if LEVELS.index(control["level"]) <= highest
        and "server" in control["applies_to"]
        and "configured_when" not in control
    ]


def of_types(controls: list[dict], *types: str) -> list[dict]:
    return [control for control in controls if control["type"] in types]


def ids_not_of_types(controls: list[dict], *types: str) -> list[str]:
    """Ids to switch off (linux_baseline_disabled_controls) to run only those types."""
    return [control["id"] for control in controls if control["type"] not in types]
