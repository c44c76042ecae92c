"""A person logs in to their desk through the workplace's browser gateway with headless Chromium:
nginx asks for the person's client certificate, serves noVNC, and sends the WebSocket to their
own desk's websockify; the desk's VNC server asks their password and TOTP code; the session
paints the desk's name and a word new to this run as a QR code, which must be read from the
browser's screenshot (a blank screen fails). No certificate, a certificate of someone not on the
roster, a certificate of another CA and a wrong code get no session.

Chromium is driven by selenium through chromium-driver. It picks the person's certificate from an
NSS database in a temporary HOME, and the AutoSelectCertificateForUrls policy, which Chromium
reads from /etc/chromium/policies only, is bind-mounted there inside a mount namespace of its
own: this machine's /etc is never touched.

The municipality is the test's own: podman network lz-wpweb (10.231.87.0/24), a desk and a
gateway from the lab's desk image."""

import http.client
import json
import os
import secrets
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from lab_cli import BIN, ROOT, run
from test_workplace_rdp import PEOPLE, podman

from landingzone.lab.desk_image import ensure_desk_image
from landingzone.pki import CertificateAuthority
from landingzone.workplace_login import fresh_code, totp_code

NETWORK, SUBNET = "lz-wpweb", "10.231.87.0/24"
DESK, DESK_ADDRESS = "wpweb-desk1", "10.231.87.11"
GATEWAY, GATEWAY_ADDRESS = "wpweb-gw1", "10.231.87.21"
# No service runs here: the egress table needs an endpoint for each roster service.
UNUSED_SERVICE_ADDRESS = "10.231.87.31"
GATEWAY_URL = f"https://{GATEWAY}/"
NONCE_FILE = "/etc/landingzone-workplace/lab-nonce"
PAINT_HOOK = f"""#!/bin/sh
qrencode -s 8 -m 4 -o "$HOME/.lab-nonce.png" "$(hostname) $(cat {NONCE_FILE})"
exec feh --geometry 520x520+200+120 "$HOME/.lab-nonce.png"
"""
P12_PASSWORD = "lab-only"


def _remove_lab() -> None:
    for name in (DESK, GATEWAY):
        podman("rm", "-f", "-t", "0", name, check=False)
    podman("network", "rm", "-f", NETWORK, check=False)


def _start_and_wait(name: str, image: str, address: str) -> None:
    podman(
        "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK, "--ip", address,
        "--systemd", "always", "--cap-add", "NET_ADMIN", image, "/lib/systemd/systemd",
    )  # fmt: skip
    for _ in range(60):
        state = podman("exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(1)
    pytest.fail(f"{name} did not boot: {state}")


def _issue_people(directory: Path) -> dict[str, tuple[Path, Path]]:
    """Client certificates: the roster's people and an outsider from the people's CA, and
    lmertens once more from the hosts' CA (another CA)."""
    people_ca = CertificateAuthority(directory / "people").ensure("landingzone lab people CA")
    issued = {name: people_ca.issue(name, [name]) for name in ("lmertens", "svermeulen", "outsider")}
    hosts_ca = CertificateAuthority(directory / "pki")
    issued["lmertens-of-the-hosts-ca"] = hosts_ca.issue("lmertens", ["lmertens"], out_dir=directory / "other-ca")
    return issued


def _inventory(directory: Path) -> Path:
    pki = str(directory / "pki")
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "containers.podman.podman",
                "workplace_lab_pki": pki,
                "landingzone_ca_cert": "{{ lookup('ansible.builtin.file', workplace_lab_pki ~ '/ca.crt') }}",
                "landingzone_host_cert": "{{ lookup('ansible.builtin.file', workplace_lab_host ~ '.crt') }}",
                "landingzone_host_key": "{{ lookup('ansible.builtin.file', workplace_lab_host ~ '.key') }}",
                "workplace_lab_host": "{{ workplace_lab_pki }}/{{ inventory_hostname }}",
            },
            "children": {
                "workplace_desks": {"hosts": {DESK: {"workplace_address": DESK_ADDRESS}}},
                "workplace_gateways": {"hosts": {GATEWAY: {"workplace_address": GATEWAY_ADDRESS}}},
            },
        }
    }
    path = directory / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """The desk with its browser desktops and the gateway with nginx, applied; the people's certificates."""
    directory = tmp_path_factory.mktemp("workplace-browser")
    desk_image = ensure_desk_image(ROOT)
    _remove_lab()
    podman("network", "create", "--subnet", SUBNET, NETWORK)
    try:
        for name, address in ((DESK, DESK_ADDRESS), (GATEWAY, GATEWAY_ADDRESS)):
            _start_and_wait(name, desk_image, address)
        made = run([BIN / "python", "-m", "landingzone.pki", str(directory / "pki"), f"{DESK},{GATEWAY}"])
        assert made.returncode == 0, made.stderr
        people = _issue_people(directory)
        variables = {
            **PEOPLE,
            "workplace_service_endpoints": {
                "bevolkingsregister": [{"address": UNUSED_SERVICE_ADDRESS, "port": 8443, "proto": "tcp"}],
                "website": [{"address": UNUSED_SERVICE_ADDRESS, "port": 8445, "proto": "tcp"}],
            },
            "workplace_tls_cert": "{{ landingzone_host_cert }}",
            "workplace_tls_key": "{{ landingzone_host_key }}",
            "workplace_browser": True,
            "workplace_gateway_browser": True,
            "workplace_gateway_tls_cert": "{{ landingzone_host_cert }}",
            "workplace_gateway_tls_key": "{{ landingzone_host_key }}",
            "workplace_gateway_desks_ca": "{{ landingzone_ca_cert }}",
            "workplace_gateway_people_ca": (directory / "people" / "ca.crt").read_text(encoding="utf-8"),
        }
        variables_file = directory / "workplace.yml"
        variables_file.write_text(yaml.safe_dump(variables), encoding="utf-8")
        started = time.monotonic()
        applied = run(
            [BIN / "ansible-playbook", "-i", str(_inventory(directory)), "-e", f"@{variables_file}",
             str(ROOT / "tests" / "integration" / "workplace_rdp" / "site.yml")],
            timeout=1200,
        )  # fmt: skip
        print(f"workplace with the browser gateway applied in {time.monotonic() - started:.0f} s")
        assert applied.returncode == 0, applied.stdout[-6000:] + applied.stderr[-3000:]
        yield directory, people
    finally:
        _remove_lab()


