"""Hostile strings in the files the log collector writes from the inventory: every sender's name
(an inventory host name) and port in its rsyslog configuration, its storage directory there and
in its units, and the schedule of its sealing timer. The role's templates are rendered with the
collection's filters; the real rsyslogd of the lab image (rsyslogd -d -N1, see conftest.py) and
systemd-analyze verify read them back. A value is carried as one value, or refused before any
file is written."""

import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleError, AnsibleFilterError
from ansible_collections.cyberveilig.landingzone.plugins.filter.log_senders import log_sender_ports
from test_baseline_files import rsyslog_params

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import role_render  # noqa: E402
from hostile_strings import HOSTILE, PLACEHOLDER, inert  # noqa: E402
from systemd_units import verified  # noqa: E402

FIRST_PORT = 6514


def render(template: str, **variables) -> str:
    """The template as the role renders it (role_render: Ansible's own Templar, the role's
    defaults and vars), with paths rsyslogd can check here; an encoder's refusal as the
    ValueError the harness expects."""
    settings = {
        "log_collector_user": "lz-logcollector",
        "log_collector_config_dir": "/tmp",
        "log_collector_work_dir": "/tmp",
        "log_collector_lib_dir": "/usr/local/lib/landingzone-log-collector",
        "log_collector_storage_dir": "/var/log/remote",
        "log_collector_seal_schedule": "*-*-01 00:00:00",
        **variables,
    }
    try:
        return role_render.render("log_collector", template, **settings)
    except AnsibleError as exc:
        raise ValueError(str(exc)) from None


def collector_conf(sender: str) -> str:
    """rsyslog.conf of a collector whose inventory holds app1 and ``sender``, with the senders
    and ports the role's vars take from log_sender_ports."""
    try:
        senders = log_sender_ports({"all": ["app1.gemtest.invalid", sender]}, FIRST_PORT)
    except AnsibleFilterError as exc:
        raise ValueError(str(exc)) from None
    return render("collector.conf.j2", log_collector_senders=senders)


@pytest.mark.lab
def test_the_collector_configuration_reads_back_each_sender(lab_tool):
    read = rsyslog_params(collector_conf(PLACEHOLDER), lab_tool)
    assert any(PLACEHOLDER in item for item in read)
    assert any(f"/var/log/remote/{PLACEHOLDER}/current.log" in item for item in read)


@pytest.mark.lab
@pytest.mark.parametrize("kind", [*HOSTILE, "trailing newline"])
def test_a_hostile_sender_name_is_refused(lab_tool, kind):
    # A sender's name is its directory, its input's name and the certificate name it admits.
    value = f"{PLACEHOLDER}\n" if kind == "trailing newline" else HOSTILE[kind]
    with pytest.raises(ValueError, match="log_sender_ports: host"):
        collector_conf(value)
    assert inert(collector_conf, lambda text: rsyslog_params(text, lab_tool), value) == "refused"


# rsyslogd's debug printer cuts its lines near 10 kB: a 10 kB path is read back by the unit tests below.
@pytest.mark.lab
@pytest.mark.parametrize("kind", [kind for kind in HOSTILE if kind != "10 kB"])
def test_a_hostile_storage_directory_is_refused_or_one_path(lab_tool, kind):
    value = f"/var/log/{HOSTILE[kind]}"

    def conf(storage):
        senders = log_sender_ports({"all": ["app1.gemtest.invalid"]}, FIRST_PORT)
        return render("collector.conf.j2", log_collector_senders=senders, log_collector_storage_dir=storage)

    outcome = inert(conf, lambda text: rsyslog_params(text, lab_tool), value, placeholder=f"/var/log/{PLACEHOLDER}")
    # Letters and path characters only (a ../ path) are one path; the rest is refused.
    assert outcome == ("carried" if kind == "parent directory" else "refused")


UNITS = ("landingzone-log-collector.service", "landingzone-log-seal.service", "landingzone-log-seal.timer")


def collector_units(**variables) -> dict[str, str]:
    return {unit: render(f"{unit}.j2", **variables) for unit in UNITS}


@pytest.mark.parametrize(
    ("field", "unit", "placeholder"),
    [
        ("log_collector_storage_dir", "landingzone-log-seal.service", f"/var/log/{PLACEHOLDER}"),
        ("log_collector_storage_dir", "landingzone-log-collector.service", f"/var/log/{PLACEHOLDER}"),
        ("log_collector_seal_schedule", "landingzone-log-seal.timer", "*-*-01 00:00:00"),
    ],
)
@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_unit_value_is_refused_or_one_value(systemd_root, field, unit, placeholder, kind):
    value = f"/var/log/{HOSTILE[kind]}" if field == "log_collector_storage_dir" else HOSTILE[kind]

    def parse(text):
        return verified(systemd_root, {**collector_units(), unit: text}, unit, strict=False)

    outcome = inert(lambda value: collector_units(**{field: value})[unit], parse, value, placeholder=placeholder)
    assert outcome == ("carried" if kind in ("10 kB", "parent directory") else "refused")
    if outcome == "refused":
        with pytest.raises(ValueError, match=field):
            collector_units(**{field: value})


def test_the_collector_units_verify_as_written(systemd_root):
    units = collector_units()
    for unit in UNITS:
        verified(systemd_root, units, unit)
