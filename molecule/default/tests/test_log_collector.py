"""The collector accepts syslog over TLS from certified senders only."""

import time
import uuid

TLS_DIR = "/etc/rsyslog-tls"


def _send(host, sender: str, message: str, with_certificate: bool):
    client = f"-cert {TLS_DIR}/collector.crt -key {TLS_DIR}/collector.key" if with_certificate else ""
    line = f"<13>Nov 28 12:00:00 {sender} lztest: {message}"
    return host.run(
        f"printf '%s\\n' '{line}' | timeout 10 openssl s_client -quiet -no_ign_eof "
        f"-connect 127.0.0.1:6514 -CAfile {TLS_DIR}/ca.crt {client}"
    )


def _landed(host, sender: str, message: str, wait: float) -> bool:
    path = f"/var/log/remote/{sender}/syslog.log"
    deadline = time.monotonic() + wait
    while True:
        if host.file(path).exists and message in host.file(path).content_string:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)


def test_rsyslog_listens_for_tls(host):
    assert host.service("rsyslog").is_running
    assert host.socket("tcp://0.0.0.0:6514").is_listening


def test_private_key_is_readable_by_root_only(host):
    key = host.file(f"{TLS_DIR}/collector.key")
    assert key.mode == 0o600
    assert key.user == "root"


def test_certified_sender_is_stored_per_host(host):
    sender, message = "certified-sender", f"marker-{uuid.uuid4()}"
    _send(host, sender, message, with_certificate=True)
    assert _landed(host, sender, message, wait=10)
    assert host.file(f"/var/log/remote/{sender}").mode == 0o750


def test_sender_without_certificate_is_refused(host):
    sender, message = "anonymous-sender", f"marker-{uuid.uuid4()}"
    # With TLS 1.3 the client only learns of the refusal after its first write,
    # so openssl's exit code says nothing; what matters is that nothing is
    # stored, by the same path that stores the certified sender's message.
    _send(host, sender, message, with_certificate=False)
    assert not _landed(host, sender, message, wait=3)
    assert not host.file(f"/var/log/remote/{sender}").exists
