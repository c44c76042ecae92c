"""The collector files every line by the certificate its sender presented, admits only its own
municipality's hosts, and keeps what it received append-only and sealed in a hash chain.

Each platform is a collector for every name of the inventory (the platforms and
lz-default-sender, which is no container), ports from 6514 on in name order: "own" is the first
name, "other" the second. The tests send from inside the
container with openssl s_client, as a sender and as intruders, with the certificates make_pki.py
issued. The tests run in file order and share the containers: the last ones seal and then tamper
with the stored logs.
"""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

PKI = "/root/lztest"
STORE = "/var/log/remote"
COLLECTION = Path(__file__).resolve().parents[3] / "collections"


def senders(host) -> tuple[str, str]:
    """The inventory's hosts, in name order (prepare.yml copied a certificate of each)."""
    names = host.run(f"ls {PKI}").stdout.split()
    return tuple(sorted(name.removesuffix(".crt") for name in names if name.endswith(".crt") and name != "ca.crt"))


@pytest.fixture
def own(host) -> str:
    return senders(host)[0]


@pytest.fixture
def other(host) -> str:
    return senders(host)[1]


def port(host, name: str) -> int:
    """Sender by sender in name order, from the card's first port on (log_sender_ports)."""
    return 6514 + senders(host).index(name)


def send(host, port: int, cert: str | None, claimed: str, message: str, chain: str | None = None):
    """One RFC 3164 line over TLS, as `cert` (a name under /root/lztest, or None for no certificate)."""
    client = f"-cert {PKI}/{cert}.crt -key {PKI}/{cert}.key" if cert else ""
    extra = f"-cert_chain {PKI}/{chain}" if chain else ""
    line = f"<13>Nov 28 12:00:00 {claimed} lztest: {message}"
    # With TLS 1.3 a client learns of its refusal only after its first write, so openssl's exit
    # code says nothing: what counts is where the line is stored, or that it is stored nowhere.
    return host.run(
        f"printf '%s\\n' '{line}' | timeout 10 openssl s_client -quiet -no_ign_eof "
        f"-connect 127.0.0.1:{port} -CAfile {PKI}/ca.crt {client} {extra}"
    )


def stored_lines(host, marker: str) -> dict[str, list[dict]]:
    """Every stored line that holds `marker`, per file, wherever under /var/log it landed."""
    found = host.run(f"grep -rlF -- {marker} /var/log 2>/dev/null")
    lines = {}
    for path in found.stdout.split():
        content = host.file(path).content_string
        lines[path] = [json.loads(line) for line in content.splitlines() if marker in line]
    return lines


def landed(host, marker: str, wait: float) -> dict[str, list[dict]]:
    deadline = time.monotonic() + wait
    while not (lines := stored_lines(host, marker)) and time.monotonic() < deadline:
        time.sleep(0.3)
    return lines


def marker() -> str:
    return f"marker-{uuid.uuid4()}"


def test_the_collector_runs_apart_as_its_own_account_with_one_port_per_sender(host):
    service = host.service("landingzone-log-collector.service")
    assert service.is_running and service.is_enabled
    assert host.service("landingzone-log-seal.timer").is_enabled
    assert "lz-logcollector" in host.run("ps -o user= -C rsyslogd").stdout.split()
    for name in senders(host):
        assert host.socket(f"tcp://0.0.0.0:{port(host, name)}").is_listening
    assert not host.socket(f"tcp://0.0.0.0:{6514 + len(senders(host))}").is_listening
    key = host.file("/etc/landingzone-log-collector/collector.key")
    assert (key.user, key.group, key.mode) == ("root", "lz-logcollector", 0o640)


def test_a_sender_lands_in_its_own_file_with_what_it_claimed_as_data(host, own):
    text = marker()
    send(host, port(host, own), own, own, text)
    lines = landed(host, text, wait=10)
    assert list(lines) == [f"{STORE}/{own}/current.log"]
    [line] = lines[f"{STORE}/{own}/current.log"]
    assert line["sender"] == own and line["claimed_host"] == own
    assert line["tag"] == "lztest:" and line["message"].endswith(text)
    assert line["received"].endswith("+00:00")  # the collector's own clock, in UTC


@pytest.mark.parametrize("claimed", ["<own>", "../x", "gent-app1", "..", "-x"])
def test_a_valid_sender_that_forges_a_name_lands_only_in_its_own_file(host, own, other, claimed):
    claimed = own if claimed == "<own>" else claimed
    text = marker()
    send(host, port(host, other), other, claimed, text)
    lines = landed(host, text, wait=10)
    assert list(lines) == [f"{STORE}/{other}/current.log"]
    [line] = lines[f"{STORE}/{other}/current.log"]
    assert line["sender"] == other
    # Kept as data: as the claimed host, or, where rsyslog cannot read a host name there (../x),
    # as the tag that follows, with the peer's own name in claimed_host.
    assert claimed in (line["claimed_host"], line["tag"])
    assert line["from_address"] == "127.0.0.1"
    assert sorted(host.run(f"ls {STORE}").stdout.split()) == sorted(senders(host))


