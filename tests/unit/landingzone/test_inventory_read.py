"""The CLI reads an inventory in its own process exactly as Ansible's commands read it.

Each case is checked against `ansible-inventory --list` and `ansible all --list-hosts
--limit`, run for real on the same file: the groups, their hosts (children included,
ranges expanded), the hosts a limit leaves, and Ansible's own message when it refuses
the file or the limit.
"""

import pytest

from landingzone.errors import LandingzoneError
from landingzone.fleet_inputs import inventory_shape, limited_hosts
from landingzone.inventory import ansible_tool, hosts_of, inventory_list

INVENTORY = """\
---
all:
  hosts:
    lonely1: {}
  children:
    app_servers:
      hosts:
        app[1:3]: {}
      children:
        citizen_portal:
          hosts:
            app2: {}
    backup_servers:
      hosts:
        backup1: {}
        app3: {}
    empty_group: {}
    parent_of_an_empty_group:
      children:
        empty_group: {}
"""

LIMITS = ["app_servers:!citizen_portal", "~app[12]", "app_servers:&backup_servers", "backup1,lonely1", "nothing-here"]


@pytest.fixture(scope="module")
def hosts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("fleet") / "hosts.yml"
    path.write_text(INVENTORY, encoding="utf-8")
    return path


def test_the_groups_and_their_hosts_are_those_ansible_inventory_lists(hosts_file):
    data = inventory_list(hosts_file)
    expected_groups = {name: set(hosts_of(data, name)) for name in data if name != "_meta"}

    all_hosts, groups = inventory_shape(hosts_file)

    assert all_hosts == hosts_of(data, "all")
    assert groups == expected_groups
    assert groups["app_servers"] == {"app1", "app2", "app3"}  # its child's host and the range, once each


@pytest.mark.parametrize("limit", LIMITS)
def test_a_limit_leaves_the_hosts_ansible_lists(hosts_file, limit):
    listed = ansible_tool("ansible", "all", "-i", str(hosts_file), "--list-hosts", "--limit", limit)
    expected = [line.strip() for line in listed.stdout.splitlines()[1:] if line.strip()]

    assert limited_hosts(hosts_file, limit) == expected


def test_a_file_ansible_cannot_parse_is_refused_with_its_message(tmp_path):
    broken = tmp_path / "hosts.yml"
    broken.write_text("all:\n  hosts: [this, is, not, a, mapping\n", encoding="utf-8")

    with pytest.raises(LandingzoneError, match=r"hosts\.yml: ansible cannot read this inventory: .+"):
        inventory_shape(broken)


def test_a_limit_file_that_does_not_exist_is_refused_with_ansibles_message(hosts_file, tmp_path):
    with pytest.raises(LandingzoneError, match=r"--limit: '@.*': .*Unable to find limit file"):
        limited_hosts(hosts_file, f"@{tmp_path / 'no-such-file'}")
