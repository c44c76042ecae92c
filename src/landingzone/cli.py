"""`landingzone`: the operator's command line."""

import argparse
import datetime
import functools
import json
import sys
from pathlib import Path

from landingzone import __version__
from landingzone.card import new_municipality
from landingzone.cli_contract_test import add_contract_test_parser
from landingzone.cli_host_keys import add_host_keys_parser
from landingzone.drill import run_drill_all, run_drills, services_to_drill
from landingzone.drill_plan import plan_all
from landingzone.drill_source import describe_source, restore_source
from landingzone.drill_summary import split_records, summary_lines, workplace_record
from landingzone.drill_workplace import has_workplace, prepare_workplace_drill, run_workplace_drill
from landingzone.errors import LandingzoneError
from landingzone.evidence import fleet_index, render_evidence
from landingzone.evidence.commands import add_evidence_key_parser, add_evidence_parser
from landingzone.evidence.signature import is_signed
from landingzone.fleet_evidence_key import FleetEvidenceKey
from landingzone.fleet_inputs import fleet_municipalities, load_municipalities, select, with_hosts
from landingzone.fleet_pki import PURPOSES
from landingzone.inventory import inventory_groups
from landingzone.lab import municipality_lab
from landingzone.lab.images import ensure_images
from landingzone.lab.stock_images import ensure_stock_images
from landingzone.municipality_ca import add_municipality_ca_parser, municipality_ca
from landingzone.paths import collection_root, fleet_directory
from landingzone.runner import exit_codes
from landingzone.runner.fleet import run_fleet
from landingzone.runner.job import RUN_KINDS, FleetSettings, Outcome
from landingzone.runner.progress import ProgressBoard
from landingzone.runner.stop import stop_on_signals, stopping_signal
from landingzone.runner.vars_file import render_vars
from landingzone.runner.vault import password_file_for_jobs, read_password
from landingzone.supplier_role import ContractError
from landingzone.supplier_role.scaffold import new_supplier_role
from landingzone.vpn.commands import add_vpn_parser
from landingzone.workplace_command import add_workplace_parser

DEFAULT_PARALLEL = 2
DEFAULT_KEEP_RUNS = 10


def _fleet(args, root: Path) -> Path:
    return fleet_directory(args.fleet, root)


def _print(args, data, text: str) -> None:
    print(json.dumps(data, indent=2, sort_keys=True) if args.json else text)


def cmd_lab(args) -> int:
    root = collection_root()
    if args.action == "images":
        ensure_images(root)
        ensure_stock_images(root)
        return 0
    if args.action == "up":
        municipality_lab.up(root, _fleet(args, root), args.municipality)
        args.action = "status"
    if args.action == "down":
        municipality_lab.down(root, args.municipality, fleet=_fleet(args, root))
        return 0
    rows = municipality_lab.status(root, _fleet(args, root), args.municipality)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'host':<16} {'address':<15} {'container':<10} {'systemd':<10} {'sshd':<9} operator ssh")
        for row in rows:
            print(
                f"{row['host']:<16} {row['address']:<15} {row['container']:<10} {row['systemd']:<10} "
                f"{row['sshd']:<9} {'yes' if row['operator_ssh'] else 'NO'}"
            )
        for row in rows:
            if row.get("failed_units"):
                print(f"{row['host']}: systemd is degraded by failed units: {', '.join(row['failed_units'])}")
    return 0 if all(r["operator_ssh"] for r in rows) else 3


def _selected(args, root: Path, password: str | None):
    fleet = _fleet(args, root)
    names = select(fleet, args.municipalities, args.all)
    return fleet, load_municipalities(root, fleet, names, args.limit, password)


def cmd_validate(args) -> int:
    root = collection_root()
    password = read_password(args.vault_password_file)
    _, municipalities = _selected(args, root, password)
    rows = [{"municipality": m.name, "nis_code": m.nis_code, "hosts": m.hosts} for m in municipalities]
    text = "\n".join(f"{r['municipality']} ({r['nis_code']}): valid, {len(r['hosts'])} hosts" for r in rows)
    _print(args, {"valid": True, "municipalities": rows}, text)
    return exit_codes.COMPLIANT


def _describe(outcome: Outcome) -> str:
    reached = sum(1 for h in outcome.hosts.values() if h["reachable"])
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(outcome.statuses.items())) or "no control results"
    line = f"  {outcome.municipality:<20} exit {outcome.exit_code}  hosts reached {reached}/{len(outcome.hosts)}"
    line += f"  controls: {statuses}"
    if outcome.message:
        line += f"\n  {'':<20} {outcome.message}"
    if outcome.evidence_dir:
        line += f"\n  {'':<20} evidence {outcome.evidence_dir}"
    return line


