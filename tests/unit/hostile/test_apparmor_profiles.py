"""The services' AppArmor profiles: each parses with the real apparmor_parser as its role renders it,
and a directory an inventory chooses reaches a profile as one plain path or not at all.

A profile's path is a pattern (``*``, ``{a,b}``, ``@{var}`` widen it; a comma or a newline ends
the rule), so a hostile directory could grant the service what its profile exists to refuse. Each
profile is rendered with the role's own defaults and vars and the collection's encoders, as
Ansible renders it, and read back by apparmor_parser: ``--preprocess`` gives the profile's rules
as the parser sees them, the structure the harness compares.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from ansible.errors import AnsibleError
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.apparmor_encoding import apparmor_path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import role_render  # noqa: E402
from hostile_strings import HOSTILE, PLACEHOLDER, inert, run  # noqa: E402

PARSER = shutil.which("apparmor_parser", path="/usr/sbin:/sbin")
pytestmark = pytest.mark.skipif(PARSER is None, reason="apparmor_parser is missing (Debian package apparmor)")

# Every profile the roles ship: (role, template, the profile's name).
PROFILES = [
    ("backup_server", "apparmor-landingzone-restic-rest.j2", "landingzone-restic-rest"),
    ("citizen_portal", "apparmor-landingzone-citizen-portal.j2", "landingzone-citizen-portal"),
    ("citizen_portal", "apparmor-landingzone-nginx.j2", "landingzone-nginx"),
    ("log_collector", "apparmor-landingzone-log-collector.j2", "landingzone-log-collector"),
    ("vpn_gateway", "apparmor-landingzone-vpn-gateway-watch.j2", "landingzone-vpn-gateway-watch"),
    ("workplace_gateway", "apparmor-landingzone-haproxy.j2", "landingzone-haproxy"),
]
# The directories an inventory chooses that a profile names: (role, template, variable).
INVENTORY_PATHS = [
    ("backup_server", "apparmor-landingzone-restic-rest.j2", "backup_server_repository_root"),
    ("log_collector", "apparmor-landingzone-log-collector.j2", "log_collector_storage_dir"),
]


def render(role: str, template: str, **variables) -> str:
    try:
        return role_render.render(role, template, **variables)
    except AnsibleError as exc:
        raise ValueError(str(exc)) from None


def parsed(text: str) -> tuple[str, ...]:
    """The profile's lines as apparmor_parser reads them, includes expanded; AssertionError when it
    refuses the profile."""
    with tempfile.NamedTemporaryFile("w", suffix=".profile") as profile:
        profile.write(text)
        profile.flush()
        run([PARSER, "--skip-kernel-load", "--skip-cache", "--quiet", profile.name])
        expanded = run([PARSER, "--preprocess", profile.name])
    return tuple(line.strip() for line in expanded.splitlines() if line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize(("role", "template", "name"), PROFILES, ids=[name for *_, name in PROFILES])
def test_each_profile_parses_as_its_role_renders_it_and_names_itself(role, template, name):
    lines = parsed(render(role, template))
    assert any(line.startswith(f"profile {name} ") for line in lines), f"{template} declares no profile {name}"


@pytest.mark.parametrize(("role", "template", "field"), INVENTORY_PATHS, ids=[f for *_, f in INVENTORY_PATHS])
@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_directory_is_one_plain_path_in_the_profile_or_refused(role, template, field, kind):
    value = f"/srv/{HOSTILE[kind]}"
    outcome = inert(
        lambda path: render(role, template, **{field: path}), parsed, value, placeholder=f"/srv/{PLACEHOLDER}"
    )
    # Only the 10 kB of letters is a plain path; every other hostile string is refused.
    assert outcome == ("carried" if kind == "10 kB" else "refused"), outcome


@pytest.mark.parametrize(
    "pattern",
    ["/srv/*", "/srv/{a,b}", "/srv/@{HOME}", "/srv/a b", "/srv/a,", "/srv/[ab]", "/srv/a?", "srv/a", "/srv/./a", ""],
)
def test_the_encoder_refuses_what_the_parser_would_read_as_a_pattern(pattern):
    with pytest.raises(ValueError, match="not an absolute path"):
        apparmor_path(pattern, "backup_server_repository_root")


def test_the_encoder_keeps_a_plain_path_and_drops_a_final_slash():
    assert apparmor_path("/srv/restic-1.2_x+y/", "f") == "/srv/restic-1.2_x+y"
