"""The VM harness itself: boot, SSH with the test's key, Ansible with become,
a reboot through Ansible that keeps the disk, and nothing left behind."""

import socket

import pytest
from catalog import KERNEL_TYPES, load_controls, of_types, selected_for_server
from kernel_checks import (
    assert_audit_rules_loaded_and_locked,
    assert_modules_cannot_load,
    assert_mount_options_live,
    assert_sysctls_live,
)
from lab_vm import PLAYBOOKS

pytestmark = pytest.mark.vm

KERNEL_CONTROLS = of_types(selected_for_server(load_controls()), *KERNEL_TYPES)


def test_operator_logs_in_with_its_key_and_sudo_needs_no_password(lab_vm):
    assert lab_vm.ssh("id -un").strip() == "operator"
    assert lab_vm.ssh("sudo -n id -u").strip() == "0"


def test_vm_cannot_reach_the_host(lab_vm):
    # Without restrict=on, qemu would carry a connection to its gateway 10.0.2.2
    # to the host's loopback: a listener there must see nothing.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(1)
        port = listener.getsockname()[1]
        attempt = lab_vm.machine.ssh(f"timeout 5 bash -c 'echo > /dev/tcp/10.0.2.2/{port}'", check=False)
        assert attempt.returncode != 0
        with pytest.raises(TimeoutError):
            listener.accept()


def test_reboot_through_ansible_keeps_the_disk_and_the_key(lab_vm):
    lab_vm.playbook(PLAYBOOKS / "mark_disk.yml")
    lab_vm.reboot()
    assert lab_vm.ssh("sudo -n cat /var/lib/lz-vm-mark").strip() == "written before the reboot"
    assert lab_vm.ssh("id -un").strip() == "operator"


@pytest.mark.parametrize(
    "check, control_type",
    [
        (assert_sysctls_live, "sysctl"),
        (assert_modules_cannot_load, "kernel_module"),
        (assert_mount_options_live, "mount_option"),
        (assert_audit_rules_loaded_and_locked, "audit_rule"),
    ],
)
def test_kernel_checks_fail_on_a_vm_without_the_baseline(lab_vm, check, control_type):
    # A check that passes on an unhardened VM would prove nothing about the baseline.
    with pytest.raises(AssertionError):
        check(lab_vm, of_types(KERNEL_CONTROLS, control_type))
