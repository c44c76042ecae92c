"""Hostile strings in the files the backup roles write from an inventory: the agent's timer and
the EnvironmentFile that carries its repository URL, the server's REST service and the keeper's
job units and timers. Each role template is rendered with the collection's encoders, as Ansible
does, and read back with systemd's own parsers on this controller: `systemd-analyze verify`
(in a root of its own holding this machine's units and stand-ins for the roles' programs) for
the unit files, and the environment.d generator, which reads environment files with the same
tokenizer as EnvironmentFile=, for repository.env. A value is carried as exactly one value, or
refused before the file is written.

The keeper's configuration (keeper.json) is written with to_nice_json and holds every other
value; its test shows a hostile client name stays one JSON string.
"""

import json
import shlex
import sys
import urllib.parse
from pathlib import Path

import pytest
from ansible.errors import AnsibleError
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.systemd_encoding import unit_word

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import role_render  # noqa: E402
from hostile_strings import HOSTILE, PLACEHOLDER, inert, run  # noqa: E402
from systemd_units import verified  # noqa: E402

ENVIRONMENT_GENERATOR = Path("/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator")


def render(role: str, template: str, variables: dict) -> str:
    """The template as the role renders it (role_render: Ansible's own Templar, the role's
    defaults and vars); an encoder's refusal as the ValueError the harness expects."""
    try:
        return role_render.render(role, template, **variables)
    except AnsibleError as exc:
        raise ValueError(str(exc)) from None


# --- systemd unit files --------------------------------------------------------------------


def one_word(value: str) -> bool:
    """Whether the encoders let ``value`` through: one word of characters systemd gives no meaning."""
    try:
        unit_word(value)
    except ValueError:
        return False
    return True


AGENT = {
    "backup_agent_rpo_minutes": 1440,
    "backup_agent_server_url": "https://backup1.gemtest.invalid:8443",
    "backup_agent_rest_user": "app1",
    "backup_agent_rest_password": "rest-password-of-app1",
}


def agent_units(**variables) -> dict[str, str]:
    merged = {**AGENT, **variables}
    units = ("landingzone-backup.service", "landingzone-backup-failed.service", "landingzone-backup.timer")
    return {unit: render("backup_agent", f"{unit}.j2", merged) for unit in units}


@pytest.mark.parametrize("field", ["backup_agent_on_calendar", "backup_agent_randomized_delay"])
@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_agent_timer_value_is_refused(systemd_root, field, kind):
    # OnCalendar= and RandomizedDelaySec= take a calendar event and a time span: words only.
    placeholder = {"backup_agent_on_calendar": "*-*-* 05:15:00", "backup_agent_randomized_delay": "30min"}[field]

    def timer(value):
        return agent_units(**{field: value})["landingzone-backup.timer"]

    def parse(text):
        units = {**agent_units(), "landingzone-backup.timer": text}
        return verified(systemd_root, units, "landingzone-backup.timer", strict=False)

    # A value of word characters only (10 kB of letters, a ../ path) stays one value; whether
    # it is a calendar event or time span systemd can use is systemd's own check, not an encoder's.
    value = HOSTILE[kind]
    if not one_word(value):
        with pytest.raises(ValueError, match=field):
            timer(value)
    outcome = inert(timer, parse, value, placeholder=placeholder)
    assert outcome == ("carried" if one_word(value) else "refused")


def test_the_agent_timer_reads_back_its_calendar_and_delay(systemd_root):
    units = agent_units(backup_agent_on_calendar="Mon..Fri *-*-* 05:15:00", backup_agent_randomized_delay="1h 30min")
    read = verified(systemd_root, units, "landingzone-backup.timer")
    assert ("Timer", "OnCalendar", "Mon..Fri *-*-* 05:15:00") in read
    assert ("Timer", "RandomizedDelaySec", "1h 30min") in read


def test_without_its_encoder_a_newline_in_a_calendar_makes_the_timer_start_another_unit(systemd_root):
    """What the encoder prevents, shown with the real systemd-analyze: it accepts the timer."""
    units = agent_units()
    units["landingzone-backup.timer"] = units["landingzone-backup.timer"].replace(
        "OnCalendar=*-*-* 00/6:00:00", "OnCalendar=daily\nUnit=landingzone-backup-failed.service"
    )
    assert ("Timer", "Unit", "landingzone-backup-failed.service") in verified(
        systemd_root, units, "landingzone-backup.timer"
    )


SERVER = {"backup_server_clients": [{"name": "app1"}], "backup_server_offsite": {"enabled": False}}


def server_units(**variables) -> dict[str, str]:
    merged = {**SERVER, **variables}
    units = {"landingzone-restic-rest.service": render("backup_server", "landingzone-restic-rest.service.j2", merged)}
    job = {"name": "retention", "command": "retention", "delay": "10min", "description": "Retention", "network": False}
    job["on_calendar"] = role_render.value("backup_server", "backup_server_retention_on_calendar", **merged)
    for kind in ("service", "timer"):
        units[f"landingzone-backup-retention.{kind}"] = render(
            "backup_server", f"job.{kind}.j2", {**merged, "backup_server_job": job}
        )
    return units


SERVER_FIELDS = {
    # field: (a valid value, the unit it reaches)
    "backup_server_retention_on_calendar": ("*-*-* 05:15:00", "landingzone-backup-retention.timer"),
    "backup_server_keeper_user": (PLACEHOLDER, "landingzone-backup-retention.service"),
    "backup_server_user": (PLACEHOLDER, "landingzone-restic-rest.service"),
    "backup_server_repository_root": (f"/srv/{PLACEHOLDER}", "landingzone-restic-rest.service"),
}