def cmd_run(args) -> int:
    """plan, apply and audit: the same fleet run with another playbook."""
    root = collection_root()
    kind = RUN_KINDS[args.command]
    password = read_password(args.vault_password_file)
    fleet, municipalities = _selected(args, root, password)
    municipalities = with_hosts(municipalities, args.limit)
    board = ProgressBoard()
    with password_file_for_jobs(password) as password_file, stop_on_signals():
        settings = FleetSettings.for_command(
            root, fleet, password, password_file, limit=args.limit, keep_runs=args.keep_runs
        )
        outcomes = run_fleet(municipalities, kind, settings, args.parallel, board.update)
        stopped_by = stopping_signal()
    index = fleet_index(settings.evidence_root)
    # Stopped by a signal: the shell's convention, 128 + its number (130 for Ctrl-C).
    code = 128 + stopped_by if stopped_by else exit_codes.highest(o.exit_code for o in outcomes)
    unfinished = [o.municipality for o in outcomes if not o.finished]
    summary = {
        "command": kind.name,
        "exit_code": code,
        "municipalities": [o.as_dict() for o in outcomes],
        "did_not_finish": unfinished,
        "fleet_index": str(index),
    }
    lines = [f"{kind.name}: {len(outcomes) - len(unfinished)} of {len(outcomes)} municipalities finished"]
    lines += [_describe(o) for o in outcomes]
    if unfinished:
        lines.append("did not finish: " + ", ".join(unfinished))
    lines.append(f"fleet index: {index}")
    _print(args, summary, "\n".join(lines))
    return code


def cmd_drill(args) -> int:
    root = collection_root()
    password = read_password(args.vault_password_file)
    fleet = _fleet(args, root)
    (municipality,) = load_municipalities(root, fleet, select(fleet, [args.municipality], False), None, password)
    card_path = municipality.inventory_dir / "municipality.yml"
    groups = inventory_groups(municipality.inventory_dir / "hosts.yml")
    if args.workplace and (args.from_offsite or args.as_of):
        raise LandingzoneError("--from-offsite, --as-of: the workplace drill restores nothing", exit_code=2)
    services = []
    if args.all:
        lab = municipality_lab.load_lab(root, fleet, municipality.name)
        plan = plan_all(
            municipality.name,
            municipality.role_vars,
            [host.name for host in lab.hosts],
            card_path,
            municipality.inventory_dir / "hosts.yml",
            groups,
        )
        services = plan.services
    elif not args.workplace:
        services = services_to_drill(municipality, args.service, card_path)
    now = datetime.datetime.now(datetime.UTC)
    source = restore_source(municipality.role_vars, args.from_offsite, args.as_of, card_path, now)
    # The whole municipality includes its workplace when the card has one; planned before any host starts.
    workplace = None
    if args.workplace or (args.all and has_workplace(municipality.role_vars)):
        workplace = prepare_workplace_drill(root, fleet, municipality, password, card_path, groups)
    board = ProgressBoard()
    outcomes = []
    with password_file_for_jobs(password) as password_file:
        settings = FleetSettings.for_command(root, fleet, password, password_file, keep_runs=args.keep_runs)
        if args.all:
            outcomes = [run_drill_all(root, fleet, municipality, plan, settings, board.update, source)]
        elif services:
            outcomes = run_drills(root, fleet, municipality, services, settings, board.update, source)
        # After the services, not beside them: desks serve people once the services are back, and
        # on the same machines the two would share CPU and each time would say less.
        if workplace is not None:
            outcomes.append(run_workplace_drill(root, fleet, municipality, *workplace, settings, board.update))
    index = fleet_index(settings.evidence_root)
    code = exit_codes.highest(o.exit_code for o in outcomes)
    records = [record for o in outcomes for rs in o.sections.get("drill", {}).values() for record in rs]
    drills, rebuilt, whole_set = split_records(records)
    lines = summary_lines(municipality.name, [service["name"] for service in services], records)
    if services:
        lines[0] += f", restored from {describe_source(source)}"
    else:
        lines[0] = f"drill {municipality.name}: the workplace"
    lines += [_describe(o) for o in outcomes]
    lines.append(f"fleet index: {index}")
    summary = {
        "command": "drill",
        "exit_code": code,
        "source": source,
        "drills": drills,
        **({"set": whole_set, "rebuilt_hosts": rebuilt} if args.all else {}),
        **({"workplace": workplace_record(records)} if workplace is not None else {}),
        "municipalities": [o.as_dict() for o in outcomes],
    }
    _print(args, summary, "\n".join(lines))
    return code


