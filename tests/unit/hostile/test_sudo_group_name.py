"""Hostile strings in linux_baseline_sudo_group, the group sudo is closed to (LZ-SUDO-013) and that
break-glass joins (LZ-BG-001). The value becomes a word of dpkg-statoverride's command line and of
its database, and a member of useradd's --groups list: anything but a plain group name is refused
on the controller, naming the variable, as the role renders its catalog; the module's schema
refuses it again, naming the control and the field, for a caller that skips the role."""

import sys
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import (
    ControlError,
    validate_controls,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import role_render  # noqa: E402
from hostile_strings import FIELD_VALUES, HOSTILE  # noqa: E402

CONTROLS = Path(role_render.roles_dir(), "linux_baseline", "controls")
(SUDO_GROUP,) = [c for c in yaml.safe_load((CONTROLS / "sudo.yml").read_text())["sudo"] if c["id"] == "LZ-SUDO-013"]
(BREAKGLASS,) = yaml.safe_load((CONTROLS / "breakglass.yml").read_text())["breakglass"]
FIELD = "linux_baseline_sudo_group"
# Each would name another group, more groups, or another word in dpkg's database.
WIDER = {
    **{name: value.replace("{valid}", "sudo") for name, value in FIELD_VALUES.items()},
    **{name: value for name, value in HOSTILE.items()},
    "two groups": "sudo adm",
    "a list": "sudo,adm",
    "a wildcard": "*",
    "upper case": "Sudo",
    "leading hyphen": "--force-all",
    "33 characters": "a" * 33,
    "empty": "",
    "not text": 27,
}


def rendered_group(value):
    return role_render.text("linux_baseline", SUDO_GROUP["params"]["group"], **{FIELD: value})


def rendered_breakglass_groups(value):
    return role_render.text("linux_baseline", BREAKGLASS["params"]["groups"], **{FIELD: value})


def test_a_plain_group_name_reaches_both_controls_unchanged():
    assert rendered_group("lz-operators") == "lz-operators"
    assert list(rendered_breakglass_groups("lz-operators")) == ["sudo", "lz-operators"]
    assert rendered_group("sudo") == "sudo"
    assert list(rendered_breakglass_groups("sudo")) == ["sudo"]


@pytest.mark.parametrize("case", WIDER)
@pytest.mark.parametrize("render", [rendered_group, rendered_breakglass_groups])
def test_a_hostile_group_is_refused_on_the_controller_naming_the_variable(render, case):
    with pytest.raises(AnsibleError, match=FIELD):
        render(WIDER[case])


@pytest.mark.parametrize("case", WIDER)
def test_the_module_refuses_it_too_naming_control_and_field(case):
    control = dict(SUDO_GROUP, params={"group": WIDER[case]})
    with pytest.raises(ControlError, match=r"control LZ-SUDO-013: params\.group"):
        validate_controls([control])