def https_status(directory: Path, client: tuple[Path, Path] | None, path: str = "/vnc.html") -> int:
    """The gateway's answer to a GET, with a client certificate or none, trusting the hosts' CA."""
    context = ssl.create_default_context(cafile=str(directory / "pki" / "ca.crt"))
    if client:
        context.load_cert_chain(str(client[0]), str(client[1]))
    sock = socket.create_connection((GATEWAY_ADDRESS, 443), timeout=10)
    connection = http.client.HTTPSConnection(GATEWAY, context=context)
    connection.sock = context.wrap_socket(sock, server_hostname=GATEWAY)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


class Browser:
    """Headless Chromium under selenium, presenting one person's certificate to the gateway."""

    def __init__(self, directory: Path, certificate: tuple[Path, Path]):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        home = directory / f"home-{secrets.token_hex(4)}"
        nssdb = home / ".pki" / "nssdb"
        nssdb.mkdir(parents=True)
        self._import_certificate(directory, nssdb, certificate)
        policies = home / "etc-chromium" / "policies" / "managed"
        policies.mkdir(parents=True)
        rule = json.dumps({"pattern": GATEWAY_URL, "filter": {}})
        (policies / "lab.json").write_text(json.dumps({"AutoSelectCertificateForUrls": [rule]}), encoding="utf-8")
        # Chromium reads its policies from /etc/chromium alone: it gets a private view of it.
        wrapper = home / "chromium-with-lab-policy"
        wrapper.write_text(
            "#!/bin/sh\n"
            f"exec unshare --mount sh -c 'mount --bind {home / 'etc-chromium'} /etc/chromium"
            ' && exec /usr/bin/chromium "$@"\' chromium "$@"\n',
            encoding="utf-8",
        )
        wrapper.chmod(0o755)
        options = webdriver.ChromeOptions()
        options.binary_location = str(wrapper)
        for argument in (
            "--headless=new", "--no-sandbox", "--window-size=1400,1000", f"--user-data-dir={home / 'profile'}",
            f"--host-resolver-rules=MAP {GATEWAY} {GATEWAY_ADDRESS}", "--disable-gpu",
        ):  # fmt: skip
            options.add_argument(argument)
        service = Service("/usr/bin/chromedriver", env={**os.environ, "HOME": str(home)})
        self.driver = webdriver.Chrome(options=options, service=service)
        self.directory = home

    @staticmethod
    def _import_certificate(directory: Path, nssdb: Path, certificate: tuple[Path, Path]) -> None:
        cert = x509.load_pem_x509_certificate(certificate[0].read_bytes())
        key = serialization.load_pem_private_key(certificate[1].read_bytes(), password=None)
        bundle = nssdb.parent / "person.p12"
        bundle.write_bytes(
            pkcs12.serialize_key_and_certificates(
                b"person", key, cert, None, serialization.BestAvailableEncryption(P12_PASSWORD.encode())
            )
        )
        for command in (
            ["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"],
            ["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "lab hosts CA", "-t", "C,,",
             "-i", str(directory / "pki" / "ca.crt")],
            ["pk12util", "-d", f"sql:{nssdb}", "-i", str(bundle), "-W", P12_PASSWORD],
        ):  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            assert done.returncode == 0, f"{command[0]}: {done.stdout}{done.stderr}"

    def log_in(self, user: str, password: str) -> None:
        """Open the gateway and answer noVNC's login form (user name, password with the code)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver.get(GATEWAY_URL)
        wait = WebDriverWait(self.driver, 30)
        username = wait.until(expected_conditions.visibility_of_element_located((By.ID, "noVNC_username_input")))
        username.send_keys(user)
        self.driver.find_element(By.ID, "noVNC_password_input").send_keys(password)
        self.driver.find_element(By.ID, "noVNC_credentials_button").click()

    def qr_text(self) -> str:
        shot = self.directory / "screen.png"
        shot.write_bytes(self.driver.get_screenshot_as_png())
        decoded = subprocess.run(["zbarimg", "-q", "--raw", str(shot)], capture_output=True, text=True, check=False)
        return decoded.stdout.strip()

    def wait_for_qr(self, within: float) -> str:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            text = self.qr_text()
            if text:
                return text
            time.sleep(2)
        return ""

    def status_text(self) -> str:
        return self.driver.execute_script(
            "const s = document.getElementById('noVNC_status'); return s ? s.textContent : '';"
        )

    def close(self) -> None:
        self.driver.quit()


def _paint_nonce(word: str, person: str) -> None:
    """The nonce and the session start's addition that paints it; the person's desktop starts anew."""
    podman("exec", "-i", DESK, "sh", "-c", f"cat > {NONCE_FILE}", input_text=word + "\n")
    podman("exec", "-i", DESK, "sh", "-c", "cat > /etc/landingzone-workplace/session.d/lab-paint.sh",
           input_text=PAINT_HOOK)  # fmt: skip
    podman("exec", DESK, "systemctl", "restart", f"workplace-vnc-server@{person}.service")


@pytest.mark.lab
def test_a_person_with_their_certificate_password_and_code_sees_their_own_session(gateway):
    directory, people = gateway
    person = "lmertens"
    word = secrets.token_hex(8)
    _paint_nonce(word, person)
    browser = Browser(directory, people[person])
    started = time.monotonic()
    try:
        password = PEOPLE["workplace_first_passwords"][person] + fresh_code(PEOPLE["workplace_totp_secrets"][person])
        browser.log_in(person, password)
        seen = browser.wait_for_qr(within=60)
        status = browser.status_text()
    finally:
        browser.close()
    assert seen, f"no QR code in the browser within 60 s (last screenshot {browser.directory / 'screen.png'}): {status}"
    print(f"session painted in the browser {time.monotonic() - started:.1f} s after it started")
    assert seen == f"{DESK} {word}"


@pytest.mark.lab
def test_a_wrong_totp_code_gets_no_session_in_the_browser(gateway):
    directory, people = gateway
    person = "svermeulen"
    word = secrets.token_hex(8)
    _paint_nonce(word, person)
    browser = Browser(directory, people[person])
    try:
        wrong = totp_code(PEOPLE["workplace_totp_secrets"][person], time.time() + 900)
        browser.log_in(person, PEOPLE["workplace_first_passwords"][person] + wrong)
        seen = browser.wait_for_qr(within=20)
        status = browser.status_text()
    finally:
        browser.close()
    assert not seen, "a wrong code showed the session"
    assert "fail" in status.lower(), f"noVNC did not report a failed login: {status!r}"


@pytest.mark.lab
def test_a_certificate_reaches_its_own_persons_session_alone(gateway):
    # svermeulen's certificate with lmertens's name, password and code: the gateway sends it to
    # svermeulen's desktop, whose VNC server lets svermeulen alone in.
    directory, people = gateway
    person = "lmertens"
    _paint_nonce(secrets.token_hex(8), "svermeulen")
    browser = Browser(directory, people["svermeulen"])
    try:
        password = PEOPLE["workplace_first_passwords"][person] + fresh_code(PEOPLE["workplace_totp_secrets"][person])
        browser.log_in(person, password)
        seen = browser.wait_for_qr(within=20)
        status = browser.status_text()
    finally:
        browser.close()
    assert not seen, "another person's certificate opened lmertens's session"
    assert "fail" in status.lower(), f"noVNC did not report a failed login: {status!r}"


@pytest.mark.lab
def test_the_gateway_lets_in_roster_certificates_of_the_people_ca_alone(gateway):
    directory, people = gateway
    assert https_status(directory, people["lmertens"]) == 200
    # nginx answers a handshake without an accepted certificate with 400 and never serves the page.
    assert https_status(directory, None) == 400
    assert https_status(directory, people["lmertens-of-the-hosts-ca"]) == 400
    # A good certificate of someone not on the roster reaches neither the page nor a desk.
    assert https_status(directory, people["outsider"]) == 403
    assert https_status(directory, people["outsider"], "/websockify?token=lmertens") == 403


@pytest.mark.lab
def test_the_desk_takes_websockify_from_the_gateway_only(gateway):
    try:
        socket.create_connection((DESK_ADDRESS, 6080), timeout=3).close()
    except OSError:
        reached = False
    else:
        reached = True
    assert not reached, "the desk's websockify took a connection that did not come from the gateway"