def cmd_report(args) -> int:
    """Re-render every stored run's reports, then the fleet index, from results.json alone."""
    root = collection_root()
    fleet = _fleet(args, root)
    evidence_root = fleet / "evidence"
    names = fleet_municipalities(fleet) if args.all else select(fleet, args.municipalities, False)
    runs = [results.parent for name in names for results in sorted((evidence_root / name).glob("*/results.json"))]
    # Signed runs are signed again (their signature covers the report): only they need the vault.
    signer = None
    if any(is_signed(run) for run in runs):
        signer = FleetEvidenceKey(fleet).signer(read_password(args.vault_password_file))
    rendered = []
    for run in runs:
        render_evidence(run, signer)
        rendered.append(str(run))
    index = fleet_index(evidence_root)
    text = "\n".join([f"re-rendered {len(rendered)} runs", *rendered, f"fleet index: {index}"])
    _print(args, {"rendered": rendered, "fleet_index": str(index)}, text)
    return exit_codes.COMPLIANT


def cmd_card_vars(args) -> int:
    """The role variables a run passes from the card, for schedulers that run the
    playbooks themselves (AWX); vault values stay vault-encrypted."""
    root = collection_root()
    password = read_password(args.vault_password_file)
    (municipality,) = load_municipalities(root, _fleet(args, root), [args.municipality], None, password)
    print(render_vars(municipality.role_vars, municipality.secrets, password), end="")
    return exit_codes.COMPLIANT


def cmd_new_municipality(args) -> int:
    root = collection_root()
    path = new_municipality(_fleet(args, root), args.name, args.nis)
    _print(args, {"municipality": args.name, "path": str(path)}, f"created {path}")
    return exit_codes.COMPLIANT


def cmd_new_supplier_role(args) -> int:
    root = collection_root()
    path = new_supplier_role(args.name, Path(args.path) if args.path else root / "roles", root)
    _print(args, {"role": args.name, "path": str(path)}, f"created {path}")
    return exit_codes.COMPLIANT


def _required_password(args) -> str:
    password = read_password(args.vault_password_file)
    if password is None:
        raise LandingzoneError(
            "pki: --vault-password-file: the fleet CA lives under the vault; give the vault password "
            "(--vault-password-file, LANDINGZONE_VAULT_PASSWORD_FILE or LANDINGZONE_VAULT_PASSWORD)"
        )
    return password


def cmd_pki(args) -> int:
    root = collection_root()
    fleet = _fleet(args, root)
    ca = municipality_ca(fleet, args)
    password = _required_password(args)
    if args.action == "init":
        cert = ca.init(args.common_name, password)
        _print(args, {"ca_cert": str(cert), "ca_key": str(ca.key_path)}, f"fleet CA: {cert} (key {ca.key_path})")
    elif args.action == "municipality-ca":
        cert = ca.init(args.common_name, password)
        _print(args, {"ca_cert": str(cert), "ca_key": str(ca.key_path)}, f"{args.municipality} CA: {cert}")
    else:
        cert, key = ca.issue(args.name, args.purpose, args.san, password)
        _print(args, {"cert": str(cert), "key": str(key)}, f"issued {cert} (key {key})")
    return exit_codes.COMPLIANT


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _add_selection(parser: argparse.ArgumentParser, runs: bool) -> None:
    parser.add_argument("municipalities", nargs="*", metavar="MUNICIPALITY", help="municipalities of the fleet")
    parser.add_argument("--all", action="store_true", help="every municipality of the fleet")
    parser.add_argument("--limit", metavar="PATTERN", help="only these hosts (Ansible's --limit)")
    if runs:
        parser.add_argument(
            "--parallel", type=_positive, default=DEFAULT_PARALLEL, metavar="N", help="municipalities at once"
        )
        parser.add_argument(
            "--keep-runs",
            type=_positive,
            default=DEFAULT_KEEP_RUNS,
            metavar="N",
            help="runner artifact directories kept per municipality (evidence is always kept)",
        )


