"""Hostile strings in the nftables files: the supplier contract's drop-in and the baseline's
ruleset, loaded by the real nft into a network namespace of the test's own and read back as
nft's JSON. A value is carried without adding or changing a rule, or it is refused."""

import shutil
import sys
from pathlib import Path

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers import nftables_ruleset
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.nft_encoding import nft_comment_text
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.supplier_contract import Contract
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.supplier_derivations import firewall_dropin

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hostile_strings import HOSTILE, inert, run  # noqa: E402

pytestmark = pytest.mark.skipif(not (shutil.which("nft") and shutil.which("unshare")), reason="needs nft and unshare")

BASE_TABLE = """
table inet landingzone_filter {
    chain input {
        type filter hook input priority filter; policy drop;
    }
}
"""
NETWORK_PLACEHOLDER = "fd00:99::/64"
HOSTILE_NETWORKS = {
    "zone with shell syntax": ("fd00:99::%zq$(id);accept qz/64", "fd00:99::/64"),
    "zone with a newline": ("fd00:99::%zq\naccept\nqz/64", "fd00:99::/64"),
    "text": ("zq; accept qz", None),
    "host bits and a comment": ("10.0.0.0/8 accept comment x", None),
}


def loaded_ruleset(*files: str, tmp_path: Path) -> list[str]:
    """What nft reads from `files`, loaded in order into a fresh network namespace, as nft
    prints it back: one line per table, chain and rule, in nft's own canonical words."""
    paths = []
    for index, text in enumerate(files):
        path = tmp_path / f"{index}.nft"
        path.write_text(text.replace(nftables_ruleset.DROPINS, str(tmp_path / "dropins" / "*.nft")))
        paths.append(str(path))
    (tmp_path / "dropins").mkdir(exist_ok=True)
    script = " && ".join(f"nft -f {path}" for path in paths) + " && nft list ruleset"
    return [line.strip() for line in run(["unshare", "--net", "sh", "-c", script]).splitlines() if line.strip()]


def dropin(role="example_app", purpose="HTTPS", sources=("management",), management=("10.1.0.0/16",)):
    port = {"port": 443, "proto": "tcp", "sources": list(sources), "purpose": purpose}
    return firewall_dropin(Contract("x.yml", {"role": role, "ports": [port]}), list(management))


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_purpose_stays_a_comment(tmp_path, kind):
    value = HOSTILE[kind]
    expected = nft_comment_text(f"example_app: {value}")[len("example_app: ") :]
    outcome = inert(
        lambda text: dropin(purpose=text),
        lambda text: loaded_ruleset(BASE_TABLE, text, tmp_path=tmp_path),
        value,
        expected=expected,
    )
    assert outcome == "carried"


@pytest.mark.parametrize("kind", [kind for kind in HOSTILE if kind != "10 kB"])
def test_a_hostile_role_name_stays_in_comments(tmp_path, kind):
    value = HOSTILE[kind]
    outcome = inert(
        lambda text: dropin(role=text, purpose="p"),
        lambda text: loaded_ruleset(BASE_TABLE, text, tmp_path=tmp_path),
        value,
        expected=nft_comment_text(value),
    )
    assert outcome == "carried"


@pytest.mark.parametrize("field", ["role", "purpose"])
def test_ten_kilobytes_are_cut_to_the_comment_limit_of_one_rule(tmp_path, field):
    text = dropin(**{field: HOSTILE["10 kB"]})
    rules = [line for line in loaded_ruleset(BASE_TABLE, text, tmp_path=tmp_path) if "dport 443" in line]
    (rule,) = rules
    comment = rule.split(' comment "', 1)[1]
    assert comment.endswith('"') and len(comment[:-1].encode()) == 127


@pytest.mark.parametrize("kind", HOSTILE_NETWORKS)
def test_a_hostile_management_network_never_reaches_a_dropin_rule(tmp_path, kind):
    value, _ = HOSTILE_NETWORKS[kind]
    outcome = inert(
        lambda text: dropin(management=(text,)),
        lambda text: loaded_ruleset(BASE_TABLE, text, tmp_path=tmp_path),
        value,
        placeholder=NETWORK_PLACEHOLDER,
    )
    assert outcome == "refused"


def baseline_ruleset(networks=("10.1.0.0/16",), sources=("10.2.0.0/16",)) -> str:
    params = {
        "ssh_port": 22,
        "management_networks": list(networks),
        "allowed_inbound": [{"port": 8443, "proto": "tcp", "sources": list(sources)}],
        "forwarding": False,
    }
    return nftables_ruleset.render(params, None)


@pytest.mark.parametrize("where", ["management_networks", "allowed_inbound sources"])
@pytest.mark.parametrize("kind", HOSTILE_NETWORKS)
def test_a_hostile_network_in_the_baseline_ruleset_adds_no_rule(tmp_path, kind, where):
    value, carried = HOSTILE_NETWORKS[kind]

    def render(text):
        return (
            baseline_ruleset(networks=(text,)) if where == "management_networks" else baseline_ruleset(sources=(text,))
        )

    outcome = inert(
        render,
        lambda text: loaded_ruleset(text, tmp_path=tmp_path),
        value,
        expected=carried,
        placeholder=NETWORK_PLACEHOLDER,
    )
    # Shell syntax or rules in a zone are dropped with the zone; anything else is no network.
    assert outcome == ("carried" if carried else "refused")


def test_the_drop_in_header_keeps_a_role_name_with_a_newline_inside_its_comment(tmp_path):
    text = dropin(role="zq\nadd rule inet landingzone_filter input accept\nqz")
    rules = [line for line in loaded_ruleset(BASE_TABLE, text, tmp_path=tmp_path) if "accept" in line]
    assert rules == [
        'ip saddr 10.1.0.0/16 tcp dport 443 accept comment "zq add rule inet landingzone_filter input accept qz: HTTPS"'
    ]
