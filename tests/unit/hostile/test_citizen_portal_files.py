"""Hostile strings in what an inventory may set for the citizen portal: its server name, which
nginx reads as bare words up to a `;`. nginx is on neither the controller nor the lab image
(the role installs it), so this proves the refusal, which needs no parser: the role's own
template, rendered with the collection's encoder, writes a host name and nothing else."""

import sys
from pathlib import Path

import jinja2
import pytest
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.host_word import host_word

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hostile_strings import HOSTILE, PLACEHOLDER  # noqa: E402

TEMPLATES = Path(__file__).resolve().parents[3] / "roles" / "citizen_portal" / "templates"


def nginx_site(server_name: str) -> str:
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, loader=jinja2.FileSystemLoader(TEMPLATES))
    environment.filters["cyberveilig.landingzone.host_word"] = host_word
    return environment.get_template("nginx-site.conf.j2").render(
        ansible_managed="managed",
        citizen_portal_https_port="443",
        citizen_portal_server_name=server_name,
        citizen_portal_config_dir="/etc/citizen-portal",
        citizen_portal_app_address="127.0.0.1:8081",
    )


def test_a_host_name_is_written_as_it_is():
    assert f"    server_name {PLACEHOLDER};\n" in nginx_site(PLACEHOLDER)
    assert "    server_name portal.gent.be;\n" in nginx_site("portal.gent.be")


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_server_name_is_refused(kind):
    with pytest.raises(ValueError, match="is not a host name"):
        nginx_site(HOSTILE[kind])
