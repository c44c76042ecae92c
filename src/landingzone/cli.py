"""`landingzone`: the operator's command line."""

import argparse
import json
import sys
from pathlib import Path

from landingzone import __version__
from landingzone.errors import LandingzoneError
from landingzone.lab import municipality_lab
from landingzone.lab.images import ensure_images
from landingzone.paths import collection_root


def _fleet(args, root: Path) -> Path:
    return Path(args.fleet).resolve() if args.fleet else root / "inventories"


def cmd_lab(args) -> int:
    root = collection_root()
    if args.action == "images":
        ensure_images(root)
        return 0
    if args.action == "up":
        municipality_lab.up(root, _fleet(args, root), args.municipality)
        args.action = "status"
    if args.action == "down":
        municipality_lab.down(root, args.municipality)
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
    return 0 if all(r["operator_ssh"] for r in rows) else 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="landingzone", description=__doc__)
    parser.add_argument("--version", action="version", version=f"landingzone {__version__}")
    parser.add_argument(
        "--fleet", metavar="DIR", help="the fleet's inventories (default: inventories/ of the checkout)"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    commands = parser.add_subparsers(dest="command", required=True)

    lab = commands.add_parser("lab", help="a lab municipality on local containers")
    lab.add_argument("action", choices=["up", "down", "status", "images"])
    lab.add_argument("municipality", nargs="?", default="demo")
    lab.set_defaults(func=cmd_lab)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LandingzoneError as exc:
        print(f"landingzone: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
