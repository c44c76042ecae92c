"""A control that would shut out an account that must keep access is held back, not committed."""

from __future__ import annotations

import os

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access import lockout
from engine_harness import TODAY, control
from lockout_harness import arrange, run_kept

DROPIN = "/etc/ssh/sshd_config.d/00-landingzone.conf"
ALLOW_GROUPS = control("sshd_option", {"option": "AllowGroups", "value": "lz-operators"}, "LZ-SSH-013")
LOGIN_GROUP = control("login_group", {"name": "lz-operators"}, "LZ-SSH-035")
ROOT_LOGIN = control("sshd_option", {"option": "PermitRootLogin", "value": "no"}, "LZ-SSH-005")
PORT_22 = control("sshd_option", {"option": "Port", "value": 22}, "LZ-SSH-028")


def by_id(report):
    return {r["id"]: r for r in report["results"]}


def test_a_missing_operator_group_is_created_with_the_keepers_so_allow_groups_admits_them(system):
    arrange(system)
    report, _ = run_kept(system, [ALLOW_GROUPS, LOGIN_GROUP], connected="admin2")
    results = by_id(report)

    assert results["LZ-SSH-013"]["status"] == "fixed"
    assert results["LZ-SSH-035"]["status"] == "fixed"
    group = [line for line in system.read("/etc/group").splitlines() if line.startswith("lz-operators:")]
    assert group == ["lz-operators:x:999:ops,admin2"]
    assert report["access"]["held_back"] == {}
    assert "AllowGroups lz-operators" in system.read(DROPIN)


def test_allow_groups_without_the_group_control_is_held_back_naming_account_and_rule(system):
    arrange(system)
    report, _ = run_kept(system, [ALLOW_GROUPS, ROOT_LOGIN])
    results = by_id(report)

    held = results["LZ-SSH-013"]
    assert held["status"] == "fail" and held["changed"] is False
    assert "held back" in held["reason"] and "ops" in held["reason"]
    assert "AllowGroups lz-operators names none of its groups" in held["reason"]
    assert held["evidence"]["held_back"]
    # The rest of the run still applies; the held control left no trace in the file.
    assert results["LZ-SSH-005"]["status"] == "fixed"
    assert "PermitRootLogin no" in system.read(DROPIN)
    assert "AllowGroups" not in system.read(DROPIN)


def test_check_mode_predicts_the_same_hold_back(system):
    arrange(system)
    predicted, _ = run_kept(system, [ALLOW_GROUPS, ROOT_LOGIN], check_mode=True)
    assert by_id(predicted)["LZ-SSH-013"]["status"] == "fail"
    assert by_id(predicted)["LZ-SSH-013"]["changed"] is False
    assert by_id(predicted)["LZ-SSH-005"]["changed"] is True
    assert system.read(DROPIN) is None


def test_a_port_change_that_leaves_the_session_port_behind_is_held_back(system):
    # sshd listens on 2222 (the session's port), set before the drop-ins are read, so the
    # handler would comment it out; the variable still says 22.
    arrange(system)
    system.write("/etc/ssh/sshd_config", "Port 2222\nInclude /etc/ssh/sshd_config.d/*.conf\nUsePAM yes\n")
    report, _ = run_kept(system, [PORT_22], ssh_connection="10.20.0.9 50022 10.20.0.5 2222")

    result = by_id(report)["LZ-SSH-028"]
    assert result["status"] == "fail"
    assert "not on port 2222 that the session uses" in result["reason"]
    assert system.read(DROPIN) is None
    assert system.read("/etc/ssh/sshd_config").startswith("Port 2222\n")


def test_a_second_port_line_after_the_drop_ins_keeps_the_session_port(system):
    # Debian's sshd_config reads the drop-ins first; a Port set after that adds a port.
    arrange(system, sessions_port=2222)
    report, _ = run_kept(system, [PORT_22], ssh_connection="10.20.0.9 50022 10.20.0.5 2222")
    assert by_id(report)["LZ-SSH-028"]["status"] == "fixed"