@pytest.mark.parametrize("field", SERVER_FIELDS)
@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_server_unit_value_is_refused(systemd_root, field, kind):
    placeholder, unit = SERVER_FIELDS[field]
    value = f"/srv/{HOSTILE[kind]}" if field == "backup_server_repository_root" else HOSTILE[kind]

    def parse(text):
        return verified(systemd_root, {**server_units(), unit: text}, unit, strict=False)

    if not one_word(value):
        with pytest.raises(ValueError, match=field):
            server_units(**{field: value})
    outcome = inert(lambda value: server_units(**{field: value})[unit], parse, value, placeholder=placeholder)
    assert outcome == ("carried" if one_word(value) else "refused")


def test_the_server_units_read_back_their_accounts_and_root(systemd_root):
    units = server_units(
        backup_server_user="rest-1", backup_server_keeper_user="keeper-1", backup_server_repository_root="/srv/r1"
    )
    rest = verified(systemd_root, units, "landingzone-restic-rest.service")
    assert ("Service", "User", "rest-1") in rest and ("Service", "ReadWritePaths", "/srv/r1") in rest
    [command] = [value for section, key, value in rest if key == "ExecStart"]
    assert command.split()[-1] == "/srv/r1"
    job = verified(systemd_root, units, "landingzone-backup-retention.service")
    assert ("Service", "User", "keeper-1") in job
    assert ("Service", "ReadWritePaths", "/srv/r1 /var/lib/landingzone-backup-server") in job


# --- the agent's EnvironmentFile -----------------------------------------------------------


def environment_file(text: str, tmp_path: Path) -> dict[str, str]:
    """What systemd reads from an environment file: its environment.d generator, pointed at this
    file only, prints the variables it read (those of the generator's own environment dropped)."""
    if not ENVIRONMENT_GENERATOR.exists():
        pytest.skip(f"needs {ENVIRONMENT_GENERATOR}")
    config = Path(tmp_path, "config")
    (config / "environment.d").mkdir(parents=True, exist_ok=True)
    (config / "environment.d" / "repository.conf").write_text(text)
    printed = run([str(ENVIRONMENT_GENERATOR)], env={"XDG_CONFIG_HOME": str(config), "XDG_CONFIG_DIRS": "/nonexistent"})
    # It prints each variable as a shell assignment, quoted where the value needs it.
    assignments = [shlex.split(line) for line in printed.splitlines() if line.startswith("RESTIC_")]
    assert all(len(words) == 1 for words in assignments), assignments
    return dict(words[0].split("=", 1) for words in assignments)


def repository_env(**variables) -> str:
    return render("backup_agent", "repository.env.j2", {**AGENT, **variables})


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_rest_user_or_password_stays_one_url(tmp_path, kind):
    # Both are percent-encoded into the URL: the file carries their encoding, which restic
    # decodes back to the value.
    for field in ("backup_agent_rest_user", "backup_agent_rest_password"):
        value = HOSTILE[kind]
        encoded = urllib.parse.quote(value, safe="")
        outcome = inert(
            lambda value, field=field: repository_env(**{field: value}),
            lambda text: environment_file(text, tmp_path),
            value,
            expected=encoded,
        )
        assert outcome == "carried", field
        url = environment_file(repository_env(**{field: value}), tmp_path)["RESTIC_REPOSITORY"]
        credentials = urllib.parse.urlsplit(url.removeprefix("rest:")).netloc.rpartition("@")[0]
        user, _, password = credentials.partition(":")
        assert urllib.parse.unquote(user if field == "backup_agent_rest_user" else password) == value


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_server_url_is_refused(tmp_path, kind):
    def parse(text):
        return environment_file(text, tmp_path)

    def env_file(value):
        return repository_env(backup_agent_server_url=f"https://{value}:8443")

    with pytest.raises(ValueError, match="backup_agent_server_url"):
        env_file(HOSTILE[kind])
    assert inert(env_file, parse, HOSTILE[kind]) == "refused"


@pytest.mark.parametrize(
    "url",
    [
        "https://backup1.gemtest.invalid:8443/other",
        "https://u:p@backup1.gemtest.invalid",
        "http://backup1.gemtest.invalid",
        "https://[2001:db8::1%eth0]:8443",
    ],
)
def test_a_server_url_with_more_than_a_host_and_port_is_refused(url):
    # A path, credentials or another scheme would be dropped from the repository URL silently.
    with pytest.raises(ValueError, match="backup_agent_server_url"):
        repository_env(backup_agent_server_url=url)


def test_the_environment_file_reads_back_the_repository(tmp_path):
    read = environment_file(repository_env(backup_agent_server_url="https://[2001:db8::1]:8443"), tmp_path)
    assert read["RESTIC_REPOSITORY"] == "rest:https://app1:rest-password-of-app1@[2001:db8::1]:8443/app1/"
    assert read["RESTIC_PASSWORD_FILE"] == "/etc/landingzone-backup/repository.password"


# --- the keeper's configuration ------------------------------------------------------------


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_client_name_stays_one_json_string(kind):
    def keeper_json(value):
        return render("backup_server", "keeper.json.j2", {**SERVER, "backup_server_clients": [{"name": value}]})

    assert inert(keeper_json, json.loads, HOSTILE[kind]) == "carried"
