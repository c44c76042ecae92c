"""Hostile strings in the files the baseline renders from the card: chrony's time servers and
rsyslog's forwarding to the log collector. Each control's template comes from the catalog and
is rendered with the collection's encoders; the real chronyd and rsyslogd of the lab image
parse both renderings (see conftest.py). A value is carried as one word or one string, or
refused before any file is written."""

import re
import sys
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.host_word import host_word
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.rsyslog_encoding import rsyslog_string

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hostile_strings import HOSTILE, inert  # noqa: E402

CONTROLS = Path(__file__).resolve().parents[3] / "roles" / "linux_baseline" / "controls"
ENCODERS = {"cyberveilig.landingzone.host_word": host_word, "cyberveilig.landingzone.rsyslog_string": rsyslog_string}
pytestmark = pytest.mark.lab


def catalog_content(control_id: str) -> str:
    for path in sorted(CONTROLS.glob("*.yml")):
        for controls in yaml.load(path.read_text(), Loader=yaml.CSafeLoader).values():
            for control in controls:
                if control["id"] == control_id:
                    return control["params"]["content"]
    raise LookupError(control_id)


def rendered(control_id: str, **variables) -> str:
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    environment.filters.update(ENCODERS)
    return environment.from_string(catalog_content(control_id)).render(**variables)


def chrony_conf(server: str) -> str:
    return rendered("LZ-TIME-002", linux_baseline_ntp_servers=["ntp1.gemtest.invalid", server])


def rsyslog_forward(host: str) -> str:
    return rendered(
        "LZ-LOG-011",
        linux_baseline_log_collector={"host": host, "port": 6514},
        linux_baseline_log_sender_port=6515,  # this host's own port on the collector (log_sender_ports)
        linux_baseline_log_client_cert="",
        linux_baseline_log_client_key="",
    )


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_time_server_is_refused(lab_tool, kind):
    def parse(text):
        result = lab_tool(["chronyd", "-p", "-f", "/tmp/chrony.conf"], {"chrony.conf": text})
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    # chrony.conf has no quoting: anything but a host name or an address would be read as more words.
    assert inert(chrony_conf, parse, HOSTILE[kind]) == "refused"


def test_without_its_encoder_a_newline_in_a_time_server_adds_a_directive(lab_tool):
    """What the encoder prevents, shown with the real chronyd: the same template, unencoded."""
    text = chrony_conf("zqplaceholderqz").replace("zqplaceholderqz", "x\nallow all\nserver y")
    printed = lab_tool(["chronyd", "-p", "-f", "/tmp/chrony.conf"], {"chrony.conf": text}).stdout.splitlines()
    assert "allow all" in printed


RAINERSCRIPT = re.compile(r"rainerscript\.c: (?!nvlstGetParam)(?P<item>.*)$")


def rsyslog_params(text: str, lab_tool) -> list[str]:
    """What rsyslogd read from the file: the statements and parameters its debug output of a
    validation run prints, as they were parsed (string constants unescaped)."""
    result = lab_tool(["rsyslogd", "-d", "-N1", "-f", "/tmp/forward.conf"], {"forward.conf": text})
    assert result.returncode == 0, result.stderr[-800:]
    assert "End of config validation run" in result.stderr
    # Memory addresses differ from run to run; they are no part of the structure.
    return [
        re.sub(r"0x[0-9a-f]+", "0x", m["item"])
        for line in result.stdout.splitlines()
        if (m := RAINERSCRIPT.search(line))
    ]


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_log_collector_is_refused(lab_tool, kind):
    # A host name first (rsyslog drops an action whose target or peer is no host, silently
    # on a real host), then a RainerScript string.
    assert inert(rsyslog_forward, lambda text: rsyslog_params(text, lab_tool), HOSTILE[kind]) == "refused"


def set_statement(value: str) -> str:
    """A RainerScript string constant, as the encoder writes it, in a statement rsyslog prints back."""
    return f'set $!field = "{rsyslog_string(value)}";\naction(type="omfile" file="/dev/null")\n'


@pytest.mark.parametrize("kind", [kind for kind in HOSTILE if kind != "10 kB"])
def test_the_rsyslog_encoder_keeps_any_printable_text_one_string(lab_tool, kind):
    value = HOSTILE[kind]
    outcome = inert(set_statement, lambda text: rsyslog_params(text, lab_tool), value)
    assert outcome == ("carried" if value.isprintable() else "refused")


def test_ten_kilobytes_stay_one_rsyslog_string(lab_tool):
    # rsyslogd's debug printer cuts its lines near 10 kB, so this one is read back as a prefix.
    value = HOSTILE["10 kB"]
    reference = rsyslog_params(set_statement("zqplaceholderqz"), lab_tool)
    parsed = rsyslog_params(set_statement(value), lab_tool)
    assert len(parsed) == len(reference)
    strings = [item for item in parsed if item.startswith("  string 'zq")]
    assert len(strings) == 2 and all(value.startswith(item[len("  string '") :]) for item in strings)