def test_root_login_off_is_held_back_when_the_run_connects_as_root(system):
    arrange(system)
    system.write("/root/.ssh/authorized_keys", "ssh-ed25519 AAAA root\n", 0o600)
    report, _ = run_kept(system, [ROOT_LOGIN], connected="root")
    result = by_id(report)["LZ-SSH-005"]
    assert result["status"] == "fail" and "PermitRootLogin no" in result["reason"]
    assert result["reason"].startswith(
        "held back, not committed: it would shut root (the account the run is connected as) out of SSH: "
        "sshd refuses root from 10.20.0.9 to port 22: PermitRootLogin no"
    )


def test_a_sudo_default_that_breaks_ansibles_become_is_held_back(system):
    arrange(system)
    requiretty = control("sudo_default", {"option": "requiretty"}, "LZ-SUDO-090")
    rootpw = control("sudo_default", {"option": "rootpw"}, "LZ-SUDO-091")
    use_pty = control("sudo_default", {"option": "use_pty"}, "LZ-SUDO-002")

    report, _ = run_kept(system, [requiretty, rootpw, use_pty])
    results = by_id(report)

    assert results["LZ-SUDO-090"]["status"] == "fail"
    assert "requiretty" in results["LZ-SUDO-090"]["reason"]
    assert results["LZ-SUDO-091"]["status"] == "fail"
    assert "root's password" in results["LZ-SUDO-091"]["reason"]
    assert results["LZ-SUDO-002"]["status"] == "fixed"
    assert system.read("/etc/sudoers.d/00-landingzone").splitlines()[1:] == ["Defaults use_pty"]


def test_rootpw_does_not_matter_for_an_account_sudo_never_asks_a_password(system):
    arrange(system)
    system.write("/etc/sudoers.d/ops", "ops ALL=(ALL) NOPASSWD: ALL\n", 0o440)
    report, _ = run_kept(system, [control("sudo_default", {"option": "rootpw"}, "LZ-SUDO-091")], become_password=False)
    assert by_id(report)["LZ-SUDO-091"]["status"] == "fixed"


def test_a_pam_access_rule_that_refuses_the_operator_is_held_back(system):
    arrange(system)
    system.write("/etc/pam.d/sshd", "@include common-auth\naccount required pam_access.so\n")
    deny_all = control(
        "file_content",
        {"path": "/etc/security/access.conf", "content": "+:root:LOCAL\n-:ALL:ALL\n"},
        "LZ-PAM-090",
    )
    report, _ = run_kept(system, [deny_all])
    result = by_id(report)["LZ-PAM-090"]
    assert result["status"] == "fail"
    assert "pam_access" in result["reason"] and "-:ALL:ALL" in result["reason"]
    assert system.read("/etc/security/access.conf") is None


def test_ageing_never_expires_an_existing_account_at_once(system):
    arrange(system)
    three_years_ago = TODAY - 3 * 365
    system.write(
        "/etc/shadow",
        system.read("/etc/shadow").replace(
            f"admin2:$y$j9T$a2salt$a2hash:{TODAY}", f"admin2:$y$j9T$a2salt$a2hash:{three_years_ago}"
        ),
        0o640,
    )
    ageing = control("account_policy", {"rule": "password_max_days", "value": 365}, "LZ-ACC-013")

    report, _ = run_kept(system, [ageing], connected="ops")
    result = by_id(report)["LZ-ACC-013"]
    assert result["status"] == "fail"
    assert "admin2 is left as it is" in result["reason"]
    assert result["evidence"]["found"]["expire_at_once"]["admin2"].startswith("its password expired")
    assert f"admin2:$y$j9T$a2salt$a2hash:{three_years_ago}:0:99999:7:::" in system.read("/etc/shadow")

    # The second run changes nothing and says the same.
    again, _ = run_kept(system, [ageing])
    assert by_id(again)["LZ-ACC-013"]["status"] == "fail" and by_id(again)["LZ-ACC-013"]["changed"] is False

    # The operator may choose otherwise.
    forced = control(
        "account_policy", {"rule": "password_max_days", "value": 365, "expire_at_once": True}, "LZ-ACC-013"
    )
    applied, _ = run_kept(system, [forced])
    assert by_id(applied)["LZ-ACC-013"]["status"] == "fixed"
    assert f"admin2:$y$j9T$a2salt$a2hash:{three_years_ago}:0:365:7:::" in system.read("/etc/shadow")


