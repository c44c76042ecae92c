"""`landingzone vpn revoke|export MUNICIPALITY SUPPLIER`, through the runner like every run.

Both run playbooks/vpn.yml on the municipality's vpn_gateways group with one extra
variable, through the same runner as apply and audit (own private_data_dir, redaction,
evidence): ``vpn_gateway_revoke`` ends the supplier's access now; ``vpn_gateway_export_*``
fetches what the supplier's side needs into a directory only the operator can read.
"""

import dataclasses
import json
import shutil
import tempfile
from pathlib import Path

from landingzone.errors import LandingzoneError
from landingzone.fleet_inputs import load_municipalities, select
from landingzone.paths import collection_root
from landingzone.runner import exit_codes
from landingzone.runner.fleet import run_fleet
from landingzone.runner.job import FleetSettings, Municipality, Outcome, RunKind
from landingzone.runner.progress import ProgressBoard
from landingzone.runner.vault import password_file_for_jobs, read_password
from landingzone.vpn.export import ipsec_files, wireguard_files
from landingzone.vpn.gateway_state import GatewayState

GATEWAYS = "vpn_gateways"
# A revocation changes the gateways: an apply of vpn.yml. An export only reads them.
REVOKE = RunKind("apply", "vpn.yml", diff=True, judges_compliance=False)
EXPORT = RunKind("audit", "vpn.yml", judges_compliance=False)


def _fleet(args, root: Path) -> Path:
    return Path(args.fleet).resolve() if args.fleet else root / "inventories"


def _municipality_and_supplier(args, root: Path, password: str | None) -> tuple[Path, Municipality, dict]:
    fleet = _fleet(args, root)
    (municipality,) = load_municipalities(root, fleet, select(fleet, [args.municipality], False), GATEWAYS, password)
    suppliers = {s["name"]: s for s in municipality.role_vars.get("landingzone_suppliers", [])}
    if args.supplier not in suppliers:
        card = municipality.inventory_dir / "municipality.yml"
        known = ", ".join(sorted(suppliers)) or "none"
        raise LandingzoneError(f"{card}: suppliers: no supplier {args.supplier!r} (the card has: {known})")
    if not municipality.hosts:
        raise LandingzoneError(f"{municipality.inventory_dir / 'hosts.yml'}: no host in group {GATEWAYS}")
    return fleet, municipality, suppliers[args.supplier]


def _run(root: Path, fleet: Path, municipality: Municipality, kind: RunKind, extra: dict, password) -> Outcome:
    municipality = dataclasses.replace(municipality, role_vars={**municipality.role_vars, **extra})
    board = ProgressBoard()
    with password_file_for_jobs(password) as password_file:
        settings = FleetSettings.for_command(root, fleet, password, password_file, limit=GATEWAYS)
        (outcome,) = run_fleet([municipality], kind, settings, 1, board.update)
    return outcome


def cmd_revoke(args) -> int:
    root = collection_root()
    password = read_password(args.vault_password_file)
    fleet, municipality, supplier = _municipality_and_supplier(args, root, password)
    outcome = _run(root, fleet, municipality, REVOKE, {"vpn_gateway_revoke": [supplier["name"]]}, password)
    ended = outcome.exit_code == exit_codes.COMPLIANT and outcome.finished
    text = (
        f"{municipality.name}: access of supplier {supplier['name']} "
        + ("ended on every gateway" if ended else "NOT ended everywhere: " + (outcome.message or "see the run log"))
        + f"\n  evidence {outcome.evidence_dir}"
        + "\n  The gateway keeps the revoked key out; a new key on the card opens access again."
    )
    _print(args, {"revoked": ended, "supplier": supplier["name"], **outcome.as_dict()}, text)
    return outcome.exit_code


def _export_files(work: Path, municipality: Municipality, supplier: dict, handover_password: str | None) -> dict:
    """{file name: content} for every gateway fetched into ``work``. Every value read from a
    gateway is checked first (gateway_state), so a hostile gateway stops the export before any
    file is written."""
    files = {}
    for directory in sorted(p for p in work.iterdir() if p.is_dir()):
        state = GatewayState(directory)
        handover = state.handover()
        access, gateway_ts = state.supplier(supplier["name"])
        if handover_password is not None:
            psk = state.preshared_key()
            files.update(wireguard_files(municipality.name, supplier, handover, access, psk, handover_password))
        else:
            files.update(ipsec_files(municipality.name, supplier, handover, access, gateway_ts))
    return files


def _handover_password(args) -> str:
    if not args.handover_password_file:
        raise LandingzoneError(
            "vpn export: --handover-password-file: the preshared key is vault-encrypted under a password the "
            "supplier receives by another channel; give it in a file"
        )
    password = Path(args.handover_password_file).read_text().splitlines()
    if not password or not password[0]:
        raise LandingzoneError(f"{args.handover_password_file}: --handover-password-file: the file is empty")
    return password[0]


def cmd_export(args) -> int:
    root = collection_root()
    password = read_password(args.vault_password_file)
    fleet, municipality, supplier = _municipality_and_supplier(args, root, password)
    wireguard = supplier["vpn"]["protocol"] == "wireguard"
    handover_password = _handover_password(args) if wireguard else None
    output = Path(args.output) if args.output else fleet / ".landingzone" / "exports" / municipality.name
    output = output / supplier["name"]
    work = Path(tempfile.mkdtemp(prefix="vpn-export-"))  # mode 0700: the fetched preshared key lands here
    try:
        extra = {"vpn_gateway_export_supplier": supplier["name"], "vpn_gateway_export_dir": str(work)}
        outcome = _run(root, fleet, municipality, EXPORT, extra, password)
        if not outcome.finished:
            problem = f"vpn export: the gateways could not be read: {outcome.message}"
            raise LandingzoneError(problem, exit_codes.NOT_FINISHED)
        files = _export_files(work, municipality, supplier, handover_password)
        output.mkdir(parents=True, exist_ok=True)
        written = []
        for name, content in files.items():
            path = output / name
            path.write_text(content)
            written.append(str(path))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _print(args, {"supplier": supplier["name"], "files": written}, "\n".join(["written:", *written]))
    return exit_codes.COMPLIANT


def _print(args, data, text: str) -> None:
    print(json.dumps(data, indent=2, sort_keys=True) if args.json else text)


def add_vpn_parser(add) -> None:
    """The `vpn` command group; ``add`` makes a subcommand parser with the common options."""
    vpn = add("vpn", help="a supplier's VPN access: export its configuration, or revoke it now")
    actions = vpn.add_subparsers(dest="action", required=True)
    revoke = actions.add_parser("revoke", help="end a supplier's access now")
    export = actions.add_parser("export", help="write the supplier's side of its tunnel (no gateway secret)")
    for parser in (revoke, export):
        parser.add_argument("municipality", metavar="MUNICIPALITY")
        parser.add_argument("supplier", metavar="SUPPLIER")
    export.add_argument("--output", metavar="DIR", help="where to write (default: <fleet>/.landingzone/exports/)")
    export.add_argument(
        "--handover-password-file",
        metavar="FILE",
        help="password the preshared key is vault-encrypted under, given to the supplier by another channel",
    )
    revoke.set_defaults(func=cmd_revoke)
    export.set_defaults(func=cmd_export)


__all__ = ["add_vpn_parser", "cmd_export", "cmd_revoke"]
