"""The browser way in's two AppArmor profiles, as the roles render them, grant what each service needs
and nothing else: the gateway's nginx (workplace_gateway) its configuration, noVNC's pages, its
certificate, key and CAs, its logs and pid file; the desk's websockify (workplace) its token file, the
desk's certificate and key and Python. Neither may run a program of its own choosing, and websockify
reaches no person's home and no TOTP secret. The rules as apparmor_parser reads them (--preprocess);
that the kernel confines the services with them is tests/vm/test_browser_profiles_vm.py.
"""

from __future__ import annotations

import re

import pytest
from profile_rules import PARSER, abstractions_only, file_rules, preprocessed
from role_render import render

pytestmark = pytest.mark.skipif(PARSER is None, reason="apparmor_parser is missing (Debian package apparmor)")
NGINX = ("workplace_gateway", "apparmor-landingzone-workplace-nginx.j2", "landingzone-workplace-nginx")
WEBSOCKIFY = ("workplace", "apparmor-landingzone-workplace-websockify.j2", "landingzone-workplace-websockify")
GATEWAY_DIR = "/etc/nginx/landingzone-workplace"
DESK_DIR = "/etc/landingzone-workplace"


def own_rules(profile: tuple[str, str, str], abstractions: tuple[str, ...], **variables) -> list[str]:
    """The profile's own rules, those of the abstractions it includes left out."""
    role, template, _ = profile
    common = abstractions_only(*abstractions)
    return [rule for rule in preprocessed(render(role, template, **variables)) if rule not in common]


def nginx_rules(port: int = 443) -> list[str]:
    return own_rules(NGINX, ("base",), workplace_gateway_https_port=port)


def websockify_rules() -> list[str]:
    return own_rules(WEBSOCKIFY, ("base", "python"))


@pytest.mark.parametrize(
    ("profile", "rules"), [(NGINX, nginx_rules), (WEBSOCKIFY, websockify_rules)], ids=["nginx", "websockify"]
)
def test_each_profile_is_named_attaches_to_no_binary_and_holds_only_file_network_capability_signal_rules(
    profile, rules
):
    _, _, name = profile
    own = rules()
    # Named only: the unit's drop-in puts the service in it, and the citizen portal's nginx profile,
    # which attaches to /usr/sbin/nginx, can be loaded beside it.
    assert own[0] == f"profile {name} flags=(attach_disconnected) {{", own[0]
    # No change_profile, mount, ptrace, unix peer or deny rule of its own but a network one: file rules and the
    # three kinds below.
    others = [
        rule
        for rule in own[1:]
        if not rule.startswith(("capability ", "network ", "deny network ", f"signal (send, receive) peer={name},"))
        and rule not in {f"{path} {permissions}," for path, permissions in file_rules(own).items()}
    ]
    assert others == [], others


def test_nginx_uses_tcp_over_ipv4_and_ipv6_and_its_socket_pairs():
    assert [rule for rule in nginx_rules() if "network " in rule] == [
        "network inet stream,",
        "network inet6 stream,",
        "network unix stream,",
    ]


def test_websockify_uses_tcp_over_ipv4_alone_and_refuses_glibcs_datagram_probes():
    assert [rule for rule in websockify_rules() if "network " in rule] == [
        "network inet stream,",
        "deny network inet dgram,",
        "deny network inet6 dgram,",
    ]


def test_nginx_runs_itself_and_the_units_start_stop_daemon_and_no_other_program():
    executable = {path for path, permissions in file_rules(nginx_rules()).items() if "x" in permissions}
    assert executable == {"/usr/sbin/start-stop-daemon"}
    # Its own binary is mapped, never executed again from inside the profile.
    assert file_rules(nginx_rules())["/usr/sbin/nginx"] == "mr"


