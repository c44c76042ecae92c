"""Real ansible-runner runs on this machine (local connection, a stand-in engine module):
parallel municipalities, an unreachable host, evidence, and secrets that never reach the disk."""

import json
import sys
import textwrap
from pathlib import Path

import pytest
from run_metadata import METADATA

from landingzone.pki import key_pem
from landingzone.runner.fleet import run_fleet
from landingzone.runner.job import FleetSettings, Municipality, RunKind
from landingzone.runner.secret_values import municipality_secrets
from landingzone.runner.vault import encrypt, password_file_for_jobs

PASSWORD = "unit vault password 7"
TOKEN = "tok-3f9a1c55e0b2d7"
PROBE = RunKind("audit", "probe.yml")

FAKE_ENGINE = """
from ansible.module_utils.basic import AnsibleModule

def main():
    module = AnsibleModule(argument_spec={"token": {"type": "str", "no_log": False}}, supports_check_mode=True)
    module.exit_json(changed=False, results=[
        {"id": "LZ-T-001", "title": "First", "level": "basic", "status": "pass", "evidence": {"found": "ok"}},
        {"id": "LZ-T-002", "title": "Second", "level": "basic", "status": "fail",
         "evidence": {"found": module.params["token"]}},
    ])

main()
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


@pytest.fixture
def checkout(tmp_path):
    root = tmp_path / "checkout"
    _write(root / "ansible.cfg", "[defaults]\ncollections_path = ./collections\nhost_key_checking = False\n")
    _write(
        root / "collections/ansible_collections/cyberveilig/landingzone/plugins/modules/linux_controls.py", FAKE_ENGINE
    )
    _write(root / "collections/ansible_collections/cyberveilig/landingzone/galaxy.yml", "namespace: cyberveilig\n")
    _write(
        root / "playbooks/probe.yml",
        """
        ---
        - name: Probe
          hosts: all
          gather_facts: false
          tasks:
            - name: Check the controls
              cyberveilig.landingzone.linux_controls:
                token: "{{ fixture_token }}"
            - name: Say the token out loud
              ansible.builtin.debug:
                msg: "the token is {{ fixture_token }}"
        """,
    )
    return root


def _municipality(fleet: Path, name: str, nis: str, hosts: str) -> Municipality:
    directory = fleet / name
    _write(directory / "hosts.yml", hosts)
    vaulted = textwrap.indent(encrypt(PASSWORD, TOKEN), "  ")
    _write(directory / "group_vars/all/vault.yml", f"fixture_token: !vault |\n{vaulted}\n")
    host_names = [line.split()[0] for line in hosts.splitlines() if line and not line.startswith("[")]
    return Municipality(name, nis, directory, host_names, {}, municipality_secrets(directory, PASSWORD, set()))


@pytest.fixture
def fleet(tmp_path):
    fleet = tmp_path / "fleet"
    local = f"ansible_connection=local ansible_python_interpreter={sys.executable}"
    down = "ansible_host=127.0.0.1 ansible_port=9 ansible_connection=ssh ansible_ssh_common_args='-o ConnectTimeout=3'"
    return [
        _municipality(fleet, "gent", "44021", f"gent-app1 {local}\n"),
        _municipality(fleet, "aalst", "41002", f"aalst-app1 {local}\naalst-down1 {down}\n"),
    ]


def _run(checkout, fleet, monkeypatch, keep_runs=10, **settings_extra):
    monkeypatch.setenv("LZ_OPERATOR_API_TOKEN", "operator-shell-secret")
    monkeypatch.setenv("LANDINGZONE_VAULT_PASSWORD", PASSWORD)
    progress = []
    with password_file_for_jobs(PASSWORD) as password_file:
        settings = FleetSettings(
            root=checkout,
            fleet=fleet[0].inventory_dir.parent,
            keep_runs=keep_runs,
            vault_password=PASSWORD,
            vault_password_file=password_file,
            metadata=METADATA,
            **settings_extra,
        )
        outcomes = run_fleet(fleet, PROBE, settings, parallel=2, on_progress=progress.append)
    return settings, {o.municipality: o for o in outcomes}, progress


def test_municipalities_run_side_by_side_and_an_unreachable_host_stops_only_its_own(checkout, fleet, monkeypatch):
    settings, outcomes, progress = _run(checkout, fleet, monkeypatch)

    gent, aalst = outcomes["gent"], outcomes["aalst"]
    assert (gent.exit_code, gent.finished) == (1, True)  # one control fails: non-compliant
    assert gent.statuses == {"pass": 1, "fail": 1}
    assert (aalst.exit_code, aalst.finished) == (3, False)
    assert aalst.hosts["aalst-app1"] == {"reachable": True, "failed": False, "message": ""}
    assert aalst.hosts["aalst-down1"]["reachable"] is False
    assert "not reached: aalst-down1" in aalst.message

    document = json.loads((Path(aalst.evidence_dir) / "results.json").read_text())
    assert document["hosts"]["aalst-down1"]["reachable"] is False
    assert {(r["host"], r["control"], r["status"]) for r in document["results"]} == {
        ("aalst-app1", "LZ-T-001", "pass"),
        ("aalst-app1", "LZ-T-002", "fail"),
    }
    assert Path(aalst.evidence_dir).parent == settings.evidence_root / "aalst"
    assert {p.municipality for p in progress if p.finished} == {"gent", "aalst"}
    # Each run has its own private_data_dir and fact cache.
    assert Path(gent.run_dir).parent == settings.runs_root / "gent"
    command = json.loads(next(Path(gent.run_dir).glob("artifacts/*/command")).read_text())
    assert command["env"]["ANSIBLE_CACHE_PLUGIN_CONNECTION"].startswith(gent.run_dir)


def test_no_secret_reaches_artifacts_logs_or_evidence(checkout, fleet, monkeypatch):
    settings, outcomes, _ = _run(checkout, fleet, monkeypatch)
    files = [p for root in (settings.runs_root, settings.evidence_root) for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "command" for p in files)
    assert any(p.parent.name == "job_events" for p in files)
    log = (Path(outcomes["gent"].run_dir) / "landingzone.log").read_text()
    assert "the token is" in log  # the debug task ran and was logged, scrubbed
    for path in files:
        content = path.read_bytes()
        for secret in (TOKEN, PASSWORD, "operator-shell-secret"):
            assert secret.encode() not in content, f"{secret!r} found in {path}"


def test_rotation_keeps_the_last_runs_and_all_evidence(checkout, fleet, monkeypatch):
    for _ in range(2):
        settings, _, _ = _run(checkout, fleet[:1], monkeypatch, keep_runs=1)
    assert len(list((settings.runs_root / "gent").iterdir())) == 1
    assert len(list((settings.evidence_root / "gent").glob("*/results.json"))) == 2


def test_a_municipality_that_crashes_is_reported_and_the_others_finish(checkout, fleet, monkeypatch):
    fleet[1].nis_code = "not a nis code"  # makes its ident, and so its run, fail inside the thread
    _, outcomes, _ = _run(checkout, fleet, monkeypatch)
    assert outcomes["gent"].exit_code == 1
    assert outcomes["aalst"].exit_code == 3 and not outcomes["aalst"].finished
    assert "did not finish" in outcomes["aalst"].message


def test_a_fleet_with_an_evidence_key_signs_every_run_and_never_writes_the_key(checkout, fleet, monkeypatch):
    from cryptography import x509

    from landingzone.evidence.verify import verify_run
    from landingzone.fleet_evidence_key import FleetEvidenceKey
    from landingzone.fleet_pki import FleetCA

    fleet_dir = fleet[0].inventory_dir.parent
    FleetCA(fleet_dir).init("test fleet CA", PASSWORD)
    FleetEvidenceKey(fleet_dir).issue(PASSWORD)
    signer = FleetEvidenceKey(fleet_dir).signer(PASSWORD)
    settings, outcomes, _ = _run(checkout, fleet, monkeypatch, evidence_signer=signer)
    ca = x509.load_pem_x509_certificate((fleet_dir / "pki" / "ca.crt").read_bytes())
    for outcome in outcomes.values():
        verification = verify_run(Path(outcome.evidence_dir), ca)
        assert verification.verified, [v for v in verification.verdicts if not v.passed]
    key_lines = [line for line in key_pem(signer.key).decode().splitlines() if "PRIVATE KEY" not in line]
    for root in (settings.runs_root, settings.evidence_root):
        for path in (p for p in root.rglob("*") if p.is_file()):
            content = path.read_text(errors="replace")
            assert not any(line in content for line in key_lines), path
