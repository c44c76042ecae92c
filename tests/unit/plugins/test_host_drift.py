"""host_drift: what of a role's wanted state a host lacks, read from a file tree under a root prefix with the
engine's fake commands (systemctl, systemd-detect-virt). The workplace lab tests read real desks with it."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.cyberveilig.landingzone.plugins.modules import host_drift as drift
from engine_harness import make_host

XRDP_INI = "[Globals]\nport=3389\n"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def wanted(**options) -> dict:
    """The module's options, with its defaults, as AnsibleModule hands them over."""
    params = {key: [] for key in drift.ARGUMENT_SPEC}
    for key, value in options.items():
        suboptions = drift.ARGUMENT_SPEC[key].get("options")
        if suboptions:
            defaults = {name: spec.get("default") for name, spec in suboptions.items()}
            value = [{**defaults, **item} for item in value]
        params[key] = value
    return params


def read(system, **options) -> dict:
    return drift.host_drift(make_host(system, check_mode=True), wanted(**options))


def ini(path="/etc/xrdp/xrdp.ini", content=XRDP_INI, mode="0644", **extra) -> dict:
    return {"path": path, "sha256": sha(content), "mode": mode, "owner": "root", "group": "root", **extra}


def test_a_host_that_holds_everything_has_no_drift(system):
    system.write("/etc/xrdp/xrdp.ini", XRDP_INI)
    system.write("/etc/xrdp/startwm.sh", "#!/bin/sh\n", 0o755)
    (system.root / "etc/landingzone-workplace").mkdir(parents=True)
    os.chmod(system.root / "etc/landingzone-workplace", 0o755)
    installed = "Status: install ok installed\n"
    system.write("/var/lib/dpkg/status", f"Package: xrdp\n{installed}\nPackage: haproxy\n{installed}")
    system.units["xrdp.service"] = {"enabled": "enabled", "active": "active"}

    found = read(
        system,
        files=[ini(), ini("/etc/xrdp/startwm.sh", "#!/bin/sh\n", "0755")],
        directories=[{"path": "/etc/landingzone-workplace", "mode": "0755", "owner": "root", "group": "root"}],
        packages=["xrdp", "haproxy"],
        units=[{"name": "xrdp.service", "enabled": True, "active": True}],
        groups=["sudo"],
        accounts=[{"name": "ops", "groups": ["sudo"], "shell": "/bin/bash"}],
    )

    assert found["drift"] is False
    assert found["account_uids"] == {"ops": "1000"}
    assert found["passwordless_accounts"] == []
    assert found["container"] is False


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda real: real.write_text("[Globals]\nport=3390\n"), "content"),
        (lambda real: os.chmod(real, 0o666), "mode"),
        (lambda real: os.chown(real, 1000, 0), "owner"),
        (lambda real: os.chown(real, 0, 1000), "group"),
        (lambda real: real.unlink(), "missing"),
        (lambda real: (real.unlink(), real.mkdir()), "a directory where the file should be"),
        (lambda real: (real.unlink(), real.symlink_to("/etc/passwd")), "a symlink where the file should be"),
    ],
)
def test_a_file_that_differs_in_any_way_is_stale(system, change, why):
    real = system.write("/etc/xrdp/xrdp.ini", XRDP_INI)
    system.write("/etc/xrdp/sesman.ini", "[Sessions]\n")
    change(real)

    found = read(system, files=[ini(), ini("/etc/xrdp/sesman.ini", "[Sessions]\n")])

    assert found["stale_files"] == ["/etc/xrdp/xrdp.ini"], why
    assert found["drift"] is True


def test_a_secret_file_is_read_by_its_first_line_and_may_be_written_back_read_only(system):
    # pam_google_authenticator appends the codes used and writes the file back 0400.
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    real = system.write("/var/lib/totp/lmertens", f'{secret}\n" TOTP_AUTH\n12345678\n', 0o400)
    totp = {"path": "/var/lib/totp/lmertens", "sha256": sha(secret), "first_line": True, "mode": "0600",
            "also_modes": ["0400"], "owner": "root", "group": "root"}  # fmt: skip

    assert read(system, files=[totp])["stale_files"] == []
    os.chmod(real, 0o644)
    assert read(system, files=[totp])["stale_files"] == [totp["path"]], "a readable secret is stale"
    real.write_text(f'{secret[::-1]}\n" TOTP_AUTH\n', encoding="utf-8")
    os.chmod(real, 0o600)
    assert read(system, files=[totp])["stale_files"] == [totp["path"]], "another secret is stale"


def test_a_file_given_without_a_checksum_returns_its_own(system):
    system.write("/etc/nftables.d/landingzone-workplace.nft", "table inet x {}\n")
    egress = {"path": "/etc/nftables.d/landingzone-workplace.nft", "mode": "0644", "owner": "root", "group": "root"}

    found = read(system, files=[egress, {**egress, "path": "/etc/nftables.d/missing.nft"}])

    assert found["checksums"] == {egress["path"]: sha("table inet x {}\n"), "/etc/nftables.d/missing.nft": None}
    assert found["stale_files"] == ["/etc/nftables.d/missing.nft"]


