"""`landingzone evidence ...` and `landingzone pki evidence-key`: commands for auditors and for the key they check.

`evidence verify` needs the fleet CA's public certificate and nothing else: no vault, no
inventory, no host. Exit codes: 0 every run verified, 1 a check failed, 2 bad input.
"""

import argparse
import json
from pathlib import Path

from landingzone.errors import LandingzoneError
from landingzone.evidence.archive import archive, archive_target
from landingzone.evidence.document import check_document
from landingzone.evidence.verify import CHECKS, load_ca, run_directories, verify_run
from landingzone.evidence.write import RESULTS_FILE
from landingzone.fleet_evidence_key import FleetEvidenceKey
from landingzone.paths import collection_root
from landingzone.runner import exit_codes

CA_HELP = "the fleet CA certificate the signatures must chain to (default: the fleet's pki/ca.crt)"


def _fleet(args) -> Path:
    return Path(args.fleet).resolve() if args.fleet else collection_root() / "inventories"


def resolve_runs(args, targets: list[str]) -> list[Path]:
    """Each target is a directory (a run, or a tree of runs) or a run of the fleet's evidence:
    IDENT or MUNICIPALITY/IDENT. Only the latter needs a fleet (and so a checkout): an auditor
    with a copy of the evidence and the CA certificate needs neither."""
    runs: list[Path] = []
    for target in targets:
        path = Path(target)
        if path.is_dir():
            found = run_directories(path)
        else:
            evidence = _fleet(args) / "evidence"
            pattern = target if "/" in target else f"*/{target}"
            found = sorted(p for p in evidence.glob(pattern) if p.is_dir()) if evidence.is_dir() else []
        if not found:
            raise LandingzoneError(f"{target}: neither a run directory nor a run of the fleet's evidence")
        runs += [run for run in found if run not in runs]
    return runs


def _ca_path(args) -> Path:
    if args.ca:
        return Path(args.ca)
    default = _fleet(args) / "pki" / "ca.crt"
    if not default.exists():
        raise LandingzoneError(f"{default}: --ca: give the fleet CA certificate the evidence must be signed under")
    return default


def cmd_verify(args) -> int:
    ca = load_ca(_ca_path(args))
    results = [verify_run(run, ca) for run in resolve_runs(args, args.targets)]
    code = exit_codes.COMPLIANT if all(r.verified for r in results) else exit_codes.NON_COMPLIANT
    if args.json:
        print(json.dumps({"verified": code == 0, "runs": [r.as_dict() for r in results]}, indent=2))
        return code
    width = max(map(len, CHECKS))
    for result in results:
        print(f"{result.run_dir}: {'VERIFIED' if result.verified else 'NOT VERIFIED'}")
        for verdict in result.verdicts:
            print(f"  {verdict.check:<{width}}  {'pass' if verdict.passed else 'FAIL'}  {verdict.detail}")
    verified = sum(r.verified for r in results)
    print(f"{verified} of {len(results)} runs verified")
    return code


def _write_oscal(model, out: str | None, what: str) -> None:
    text = model.oscal_serialize_json(pretty=True) + "\n"
    if out is None:
        print(text, end="")
        return
    Path(out).write_text(text, encoding="utf-8")
    print(f"{what}: {out}")


def cmd_component_definition(args) -> int:
    # trestle takes a second to import: only the OSCAL commands load it.
    from landingzone.evidence.oscal_component import component_definition
    from landingzone.runner.metadata import collection_version

    root = collection_root()
    _write_oscal(component_definition(root, collection_version(root)), args.out, "OSCAL component definition")
    return exit_codes.COMPLIANT


def cmd_assessment_results(args) -> int:
    from landingzone.evidence.oscal_results import assessment_results

    runs = resolve_runs(args, [args.target])
    if len(runs) != 1:
        raise LandingzoneError(f"{args.target}: evidence assessment-results: names {len(runs)} runs; name one")
    results = runs[0] / RESULTS_FILE
    try:
        document = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LandingzoneError(f"{results}: cannot be read: {exc}") from None
    check_document(document)
    _write_oscal(assessment_results(document, runs[0]), args.out, "OSCAL assessment results")
    return exit_codes.COMPLIANT