def test_nginx_reads_exactly_its_configuration_certificates_key_and_cas_under_etc():
    readable = {path for path in file_rules(nginx_rules()) if path.startswith("/etc/")}
    assert readable == {
        "/etc/nsswitch.conf",
        "/etc/passwd",
        "/etc/group",
        "/etc/ssl/openssl.cnf",
        "/etc/nginx/nginx.conf",
        "/etc/nginx/mime.types",
        "/etc/nginx/modules-enabled/",
        "/etc/nginx/conf.d/",
        "/etc/nginx/conf.d/landingzone-workplace.conf",
        "/etc/nginx/sites-enabled/",
        f"{GATEWAY_DIR}/gateway.crt",
        f"{GATEWAY_DIR}/gateway.key",
        f"{GATEWAY_DIR}/people-ca.crt",
        f"{GATEWAY_DIR}/desks-ca.crt",
    }


def test_nginx_writes_only_its_logs_pid_file_and_temporary_directories():
    writable = {path for path, permissions in file_rules(nginx_rules()).items() if "w" in permissions}
    assert writable == {
        "/var/log/nginx/access.log",
        "/var/log/nginx/error.log",
        "@{run}/nginx.pid",
        "/var/lib/nginx/**",
    }


def test_nginx_serves_novncs_pages_and_no_other_tree():
    shared = {path for path in file_rules(nginx_rules()) if path.startswith("/usr/share/")}
    assert shared == {"/usr/share/novnc/", "/usr/share/novnc/**"}


@pytest.mark.parametrize(("port", "privileged"), [(443, True), (1023, True), (1024, False), (8443, False)])
def test_nginx_may_bind_a_privileged_port_only_when_the_gateways_https_port_is_one(port, privileged):
    rules = nginx_rules(port)
    assert ("capability net_bind_service," in rules) is privileged
    capabilities = {rule for rule in rules if rule.startswith("capability ")} - {"capability net_bind_service,"}
    assert capabilities == {
        "capability setuid,",
        "capability setgid,",
        "capability chown,",
        "capability dac_override,",
        "capability kill,",
    }


def test_websockify_runs_python_on_its_script_and_no_other_program():
    files = file_rules(websockify_rules())
    executable = {path for path, permissions in files.items() if "x" in permissions}
    assert executable == {"/usr/bin/python3.[0-9]*"}
    assert files["/usr/bin/websockify"] == "r"


def test_websockify_reads_its_tokens_and_the_desks_certificate_and_key_and_writes_nothing():
    files = file_rules(websockify_rules())
    assert {path for path in files if path.startswith("/etc/")} == {
        "/etc/ssl/openssl.cnf",
        "/etc/gai.conf",
        f"{DESK_DIR}/websockify/tokens",
        f"{DESK_DIR}/websockify/cert.pem",
        f"{DESK_DIR}/websockify/key.pem",
    }
    assert {path for path, permissions in files.items() if set(permissions) & set("wl")} == set()
    # Neither capability (the unit drops them all) nor a capability of another kind.
    assert [rule for rule in websockify_rules() if rule.startswith("capability")] == []


# Where a desk keeps what websockify must never reach: the people's homes, the TOTP secrets (root's
# copies for RDP, lz-vnc's for the browser desktops), the accounts' password hashes, xrdp's key.
FORBIDDEN = ("/home/", "/root/", "/var/lib/landingzone-workplace", "/etc/shadow", "/etc/xrdp/", "/etc/pam.d/")


def test_no_rule_of_websockifys_profile_abstractions_included_reaches_a_home_or_a_totp_secret():
    # The base abstraction's owner rules (a home's ecryptfs directory) need the file to be the process's
    # own, and websockify's account owns nothing in a person's home; the rest must not reach one.
    rules = [
        rule
        for rule in preprocessed(render(*WEBSOCKIFY[:2]))
        if not rule.startswith("owner ") and not re.match(r"@\{\w+\}\s*\+?=", rule)  # nor a variable's definition
    ]
    reaching = [rule for rule in rules for place in FORBIDDEN if rule.startswith(place) or f"{{{place}" in rule]
    # Nor a pattern wide enough to cover them.
    wide = [rule for rule in rules if re.match(r"(/\*\*|@\{HOME|/home|/var/\*\*|/etc/\*\*|/var/lib/\*)", rule)]
    assert reaching == [] and wide == [], reaching + wide