def test_directories_entries_and_paths_to_remove(system):
    system.write("/var/lib/totp/lmertens", "A\n", 0o600)
    system.write("/var/lib/totp/gone", "B\n", 0o600)
    os.chmod(system.root / "var/lib/totp", 0o755)
    system.write("/etc/haproxy/apparmor.conf", "[Service]\n")

    found = read(
        system,
        directories=[
            {"path": "/var/lib/totp", "mode": "0700", "owner": "root", "group": "root"},
            {"path": "/etc/nftables.d", "mode": "0755", "owner": "root", "group": "root"},
        ],
        directory_entries=[{"path": "/var/lib/totp", "keep": ["lmertens"]}, {"path": "/var/lib/none", "keep": []}],
        absent=["/etc/haproxy/apparmor.conf", "/etc/haproxy/never.conf"],
    )

    assert found["stale_directories"] == ["/var/lib/totp", "/etc/nftables.d"]
    assert found["stray_entries"] == ["/var/lib/totp/gone"]
    assert found["present"] == ["/etc/haproxy/apparmor.conf"]


def test_a_package_is_missing_unless_dpkg_holds_it_installed_and_configured(system):
    system.write(
        "/var/lib/dpkg/status",
        "Package: xrdp\nStatus: install ok installed\n\n"
        "Package: xorgxrdp\nStatus: install ok unpacked\n\n"
        "Package: haproxy\nStatus: deinstall ok config-files\n",
    )

    found = read(system, packages=["xrdp", "xorgxrdp", "haproxy", "nginx"])

    assert found["missing_packages"] == ["xorgxrdp", "haproxy", "nginx"]


@pytest.mark.parametrize(
    ("state", "stale"),
    [
        ({"enabled": "enabled", "active": "active"}, False),
        ({"enabled": "disabled", "active": "active"}, True),
        ({"enabled": "enabled", "active": "inactive"}, True),
        # Skipped by systemd (a mount in a container): starting it again would change nothing.
        ({"enabled": "enabled", "active": "inactive", "condition": "no"}, False),
        # Never tried since boot: ConditionResult reads no there too, without a timestamp.
        ({"enabled": "enabled", "active": "inactive", "condition": "never"}, True),
        ({"enabled": "masked", "active": "inactive", "condition": "no"}, True),
    ],
)
def test_a_unit_is_stale_when_not_enabled_or_not_running_where_it_could(system, state, stale):
    system.units["var-tmp.mount"] = state

    found = read(system, units=[{"name": "var-tmp.mount", "enabled": True, "active": True}])

    assert found["stale_units"] == (["var-tmp.mount"] if stale else [])


def test_accounts_and_groups_are_read_without_a_password_hash_leaving_the_host(system):
    system.write("/etc/passwd", system.read("/etc/passwd") + "lmertens:x:1001:1001::/home/lmertens:/bin/sh\n"
                 "svermeulen:x:1002:1002::/home/svermeulen:/bin/bash\n")  # fmt: skip
    system.write("/etc/group", system.read("/etc/group") + "lz-desks:x:1003:svermeulen\n")
    shadow = "lmertens:!:19000::::::\nsvermeulen:$y$j9T$s$h:19000::::::\n"
    system.write("/etc/shadow", system.read("/etc/shadow") + shadow, 0o640)
    people = [
        {"name": "lmertens", "groups": ["lz-desks"], "shell": "/bin/bash"},
        {"name": "svermeulen", "groups": ["lz-desks"], "shell": "/bin/bash"},
        {"name": "kdewilde", "groups": ["lz-desks"], "shell": "/bin/bash"},
    ]

    found = read(system, accounts=people, groups=["lz-desks", "lz-desk-bevolking"])

    # lmertens: wrong shell and not in lz-desks; kdewilde: no account yet.
    assert found["stale_accounts"] == ["lmertens", "kdewilde"]
    assert found["passwordless_accounts"] == ["lmertens", "kdewilde"]
    assert found["account_uids"] == {"lmertens": "1001", "svermeulen": "1002"}
    assert found["missing_groups"] == ["lz-desk-bevolking"]
    assert "$y$" not in json.dumps(found)


def test_an_extra_group_makes_an_account_stale(system):
    system.write("/etc/passwd", system.read("/etc/passwd") + "lmertens:x:1001:1001::/home/lmertens:/bin/bash\n")
    system.write("/etc/group", system.read("/etc/group").replace("sudo:x:27:ops", "sudo:x:27:ops,lmertens"))

    found = read(system, accounts=[{"name": "lmertens", "groups": [], "shell": "/bin/bash"}])

    assert found["stale_accounts"] == ["lmertens"]


def test_a_container_is_told_apart(system):
    system.write("/run/.containerenv", "")

    assert read(system)["container"] is True


def test_the_module_refuses_a_relative_path_and_hides_the_checksums(capsys):
    arguments = {"files": [{"path": "etc/xrdp/xrdp.ini", "sha256": "ab" * 32, "mode": "0644", "owner": "root",
                            "group": "root"}]}  # fmt: skip
    with patch_module_args(arguments), pytest.raises(SystemExit):
        drift.main()
    result = json.loads(capsys.readouterr().out)

    assert result["failed"] is True
    assert "paths must be absolute: etc/xrdp/xrdp.ini" in result["msg"]
    assert "ab" * 32 not in json.dumps(result)
