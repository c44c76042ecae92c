"""apparmor_profile: the profile file, its parse by the real apparmor_parser, and when it is loaded.

This machine's kernel has no AppArmor, so the kernel's side is a stand-in: a directory in place of
/sys/kernel/security/apparmor whose ``profiles`` file a fake ``apparmor_parser --replace`` writes,
as the kernel lists what it loaded. Every parse goes to the real apparmor_parser (the Debian package
apparmor), without loading. tests/vm loads the profiles into Debian's kernel for real.
"""

from __future__ import annotations

import json
import shutil

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.cyberveilig.landingzone.plugins.modules import apparmor_profile

PARSER = shutil.which("apparmor_parser", path="/usr/sbin:/sbin")
pytestmark = pytest.mark.skipif(PARSER is None, reason="apparmor_parser is missing (Debian package apparmor)")

PROFILE = """\
abi <abi/3.0>,
include <tunables/global>

profile landingzone-test-service flags=(attach_disconnected) {
  include <abstractions/base>
  /srv/test-service/** r,
}
"""


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A host whose kernel runs AppArmor, in a directory: its profile directory and securityfs."""
    profiles = tmp_path / "etc" / "apparmor.d"
    (profiles / "disable").mkdir(parents=True)
    (profiles / "force-complain").mkdir()
    securityfs = tmp_path / "securityfs"
    securityfs.mkdir()
    (securityfs / "profiles").write_text("some-other-profile (enforce)\n")
    enabled = tmp_path / "enabled"
    enabled.write_text("Y\n")
    loads = tmp_path / "loads"
    fake = tmp_path / "bin" / "apparmor_parser"
    fake.parent.mkdir()
    # --replace stands for the kernel: it lists the profile as loaded in enforce mode and counts the
    # load. Anything else (the parse check) is the real parser's.
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --replace ]; then\n'
        f'  {PARSER} --skip-kernel-load --skip-cache --quiet "$2" || exit 1\n'
        f"  echo load >> {loads}\n"
        f'  grep -v "^landingzone-test-service " {securityfs}/profiles > {securityfs}/next\n'
        f'  echo "landingzone-test-service (enforce)" >> {securityfs}/next\n'
        f"  mv {securityfs}/next {securityfs}/profiles\n"
        "  exit 0\n"
        "fi\n"
        f'exec {PARSER} "$@"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setattr(apparmor_profile, "PROFILE_DIR", str(profiles))
    monkeypatch.setattr(apparmor_profile, "SECURITYFS", str(securityfs))
    monkeypatch.setattr(apparmor_profile, "ENABLED", str(enabled))
    monkeypatch.setattr(apparmor_profile, "CONTAINER_MARKS", (str(tmp_path / "containerenv"),))
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")

    class Host:
        directory = profiles
        path = profiles / "landingzone-test-service"
        container_mark = tmp_path / "containerenv"

        @staticmethod
        def loads() -> int:
            return len(loads.read_text().splitlines()) if loads.exists() else 0

        @staticmethod
        def kernel_lists(line: str) -> None:
            (securityfs / "profiles").write_text(line + "\n")

        @staticmethod
        def switch_off() -> None:
            shutil.rmtree(securityfs)

    return Host


def run(capsys, check_mode=False, **args) -> dict:
    module_args = {"name": "landingzone-test-service", "content": PROFILE, **args}
    if check_mode:
        module_args["_ansible_check_mode"] = True
    module_args["_ansible_diff"] = True
    with patch_module_args(module_args), pytest.raises(SystemExit):
        apparmor_profile.main()
    return json.loads(capsys.readouterr().out)


def test_where_apparmor_runs_the_profile_is_written_and_loaded_in_enforce_mode_once(host, capsys):
    first = run(capsys)
    assert first["changed"] and first["loaded"] and first["enforcing"] and first["skipped_reason"] == ""
    assert host.path.read_text() == PROFILE and oct(host.path.stat().st_mode & 0o777) == "0o644"
    again = run(capsys)
    assert not again["changed"] and not again["loaded"] and again["enforcing"]
    assert host.loads() == 1


def test_check_mode_predicts_the_write_and_the_load_and_does_neither(host, capsys):
    predicted = run(capsys, check_mode=True)
    assert predicted["changed"] and predicted["loaded"] and predicted["enforcing"]
    assert predicted["diff"]["after"] == PROFILE and predicted["diff"]["before"] == ""
    assert not host.path.exists() and host.loads() == 0
    run(capsys)
    assert not run(capsys, check_mode=True)["changed"]


def test_a_profile_the_kernel_holds_in_complain_mode_is_loaded_again_in_enforce_mode(host, capsys):
    run(capsys)
    host.kernel_lists("landingzone-test-service (complain)")
    assert run(capsys, check_mode=True)["loaded"]
    result = run(capsys)
    assert result["changed"] and result["loaded"] and host.loads() == 2


def test_a_link_that_would_disable_the_profile_at_boot_is_removed(host, capsys):
    run(capsys)
    for sub in ("disable", "force-complain"):
        (host.directory / sub / "landingzone-test-service").symlink_to(host.path)
    result = run(capsys)
    assert result["changed"]
    assert not any(
        (host.directory / sub / "landingzone-test-service").is_symlink() for sub in ("disable", "force-complain")
    )


def test_in_a_container_the_file_is_installed_and_the_skip_says_why(host, capsys):
    host.container_mark.write_text("")
    result = run(capsys)
    assert result["changed"] and not result["loaded"] and not result["enforcing"]
    assert "container" in result["skipped_reason"] and host.path.read_text() == PROFILE
    assert host.loads() == 0 and not run(capsys)["changed"]


def test_where_the_kernels_apparmor_is_off_the_skip_says_so(host, capsys):
    host.switch_off()
    result = run(capsys)
    assert not result["enforcing"] and "not enabled in this kernel" in result["skipped_reason"]
    assert host.path.exists() and host.loads() == 0


def test_without_apparmor_parser_the_skip_names_the_package(host):
    assert "apparmor package" in apparmor_profile.why_not_loadable(None)


def test_a_profile_the_parser_refuses_fails_naming_it_and_writes_nothing(host, capsys):
    broken = PROFILE.replace("/srv/test-service/** r,", "/srv/test-service/** rq,")
    result = run(capsys, content=broken)
    assert result["failed"] and "landingzone-test-service" in result["msg"] and "apparmor_parser" in result["msg"]
    assert not host.path.exists()


@pytest.mark.parametrize(
    "name",
    [
        "usr.sbin.rsyslogd",
        "landingzone-../../etc/passwd",
        "landingzone-A",
        "landingzone-x\n",
        "landingzone-" + "a" * 70,
    ],
)
def test_a_name_outside_the_landing_zones_own_is_refused(host, capsys, name):
    result = run(capsys, name=name)
    assert result["failed"] and "is not landingzone-" in result["msg"]
    assert sorted(path.name for path in host.directory.iterdir()) == ["disable", "force-complain"]


def test_content_that_declares_another_profile_is_refused(host, capsys):
    result = run(capsys, name="landingzone-other")
    assert result["failed"] and "declares no 'profile landingzone-other'" in result["msg"]
    assert not (host.directory / "landingzone-other").exists()
