"""The workplace gateway sends each person to one desk, in turn over the desks, and refuses hostile
names and addresses before it writes HAProxy's files: its assert, evaluated as Ansible does, and
its map rendered."""

from __future__ import annotations

import pytest
import yaml
from hostile_strings import HOSTILE
from role_render import REPO, render, value

ROLE = "workplace_gateway"
TASKS = yaml.safe_load((REPO / "roles" / ROLE / "tasks" / "main.yml").read_text(encoding="utf-8"))
CHECK = TASKS[0]["ansible.builtin.assert"]
ROSTER = [{"name": name, "role": "onthaal", "group": "lz-desk-onthaal", "services": ["website"]}
          for name in ("an", "bart", "chris", "dirk", "els")]  # fmt: skip
DESKS = {"desk1": "10.231.84.11", "desk2": "10.231.84.12"}


def holds(**variables) -> bool:
    return all(value(ROLE, condition, **variables) is True for condition in CHECK["that"])


def test_people_go_to_the_desks_in_turn():
    assert holds(workplace_roster=ROSTER, workplace_desk_addresses=DESKS)
    lines = [line.split() for line in render(ROLE, "workplace-desks.map.j2", workplace_roster=ROSTER,
             workplace_desk_addresses=DESKS).splitlines() if line and not line.startswith("#")]  # fmt: skip
    assert lines == [["an", "desk_desk1"], ["bart", "desk_desk2"], ["chris", "desk_desk1"],
                     ["dirk", "desk_desk2"], ["els", "desk_desk1"]]  # fmt: skip


def test_every_desk_is_a_backend_of_the_configuration():
    config = render(ROLE, "haproxy.cfg.j2", workplace_desk_addresses={**DESKS, "desk3": "fd00:231:84::13"})
    assert "server desk1 10.231.84.11:3389" in config and "server desk3 [fd00:231:84::13]:3389" in config
    assert "tcp-request content reject unless { req.rdp_cookie(mstshash)" in config


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_names_and_addresses_are_refused(hostile):
    bad = HOSTILE[hostile]
    assert not holds(workplace_roster=[{**ROSTER[0], "name": bad}], workplace_desk_addresses=DESKS)
    assert not holds(workplace_roster=ROSTER, workplace_desk_addresses={bad: "10.231.84.11"})
    assert not holds(workplace_roster=ROSTER, workplace_desk_addresses={"desk1": bad})


def test_no_desk_is_refused():
    assert not holds(workplace_roster=ROSTER, workplace_desk_addresses={})


def test_the_browser_gateway_sends_each_certificate_to_the_rdp_maps_desk():
    """nginx's maps and HAProxy's agree on each person's desk, and the token is the certificate's name."""
    variables = {"workplace_roster": ROSTER, "workplace_desk_addresses": DESKS, "workplace_gateway_https_port": 443,
                 "workplace_gateway_websockify_port": 6080,
                 "workplace_gateway_nginx_dir": "/etc/nginx/landingzone-workplace"}  # fmt: skip
    config = render(ROLE, "nginx-workplace.conf.j2", **variables)
    rdp = render(ROLE, "workplace-desks.map.j2", workplace_roster=ROSTER, workplace_desk_addresses=DESKS)
    for line in rdp.splitlines():
        if line and not line.startswith("#"):
            person, backend = line.split()
            assert f'"CN={person}" {person};' in config
            assert f"{person} {backend.removeprefix('desk_')};" in config
    assert "ssl_verify_client on;" in config and "server 10.231.84.12:6080;" in config
    assert "proxy_pass https://$workplace_desk/websockify?token=$workplace_person;" in config
