"""Hostile strings in sshd's AllowGroups (LZ-SSH-013): the operator group and the extra groups
from the inventory, rendered from the catalog as Ansible renders it and written as the
sshd_option handler writes its line, then read by the real `sshd -T` of the lab image. sshd must
read exactly the groups meant, or the value is refused naming its variable: a space would make
two groups, a ``*`` would let in every group, a newline would start a directive."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import role_render  # noqa: E402
from hostile_strings import HOSTILE, inert  # noqa: E402

pytestmark = pytest.mark.lab

CATALOG = Path(role_render.roles_dir(), "linux_baseline", "controls", "ssh.yml")
(CONTROL,) = [c for c in yaml.safe_load(CATALOG.read_text())["ssh"] if c["id"] == "LZ-SSH-013"]
# sshd -T needs a host key and its privilege separation directory; /run is a tmpfs of the test's
# own mount namespace (lab_tool), the image stays read-only.
SSHD_T = [
    "sh",
    "-c",
    "chmod 600 /tmp/key && mount -t tmpfs tmpfs /run && mkdir /run/sshd"
    " && exec /usr/sbin/sshd -T -f /tmp/cfg -h /tmp/key",
]
GROUP_FIELDS = ("linux_baseline_operator_group", "linux_baseline_ssh_extra_allow_groups")


@pytest.fixture(scope="module")
def host_key(tmp_path_factory):
    key = tmp_path_factory.mktemp("sshd-key") / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key.read_text()


@pytest.fixture
def sshd_groups(lab_tool, host_key):
    def read(config_line: str) -> list[str]:
        done = lab_tool(SSHD_T, {"cfg": config_line + "\n", "key": host_key})
        assert done.returncode == 0, f"sshd -T refused it: {done.stderr.strip()[:400]}"
        lines = done.stdout.splitlines()
        # The whole configuration as sshd reads it: a value must change nothing but the groups.
        assert len([line for line in lines if line.startswith("allowgroups ")]) >= 1, done.stdout[:400]
        return lines

    return read


def allow_groups_line(operator_group, extra_groups=()) -> str:
    """The drop-in's line as the sshd_option handler writes it, from the catalog's value."""
    value = role_render.text(
        "linux_baseline",
        CONTROL["params"]["value"],
        linux_baseline_operator_group=operator_group,
        linux_baseline_ssh_extra_allow_groups=list(extra_groups),
    )
    return f"{CONTROL['params']['option']} {textedit.normalise(value)}"


def _refusing(render, field):
    def rendered(value):
        try:
            return render(value)
        except AnsibleError as exc:
            assert field in str(exc), exc
            raise ValueError(str(exc)) from None

    return rendered


def test_sshd_reads_exactly_the_groups_meant(sshd_groups):
    lines = sshd_groups(allow_groups_line("lz-operators", ["supplier_admins", "lz-operators", "_backup"]))
    assert [line for line in lines if line.startswith("allowgroups ")] == [
        "allowgroups lz-operators",
        "allowgroups supplier_admins",
        "allowgroups _backup",
    ]


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("field", GROUP_FIELDS)
def test_a_hostile_group_is_refused_naming_its_variable(sshd_groups, field, hostile):
    def render(value):
        if field == "linux_baseline_operator_group":
            return allow_groups_line(value)
        return allow_groups_line("lz-operators", [value])

    assert inert(_refusing(render, field), sshd_groups, HOSTILE[hostile]) == "refused"


# Each would let in more than meant, or other than meant, were it written as it is.
WIDER = {
    "every group": "*",
    "a wildcard": "lz-op?rators",
    "a negation": "!lz-operators",
    "two groups": "lz-operators root",
    "a quoted pair": '"lz-operators root"',
    "a comment": "lz-operators #",
    "a list": "lz-operators,root",
    "a final newline": "lz-operators\n",
    "a directive after it": "lz-operators\nPermitRootLogin yes",
    "upper case": "LZ-Operators",
    "leading hyphen": "-lz",
    "33 characters": "a" * 33,
    "not text": 5,
}


@pytest.mark.parametrize("case", WIDER)
@pytest.mark.parametrize("field", GROUP_FIELDS)
def test_a_group_that_would_widen_the_rule_is_refused(field, case):
    value = WIDER[case]
    with pytest.raises(AnsibleError, match=field):
        if field == "linux_baseline_operator_group":
            allow_groups_line(value)
        else:
            allow_groups_line("lz-operators", [value])


def test_without_the_encoder_a_star_lets_every_group_in(sshd_groups):
    """The reason for the encoder: sshd takes a bare ``*`` as a pattern that matches any group."""
    assert "allowgroups *" in sshd_groups("AllowGroups lz-operators *")
