"""The citizen portal serves over TLS what its database holds, and nothing else listens."""

import json

import pytest

REFERENCE = "LZ-00042"
# Fetch over TLS from inside the host, verifying the certificate by the host's name
# against the CA the role installed.
FETCH = """python3 - <<'PY'
import http.client, json, socket, ssl
name = "{name}"
context = ssl.create_default_context(cafile="/etc/citizen-portal/tls/ca.crt")
connection = http.client.HTTPSConnection(name, 443, context=context, timeout=10)
connection.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", 443), timeout=10), server_hostname=name)
connection.request("GET", "{path}")
response = connection.getresponse()
print(json.dumps({{"status": response.status, "version": connection.sock.version(), "body": response.read().decode()}}))
PY"""


def fetch(host, path):
    # The name the role configured, which the certificate carries.
    name = json.loads(host.file("/etc/citizen-portal/healthcheck.json").content_string)["server_name"]
    return json.loads(host.check_output(FETCH.format(name=name, path=path)))


def test_portal_serves_the_appointment_over_tls(host):
    answer = fetch(host, f"/api/appointments/{REFERENCE}")
    assert answer["status"] == 200
    assert answer["version"] in ("TLSv1.2", "TLSv1.3")
    served = json.loads(answer["body"])
    row = host.check_output(
        "runuser -u postgres -- psql -XAt -d citizen_portal -c "
        f"\"SELECT service || '|' || counter FROM appointments WHERE reference = '{REFERENCE}'\""
    )
    assert f"{served['service']}|{served['counter']}" == row


def test_unknown_appointment_is_not_found(host):
    assert fetch(host, "/api/appointments/LZ-99999")["status"] == 404


def test_health_check_passes(host):
    result = host.run("/usr/local/sbin/citizen-portal-healthcheck")
    assert result.rc == 0, result.stdout
    assert result.stdout.startswith("ok: ")


def test_application_runs_as_its_own_user_sandboxed(host):
    service = host.service("citizen-portal.service")
    assert service.is_running and service.is_enabled
    properties = host.check_output(
        "systemctl show citizen-portal.service -p User -p NoNewPrivileges -p ProtectSystem -p CapabilityBoundingSet"
    )
    assert "User=citizen_portal" in properties
    assert "NoNewPrivileges=yes" in properties
    assert "ProtectSystem=strict" in properties
    assert "CapabilityBoundingSet=" in properties.splitlines()


def test_only_the_declared_port_is_open_beyond_loopback(host):
    ports = set()
    for line in host.check_output("ss -Hltn").splitlines():
        address, _, port = line.split()[3].rpartition(":")
        if not address.startswith(("127.", "[::1]")):
            ports.add(int(port))
    assert ports == {22, 443}


@pytest.mark.parametrize("rule", ["tcp dport 443 accept", "citizen_portal: HTTPS for citizens"])
def test_firewall_admits_the_portal(host, rule):
    assert rule in host.check_output("nft list chain inet landingzone_filter input")


def test_private_key_is_root_only(host):
    key = host.file("/etc/citizen-portal/tls/portal.key")
    assert key.mode == 0o600 and key.user == "root"


@pytest.mark.parametrize("profile", ["landingzone-citizen-portal", "landingzone-nginx"])
def test_the_apparmor_profiles_wait_installed_and_the_unit_names_none_in_a_container(host, profile):
    # A container cannot load a profile (it would land in the host's kernel): the role installs the
    # files, and the application's unit does not name a profile the kernel lacks (it would not start).
    installed = host.file(f"/etc/apparmor.d/{profile}")
    assert installed.is_file and installed.user == "root" and installed.mode == 0o644
    assert f"profile {profile} " in installed.content_string
    assert host.check_output("systemctl show citizen-portal.service -p AppArmorProfile") == "AppArmorProfile="
