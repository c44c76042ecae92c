"""What the landing zone derives from a supplier contract, so nothing is typed twice.

- the firewall allowlist, as the role's nftables drop-in (/etc/nftables.d/<role>.nft);
- the backup set: the paths to include, the databases to dump first, and the services to stop
  while those dumps load back (a dump drops its database, which a connected session prevents);
- the health check the restore drill and the contract test run;
- the waiver requests, shown beside the failing controls until the card approves them.

The drop-in adds rules to the baseline's own input chain. A table of its own would not do:
in nftables a packet dropped by any base chain is dropped, so an accept in a second table
cannot get past the baseline's default-deny chain. The baseline's ruleset deletes and
recreates its table and then includes /etc/nftables.d/*.nft in one transaction, so the
rules are there again after every baseline run and every reload.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.nft_encoding import nft_comment_text, nft_network
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.supplier_contract import Contract

BASELINE_TABLE = "landingzone_filter"
BASELINE_CHAIN = "input"
DROPIN_DIR = "/etc/nftables.d"


class SourceError(ValueError):
    pass


def _networks(word_or_cidr, management, municipality):
    if word_or_cidr == "management":
        if not management:
            raise SourceError("sources: 'management' but no management networks are given")
        return list(management)
    if word_or_cidr == "municipality":
        return list(municipality or management or [])
    return [word_or_cidr]


def firewall_rules(contract: Contract, management_networks, municipality_networks=None) -> list[str]:
    """One nft rule per port and address family, in the order the contract lists the ports."""
    rules = []
    for index, port in enumerate(contract.data["ports"]):
        match = f"{port['proto']} dport {port['port']}"
        purpose = port.get("purpose", "declared port")
        comment = f'comment "{nft_comment_text(f"{contract.role}: {purpose}")}"'
        if "any" in port["sources"]:
            rules.append(f"{match} accept {comment}")
            continue
        networks = []
        try:
            for source in port["sources"]:
                networks += _networks(source, management_networks, municipality_networks)
        except SourceError as exc:
            raise SourceError(f"{contract.source}: ports[{index}].{exc}") from None
        parsed = [ipaddress.ip_network(nft_network(n)) for n in networks]
        for family, keyword in ((4, "ip"), (6, "ip6")):
            members = sorted({nft_network(n) for n in parsed if n.version == family})
            if members:
                rules.append(f"{keyword} saddr {{ {', '.join(members)} }} {match} accept {comment}")
    return rules


def firewall_dropin(contract: Contract, management_networks, municipality_networks=None) -> str:
    """The text of /etc/nftables.d/<role>.nft."""
    lines = [
        # The role's name through the comment encoder too: a newline in it would end this line.
        f"# Managed by cyberveilig.landingzone: the ports role {nft_comment_text(contract.role)} declares in its "
        "meta/landingzone.yml.",
        "# Included by the baseline's /etc/nftables.conf right after its table, so these rules join its",
        "# default-deny input chain. Reload with `nft -f /etc/nftables.conf`, never this file alone.",
    ]
    rules = firewall_rules(contract, management_networks, municipality_networks)
    lines += [f"add rule inet {BASELINE_TABLE} {BASELINE_CHAIN} {rule}" for rule in rules]
    if not rules:
        lines.append("# No ports declared: nothing to open.")
    return "\n".join(lines) + "\n"


def backup_set(contracts) -> dict:
    """What the backup agent includes for these roles, and the services to stop while their dumps
    load: {paths, databases: [{engine, name}], services}."""
    contracts = [contracts] if isinstance(contracts, Contract) else list(contracts)
    # dict.fromkeys keeps the first of each, in the order the roles declare them.
    paths = dict.fromkeys(path for contract in contracts for path in contract.data["backup"]["paths"])
    databases = dict.fromkeys(
        (database["engine"], database["name"])
        for contract in contracts
        for database in contract.data["backup"]["databases"]
    )
    services = dict.fromkeys(service for contract in contracts for service in contract.data.get("services", []))
    return {
        "paths": list(paths),
        "databases": [{"engine": engine, "name": name} for engine, name in databases],
        "services": list(services),
    }


def health_check(contract: Contract) -> dict:
    """The contract's health check as the drill runs it: {role, kind, timeout, ...}."""
    check = contract.data["health_check"]
    record = {"role": contract.role, "timeout": check.get("timeout", 30)}
    if "https" in check:
        https = check["https"]
        record.update(kind="https", port=https.get("port", 443), path=https["path"], expect=https["expect"])
    else:
        record.update(kind="command", argv=list(check["command"]["argv"]), expect=check["command"]["expect"])
    return record


def health_check_url(contract: Contract, host: str) -> str | None:
    """The https URL of an https health check on `host` (None for a command check)."""
    check = health_check(contract)
    if check["kind"] != "https":
        return None
    port = "" if check["port"] == 443 else f":{check['port']}"
    return f"https://{host}{port}{check['path']}"


def waiver_requests(contracts) -> list[dict]:
    """Every waiver request of these roles as {control, role, justification}."""
    if isinstance(contracts, Contract):
        contracts = [contracts]
    return [
        {"control": request["control"], "role": contract.role, "justification": request["justification"]}
        for contract in contracts
        for request in contract.data["waiver_requests"]
    ]


def annotate_waiver_requests(results, requests, note_in_reason: bool = True) -> list[dict]:
    """Engine results (control as ``id``) or evidence records (as ``control``) with each
    request shown beside its control.

    A request changes no status: a failing control stays failing until the card waives it.
    It only tells the reader that the role asked, and why. With ``note_in_reason`` the
    request is also written into the reason of a failing control, for readers of the reason
    alone; the evidence shows the structured ``waiver_requests`` instead.
    """
    by_control = {}
    for request in requests or []:
        by_control.setdefault(request["control"], []).append(request)
    annotated = []
    for result in results or []:
        asked = by_control.get(result.get("id") or result.get("control"))
        if not asked:
            annotated.append(result)
            continue
        record = dict(result, waiver_requests=[{"role": r["role"], "justification": r["justification"]} for r in asked])
        if note_in_reason and result.get("status") in ("fail", "error"):
            notes = "; ".join(
                f"waiver requested by role {r['role']}: {r['justification']} (not approved on the card)" for r in asked
            )
            record["reason"] = f"{result['reason']}; {notes}" if result.get("reason") else notes
        annotated.append(record)
    return annotated