def test_an_admin_nobody_asked_to_keep_is_named_as_a_warning_and_the_control_applies(system):
    arrange(system)
    report, _ = run_kept(system, [LOGIN_GROUP, ALLOW_GROUPS])

    result = by_id(report)["LZ-SSH-013"]
    assert result["status"] == "fixed"
    assert result["evidence"]["warnings"] == [
        "admin2 no longer logs in over SSH after this control: sshd refuses admin2 from 10.20.0.9 to port 22: "
        "AllowGroups lz-operators names none of its groups (admin2, sudo)"
    ]
    assert report["access"]["warnings"] == {"LZ-SSH-013": result["evidence"]["warnings"]}
    assert result["reason"].endswith("warning: " + result["evidence"]["warnings"][0])


def test_password_logins_count_for_the_others(system):
    arrange(system)
    system.write("/home/admin2/.ssh/authorized_keys", "")
    os.remove(system.root / "home/admin2/.ssh/authorized_keys")
    no_passwords = control("sshd_option", {"option": "PasswordAuthentication", "value": "no"}, "LZ-SSH-001")

    report, _ = run_kept(system, [no_passwords])
    warnings = by_id(report)["LZ-SSH-001"]["evidence"]["warnings"]
    assert len(warnings) == 1 and "admin2" in warnings[0] and "PasswordAuthentication no" in warnings[0]


def test_a_firewall_that_drops_the_session_is_held_back(system):
    arrange(system)
    firewall = control(
        "nftables_ruleset",
        {"management_networks": ["192.0.2.0/24"], "ssh_port": 22},
        "LZ-FW-003",
    )
    system.write("/etc/nftables.d/10-block.nft", "add rule inet landingzone_filter input tcp dport 22 drop\n")
    # The session's own address gets a rule of its own, ahead of any drop-in: nothing to hold back.
    report, _ = run_kept(system, [firewall])
    assert by_id(report)["LZ-FW-003"]["status"] == "fixed"
    assert report["access"]["held_back"] == {}


def test_second_run_without_changes_checks_nothing(system, monkeypatch):
    arrange(system)
    checked = []
    monkeypatch.setattr(lockout, "_denials", lambda *args: checked.append(args) or [])
    run_kept(system, [LOGIN_GROUP, ALLOW_GROUPS])
    assert checked, "the first run changes access files, so the lockout checks run"
    checked.clear()
    report, _ = run_kept(system, [LOGIN_GROUP, ALLOW_GROUPS], mode="audit")
    assert {r["status"] for r in report["results"]} == {"pass"}
    # sshd -T judges the control itself, but no lockout check runs over unchanged files.
    assert by_id(report)["LZ-SSH-013"]["evidence"]["found"]["judged_by"].startswith("sshd -T -C user=ops,")
    assert checked == []


def test_a_way_in_a_keeper_lacked_before_the_run_is_a_note_not_a_hold_back(system):
    # The operator account has no key: it could not log in over SSH before this run either.
    arrange(system)
    os.remove(system.root / "home/ops/.ssh/authorized_keys")
    report, _ = run_kept(system, [ALLOW_GROUPS, LOGIN_GROUP])

    assert by_id(report)["LZ-SSH-013"]["status"] == "fixed"
    assert report["access"]["held_back"] == {}
    assert report["access"]["notes"] == [
        "ops (the operator account, which the run is connected as) had no SSH before this run either: "
        "sshd refuses ops from 10.20.0.9 to port 22: none of its authorized keys files exists "
        "(/home/ops/.ssh/authorized_keys)"
    ]


def test_over_podman_the_connected_account_is_no_keeper_and_not_exempt():
    from lockout_harness import access

    over_podman = access(connected="root", transport="containers.podman.podman", become_method="")
    assert [k.name for k in over_podman.keepers()] == ["ops"]
    assert over_podman.exempt() == ["ops"]
    over_ssh = access(connected="admin", breakglass="breakglass")
    assert over_ssh.exempt() == ["ops", "admin", "breakglass"]


def test_the_session_the_controller_saw_wins_over_the_environment(system):
    """In a container root may not read its ancestors' environment: the controller's view is used."""
    from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access import session
    from engine_harness import make_host
    from lockout_harness import access

    told = access()
    told.session = session.parse(["10.20.0.9", "50022", "10.20.0.5", "2222"])
    host = make_host(system, environ={}, access=told)
    assert session.current_session(host).server_port == 2222