@pytest.mark.parametrize(
    ("cert", "chain"),
    [
        ("<other>", None),  # a valid sender of this municipality, on another sender's port
        ("intruder/other-municipality", None),  # the very name, from another municipality's CA
        ("intruder/other-municipality", "intruder/other-municipality-chain.pem"),  # with its CA and the fleet CA
        ("intruder/wildcard", None),  # this municipality's CA, naming every host (*)
        ("intruder/server-only", None),  # this municipality's CA, the name, but not for clients
        (None, None),  # no certificate at all
    ],
    ids=["other-senders-port", "other-municipality", "other-municipality-chain", "wildcard", "server-only", "none"],
)
def test_a_certificate_that_is_not_the_senders_own_is_refused(host, own, other, cert, chain):
    cert = other if cert == "<other>" else cert
    text = marker()
    send(host, port(host, own), cert, own, text, chain)
    # The refused connection is closed by now; a line the sender sends after it lands, so
    # the collector has read what came before.
    after = marker()
    send(host, port(host, own), own, own, after)
    assert landed(host, after, wait=10)
    assert stored_lines(host, text) == {}
    assert sorted(host.run(f"ls {STORE}").stdout.split()) == sorted(senders(host))


def test_the_collectors_units_are_sandboxed(host):
    for unit in ("landingzone-log-collector.service", "landingzone-log-seal.service"):
        result = host.run(f"systemd-analyze security --offline=true /etc/systemd/system/{unit}")
        exposure = float(result.stdout.rsplit("Overall exposure level for", 1)[1].split(":")[1].split()[0])
        assert exposure <= 2.0, result.stdout


def seal(host):
    result = host.run("systemctl start landingzone-log-seal.service")
    assert result.rc == 0, result.stderr + host.run("journalctl -u landingzone-log-seal --no-pager").stdout


def test_sealing_closes_the_period_and_the_collector_goes_on(host, own):
    before = marker()
    send(host, port(host, own), own, own, before)
    assert landed(host, before, wait=10)
    seal(host)
    [path] = stored_lines(host, before)
    sealed = host.file(path)
    assert path.startswith(f"{STORE}/{own}/") and path.endswith("Z.log")
    assert (sealed.user, sealed.group, sealed.mode) == ("root", "root", 0o440)
    seal_line = json.loads(sealed.content_string.splitlines()[-1])["landingzone_chain"]
    assert seal_line["sender"] == own and seal_line["file"] == path.rsplit("/", 1)[1]
    current = host.file(f"{STORE}/{own}/current.log")
    assert (current.user, current.group, current.mode) == ("root", "lz-logcollector", 0o620)
    assert host.service("landingzone-log-collector.service").is_running
    after = marker()
    send(host, port(host, own), own, own, after)
    assert list(landed(host, after, wait=10)) == [f"{STORE}/{own}/current.log"]


def test_the_collectors_account_cannot_touch_a_sealed_period(host, own):
    sealed = host.run(f"ls {STORE}/{own}/ | grep 'Z.log$' | head -1").stdout.strip()
    assert sealed
    before = host.file(f"{STORE}/{own}/{sealed}").content_string
    attempts = (f"echo forged >> {sealed}", f": > {sealed}", f"rm -f {sealed}", f"mv {sealed} x", "rm -f chain.head")
    for command in attempts:
        result = host.run(f"cd {STORE}/{own} && runuser -u lz-logcollector -- sh -c '{command}'")
        assert result.rc != 0, command
    assert host.file(f"{STORE}/{own}/{sealed}").content_string == before


def chain_status(host) -> dict:
    """The audit's check (the collection's log_chain_status module), run from the controller."""
    arguments = json.dumps({"senders": list(senders(host))})
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTION), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    env["ANSIBLE_LOAD_CALLBACK_PLUGINS"] = "1"
    result = subprocess.run(
        [Path(sys.executable).with_name("ansible"), "all", "-i", f"{host.backend.name},", "-c",
         "containers.podman.podman", "-m", "cyberveilig.landingzone.log_chain_status", "-a", arguments],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    # The JSON document, without the lines a timing callback of the configuration adds around it.
    output = json.loads(result.stdout[result.stdout.index("{\n") : result.stdout.rindex("\n}") + 2])
    return output["plays"][0]["tasks"][0]["hosts"][host.backend.name]


def test_the_audit_reports_a_line_removed_from_an_old_log_file(host, own, other):
    send(host, port(host, own), own, own, marker())
    time.sleep(1)
    seal(host)
    status = chain_status(host)
    assert status["chain_ok"] is True, status["senders"]
    records = {record["sender"]: record for record in status["senders"]}
    assert records[own]["sealed_files"] >= 2
    assert records[own]["current_append_only"] is False  # a container cannot set the flag
    assert status["landingzone_evidence"]["section"] == "logs"

    oldest = host.run(f"ls {STORE}/{own}/ | grep 'Z.log$' | head -1").stdout.strip()
    assert host.run(f"sed -i 1d {STORE}/{own}/{oldest}").rc == 0  # root, as an intruder on the collector
    status = chain_status(host)
    assert status["chain_ok"] is False
    records = {record["sender"]: record for record in status["senders"]}
    assert any(problem.startswith(f"{oldest} was changed after it was sealed") for problem in records[own]["problems"])
    assert records[other]["chain_ok"] is True
