"""The citizen portal's two AppArmor profiles in Debian's kernel: the smoke make test runs.

The whole portal (PostgreSQL, gunicorn, nginx, installed by its role) runs confined in
test_apparmor_vm.py, which make test-slow runs: its packages take minutes to install under
software emulation. Here, on the VM the smokes share (conftest.py: hardened_vm), the profiles as
the role renders them are loaded into the kernel in enforce mode, and the application's profile,
run on the VM's own Python as gunicorn runs it, reads the application's code but is refused the
portal's TLS key, and the kernel logs the refusal in the profile's name.
"""

from __future__ import annotations

import pytest
from apparmor_vm import assert_denied_and_logged, record_aa_status
from backup_vm import downloaded_debs, make_pki, put_in_place, sh
from lab_vm import HOST, ROOT
from portal_vm import APPLICATION_PROFILE, NGINX_PROFILE, TLS_KEY
from role_render import render

pytestmark = [pytest.mark.vm, pytest.mark.vm_smoke]
APP = "/usr/lib/citizen-portal/citizen_portal_app.py"
DEBS = "/var/cache/lz-portal-debs"
SETUP = f"""
set -e
command -v apparmor_parser >/dev/null || dpkg -i {DEBS}/apparmor_*.deb >/dev/null
apparmor_parser -r /etc/apparmor.d/{APPLICATION_PROFILE} /etc/apparmor.d/{NGINX_PROFILE}
"""


def files(key: str) -> dict[str, tuple[bytes, int]]:
    found = {
        f"/etc/apparmor.d/{profile}": (render("citizen_portal", f"apparmor-{profile}.j2").encode(), 0o644)
        for profile in (APPLICATION_PROFILE, NGINX_PROFILE)
    }
    found[APP] = ((ROOT / "roles" / "citizen_portal" / "files" / "citizen_portal_app.py").read_bytes(), 0o644)
    found[TLS_KEY] = (key.encode(), 0o600)
    for deb in sorted(downloaded_debs().glob("apparmor_*.deb")):
        found[f"{DEBS}/{deb.name}"] = (deb.read_bytes(), 0o644)
    return found


@pytest.fixture(scope="module")
def profiles_vm(hardened_vm):
    pki = make_pki(hardened_vm.workdir / "portal-pki", HOST)
    put_in_place(hardened_vm, files(pki[f"{HOST}.key"]))
    sh(hardened_vm, SETUP, timeout=300)
    return hardened_vm


def test_both_profiles_are_loaded_in_enforce_mode(profiles_vm):
    status = record_aa_status(profiles_vm, "portal-profiles-smoke")
    enforced = status["profiles are in enforce mode."]
    assert APPLICATION_PROFILE in enforced and NGINX_PROFILE in enforced, enforced


def test_the_applications_profile_reads_its_code_but_not_the_portals_tls_key(profiles_vm):
    code = sh(
        profiles_vm, f"aa-exec -p {APPLICATION_PROFILE} -- /usr/bin/python3 -c \"print(len(open('{APP}').read()))\""
    )
    assert int(code.strip()) == len((ROOT / "roles" / "citizen_portal" / "files" / "citizen_portal_app.py").read_text())
    read = f"/usr/bin/python3 -c \"open('{TLS_KEY}').read()\""
    said = assert_denied_and_logged(profiles_vm, APPLICATION_PROFILE, read, TLS_KEY)
    assert "Permission denied" in said and "BEGIN" not in said, said
