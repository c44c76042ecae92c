"""The lab municipality `stocklab`, whose application server is a stock Debian server:
`landingzone apply` hardens it at level essential over real SSH, becoming root with the
become password from the vault, without an error; the operator still logs in afresh and
becomes root; and the password is nowhere in the output, the runner's artifacts, the logs
or the evidence. Slow (three hosts, site.yml): `make test-slow` runs it."""

import json
from pathlib import Path

import pytest
from lab_cli import BIN, ROOT, landingzone, run

FLEET_SOURCE = ROOT / "inventories"
MUNICIPALITY = "stocklab"
STOCK_HOST = "stocklab-app1"
VAULT_PASSWORD = ROOT / "lab" / "demo-vault-password"


def _become_password() -> str:
    """The stock host's become password, read the way the CLI reads the vault; the CLI must
    count it among the secrets it scrubs."""
    import yaml
    from ansible.parsing.vault import VaultLib, VaultSecret

    from landingzone.runner.secret_values import municipality_secrets

    password = VAULT_PASSWORD.read_text().splitlines()[0]
    loader = type("Vault", (yaml.SafeLoader,), {})
    loader.add_constructor("!vault", lambda loader, node: loader.construct_scalar(node))
    text = (FLEET_SOURCE / MUNICIPALITY / "host_vars" / f"{STOCK_HOST}.yml").read_text()
    cipher = yaml.load(text, Loader=loader)["ansible_become_password"]  # noqa: S506 - a SafeLoader subclass
    clear = VaultLib([("default", VaultSecret(password.encode()))]).decrypt(cipher).decode()
    assert clear in municipality_secrets(FLEET_SOURCE / MUNICIPALITY, password, set())
    return clear


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """A fleet of its own, whose one municipality is the checkout's stocklab: runs and evidence land here."""
    fleet = tmp_path_factory.mktemp("fleet")
    (fleet / MUNICIPALITY).symlink_to(FLEET_SOURCE / MUNICIPALITY)
    up = landingzone(FLEET_SOURCE, "lab", "up", MUNICIPALITY)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        yield fleet
    finally:
        landingzone(FLEET_SOURCE, "lab", "down", MUNICIPALITY)


@pytest.mark.lab
@pytest.mark.slow
def test_a_stock_server_is_hardened_over_ssh_with_its_become_password(fleet):
    applied = run(
        [BIN / "landingzone", "--fleet", str(fleet), "--json", "apply", MUNICIPALITY]
        + ["--vault-password-file", str(VAULT_PASSWORD)],
        timeout=1800,
    )
    outcome = json.loads(applied.stdout)["municipalities"][0]
    document = json.loads((Path(outcome["evidence_dir"]) / "results.json").read_text())
    stock = [r for r in document["results"] if r["host"] == STOCK_HOST]
    assert stock, applied.stdout + applied.stderr
    errors = {r["control"]: r["reason"] for r in stock if r["status"] == "error"}
    assert not errors
    failing = {r["control"]: r["reason"] for r in stock if r["status"] == "fail"}
    assert all("held back" in reason for reason in failing.values()), failing
    assert applied.returncode == 0, applied.stdout + applied.stderr

    status = json.loads(landingzone(FLEET_SOURCE, "--json", "lab", "status", MUNICIPALITY).stdout)
    row = next(r for r in status if r["host"] == STOCK_HOST)
    assert row["operator_ssh"] is True
    # auditd no longer fails where it cannot run (LZ-AUDIT-072): systemd says running.
    assert row["systemd"] == "running", row["failed_units"]

    password = _become_password()
    files = [p for p in fleet.rglob("*") if p.is_file()]
    assert any(p.name == "landingzone.log" for p in files)
    assert password not in applied.stdout + applied.stderr
    for path in files:
        assert password.encode() not in path.read_bytes(), f"the become password is in {path}"
