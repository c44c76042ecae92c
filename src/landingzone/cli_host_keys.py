"""`landingzone host-keys init|enroll|revoke|show`: which SSH host keys a municipality trusts."""

import json
from pathlib import Path

from landingzone.errors import LandingzoneError
from landingzone.fleet_host_keys import MunicipalitySshCA, enroll
from landingzone.paths import collection_root, fleet_directory
from landingzone.runner import exit_codes
from landingzone.runner.vault import read_password


def _password(args) -> str:
    password = read_password(args.vault_password_file)
    if password is None:
        raise LandingzoneError(
            f"host-keys {args.action}: --vault-password-file: the SSH host CA's key lives under the vault; give the "
            "vault password (--vault-password-file, LANDINGZONE_VAULT_PASSWORD_FILE or LANDINGZONE_VAULT_PASSWORD)"
        )
    return password


def _print(args, data: dict, lines: list[str]) -> None:
    print(json.dumps(data, indent=2, sort_keys=True) if args.json else "\n".join(lines))


def _show_lines(shown: dict) -> list[str]:
    if not shown["exists"]:
        return [f"{shown['known_hosts']}: does not exist: this municipality trusts no host key"]
    lines = [f"trust: {shown['known_hosts']}"]
    lines += [f"  SSH host CA  {a['fingerprint']}  {a['comment']}" for a in shown["authorities"]]
    lines += [
        f"  host         {h['host']:<20} key {h['key']}  names {', '.join(h['names'])}  expires {h['expires']}"
        for h in shown["hosts"]
    ]
    lines += [f"  revoked key  {r['fingerprint']}  {r['comment']}" for r in shown["revoked"]]
    return lines


def cmd_host_keys(args) -> int:
    root = collection_root()
    fleet = fleet_directory(args.fleet, root)
    ca = MunicipalitySshCA(fleet, args.municipality)
    if args.action == "init":
        ca.init(_password(args))
        shown = ca.show()
        _print(args, shown, [f"created the SSH host CA of {args.municipality} in {ca.directory}", *_show_lines(shown)])
    elif args.action == "enroll":
        if bool(args.fingerprint) == bool(args.public_key):
            raise LandingzoneError("host-keys enroll: give the host's key as --fingerprint or as --public-key")
        enrolled = enroll(
            root,
            fleet,
            args.municipality,
            args.host,
            _password(args),
            expected_fingerprint=args.fingerprint,
            public_key_file=Path(args.public_key) if args.public_key else None,
            address=args.address,
        )
        lines = [f"enrolled {args.host}: key {enrolled['key']}, names {', '.join(enrolled['names'])}"]
        if enrolled["revoked"]:
            lines.append(f"revoked its previous key {enrolled['revoked']}")
        _print(args, enrolled, lines)
    elif args.action == "revoke":
        key = ca.revoke(args.host)
        _print(args, {"host": args.host, "revoked": key}, [f"revoked {args.host}'s key: runs refuse it from now on"])
    else:
        shown = ca.show()
        _print(args, shown, _show_lines(shown))
    return exit_codes.COMPLIANT


def add_host_keys_parser(add) -> None:
    parser = add(
        "host-keys",
        help="the SSH host keys a municipality trusts: its SSH host CA, enrolled hosts, revoked keys",
        description=(
            "Every run checks each host's SSH key against <fleet>/<municipality>/known_hosts: a host must "
            "present a certificate of the municipality's SSH host CA, for its own name. A lab's hosts are "
            "certified by `landingzone lab up`; a fleet's are enrolled once with a fingerprint read on the "
            "host's console. See docs/host-keys.md."
        ),
    )
    actions = parser.add_subparsers(dest="action", required=True)
    init = actions.add_parser("init", help="create the municipality's SSH host CA and its known_hosts (once)")
    enroll_parser = actions.add_parser(
        "enroll", help="certify a host's key, checked against the fingerprint read on its console"
    )
    enroll_parser.add_argument("--fingerprint", metavar="SHA256:…", help="of its ed25519 host key, from its console")
    enroll_parser.add_argument("--public-key", metavar="FILE", help="its ed25519 host public key, from its installer")
    enroll_parser.add_argument("--address", metavar="ADDRESS", help="where its sshd listens (default: the inventory's)")
    revoke = actions.add_parser("revoke", help="revoke a host's certified key (a host retired or compromised)")
    show = actions.add_parser("show", help="what the municipality's runs trust")
    for action in (init, enroll_parser, revoke, show):
        action.add_argument("municipality", metavar="MUNICIPALITY")
    for action in (enroll_parser, revoke):
        action.add_argument("host", metavar="HOST", help="the host's name in the inventory")
    parser.set_defaults(func=cmd_host_keys)