def cmd_archive(args) -> int:
    fleet = _fleet(args)
    cacert = Path(args.cacert) if args.cacert else fleet / "pki" / "ca.crt"
    target = archive_target(args.repository, args.rest_user, args.rest_password_file, args.password_file, cacert)
    snapshots = {name: archive(fleet / "evidence", name, target) for name in args.municipalities}
    text = "\n".join(f"{name}: snapshot {snapshot} in {args.repository}" for name, snapshot in snapshots.items())
    print(json.dumps({"snapshots": snapshots}, indent=2) if args.json else text)
    return exit_codes.COMPLIANT


def cmd_evidence_key(args) -> int:
    from landingzone.cli import _required_password  # the CLI imports this module: import when called

    password = _required_password(args)
    key = FleetEvidenceKey(_fleet(args))
    cert = key.issue(password, renew=args.renew)
    data = {"cert": str(cert), "key": str(key.key_path)}
    print(json.dumps(data, indent=2) if args.json else f"evidence-signing key: {cert} (key {key.key_path})")
    return exit_codes.COMPLIANT


def _output_options(parser: argparse.ArgumentParser) -> None:
    # Also after the action; SUPPRESS keeps a value given before the command.
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print machine-readable JSON")
    parser.add_argument("--fleet", metavar="DIR", default=argparse.SUPPRESS, help="the fleet (for RUN and the CA)")


def add_evidence_parser(add) -> None:
    """The `evidence` command group; ``add`` makes a subcommand parser with the common options."""
    evidence = add("evidence", help="check and export a run's evidence (for auditors)")
    actions = evidence.add_subparsers(dest="action", required=True)
    verify = actions.add_parser("verify", help="check signature, files, schema and rendering of runs")
    verify.add_argument("targets", nargs="+", metavar="DIR|RUN", help="a run directory, a tree of runs, or a run ident")
    verify.add_argument("--ca", metavar="FILE", help=CA_HELP)
    _output_options(verify)
    verify.set_defaults(func=cmd_verify)
    component = actions.add_parser("component-definition", help="the control catalogs as an OSCAL component definition")
    component.add_argument("--out", metavar="FILE", help="write it here (default: standard output)")
    component.set_defaults(func=cmd_component_definition)
    results = actions.add_parser("assessment-results", help="one run as OSCAL assessment results")
    results.add_argument("target", metavar="DIR|RUN", help="a run directory or a run ident of the fleet")
    results.add_argument("--out", metavar="FILE", help="write it here (default: standard output)")
    _output_options(results)
    results.set_defaults(func=cmd_assessment_results)
    copy = actions.add_parser("archive", help="copy municipalities' evidence to an append-only restic repository")
    copy.add_argument("municipalities", nargs="+", metavar="MUNICIPALITY")
    copy.add_argument(
        "--repository", required=True, metavar="URL", help="rest:https://HOST:PORT/PATH/ (no credentials)"
    )
    copy.add_argument("--rest-user", required=True, metavar="USER", help="the REST server's user for the evidence")
    copy.add_argument("--rest-password-file", required=True, metavar="FILE", help="that user's REST password")
    copy.add_argument("--password-file", required=True, metavar="FILE", help="the repository's password")
    copy.add_argument("--cacert", metavar="FILE", help="the CA of the backup server (default: the fleet's pki/ca.crt)")
    _output_options(copy)
    copy.set_defaults(func=cmd_archive)


def add_evidence_key_parser(pki_actions) -> None:
    """`landingzone pki evidence-key`: the fleet's evidence-signing certificate and key."""
    key = pki_actions.add_parser("evidence-key", help="issue the key every run's evidence is signed with (once)")
    key.add_argument("--renew", action="store_true", help="replace the key (old runs keep verifying)")
    key.set_defaults(func=cmd_evidence_key)