def _add_common(parser: argparse.ArgumentParser, default) -> None:
    """Options taken before or after the command; after it, `default` is SUPPRESS so a
    value given before the command is not overwritten."""
    parser.add_argument(
        "--fleet",
        metavar="DIR",
        default=default,
        help="the fleet's inventories (default: inventories/ of the checkout)",
    )
    parser.add_argument("--json", action="store_true", default=default, help="print machine-readable JSON")
    parser.add_argument(
        "--vault-password-file",
        metavar="FILE",
        default=default,
        help="the vault password (else LANDINGZONE_VAULT_PASSWORD_FILE or LANDINGZONE_VAULT_PASSWORD)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="landingzone", description=__doc__)
    parser.add_argument("--version", action="version", version=f"landingzone {__version__}")
    _add_common(parser, None)
    common = argparse.ArgumentParser(add_help=False)
    _add_common(common, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)
    add = functools.partial(commands.add_parser, parents=[common])

    validate = add("validate", help="check cards and inventories; no host is touched")
    _add_selection(validate, runs=False)
    validate.set_defaults(func=cmd_validate)
    for name, help_text in (
        ("plan", "show what an apply would change (check mode with diff)"),
        ("apply", "apply the landing zone"),
        ("audit", "evaluate compliance without changing anything; writes evidence"),
    ):
        run = add(name, help=help_text)
        _add_selection(run, runs=True)
        run.set_defaults(func=cmd_run)

    drill = add("drill", help="restore a service onto an empty lab host and time it against its RTO")
    drill.add_argument("municipality", metavar="MUNICIPALITY")
    which = drill.add_mutually_exclusive_group()
    which.add_argument(
        "--service", action="append", default=[], metavar="NAME", help="a service of the card (default: every one)"
    )
    which.add_argument(
        "--all",
        action="store_true",
        help="rebuild every host the tier-1 services need, log collector first, and bring them all back in order; "
        "then the workplace, when the card has one",
    )
    which.add_argument(
        "--workplace",
        action="store_true",
        help="the card's workplace from nothing: empty desks and gateway set up, a real RDP client logged into "
        "every desk, timed against workplace.rto_minutes",
    )
    drill.add_argument(
        "--from-offsite",
        action="store_true",
        help="restore from the offsite Object Lock copy alone, with the vault's recovery credential (the backup "
        "server is not used)",
    )
    drill.add_argument(
        "--as-of",
        metavar="TIME",
        help="with --from-offsite: read the copy as it was at this ISO 8601 time with its zone, before the "
        "incident (default: the latest copy)",
    )
    drill.add_argument(
        "--keep-runs",
        type=_positive,
        default=DEFAULT_KEEP_RUNS,
        metavar="N",
        help="runner artifact directories kept per municipality (evidence is always kept)",
    )
    drill.set_defaults(func=cmd_drill)

    report = add("report", help="re-render reports and the fleet index from stored results")
    report.add_argument("municipalities", nargs="*", metavar="MUNICIPALITY")
    report.add_argument("--all", action="store_true", help="every municipality of the fleet")
    report.set_defaults(func=cmd_report)

    card_vars = add("card-vars", help="print the role variables a run takes from a municipality's card")
    card_vars.add_argument("municipality")
    card_vars.set_defaults(func=cmd_card_vars)

    new = add("new-municipality", help="scaffold a valid card and inventory")
    new.add_argument("name")
    new.add_argument("--nis", required=True, metavar="CODE", help="the municipality's five-digit NIS code")
    new.set_defaults(func=cmd_new_municipality)

    supplier = add("new-supplier-role", help="scaffold a supplier role that keeps the landing zone's contract")
    supplier.add_argument("name", help="the role's name (lowercase, digits, underscores)")
    supplier.add_argument("--path", metavar="DIR", help="where to create it (default: the collection's roles/)")
    supplier.set_defaults(func=cmd_new_supplier_role)
    add_contract_test_parser(add)

    pki = add("pki", help="the fleet's CA, vault-encrypted in the fleet repository")
    pki_actions = pki.add_subparsers(dest="action", required=True)
    init = pki_actions.add_parser("init", help="create the fleet CA (once)")
    init.add_argument("--common-name", default="landingzone fleet CA", metavar="CN")
    add_municipality_ca_parser(pki_actions)
    issue = pki_actions.add_parser("issue", help="issue a certificate for backups, logs, IPsec or a WinRM listener")
    issue.add_argument("name", help="host or service name (the certificate's CN)")
    issue.add_argument("--purpose", required=True, choices=PURPOSES)
    issue.add_argument("--san", action="append", default=[], metavar="NAME", help="DNS name or IP (repeatable)")
    issue.add_argument(
        "--municipality", metavar="NAME", help="issue from this municipality's CA (required for --purpose log)"
    )
    pki.set_defaults(func=cmd_pki)
    add_evidence_key_parser(pki_actions)
    add_evidence_parser(add)

    add_host_keys_parser(add)
    add_vpn_parser(add)
    add_workplace_parser(add)

    lab = add("lab", help="a lab municipality on local containers")
    lab.add_argument("action", choices=["up", "down", "status", "images"])
    lab.add_argument("municipality", nargs="?", default="demo")
    lab.set_defaults(func=cmd_lab)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    # A bad contract is bad input too; its error comes from the collection, which knows no CLI.
    except (LandingzoneError, ContractError) as exc:
        print(f"landingzone: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
