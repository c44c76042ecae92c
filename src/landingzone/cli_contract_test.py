"""`landingzone contract-test ROLE_DIR`: a supplier role held to its contract on a baselined lab host."""

import json
import sys

from landingzone.runner import exit_codes
from landingzone.supplier_role.contract_test import contract_test, read_role_vars


def cmd_contract_test(args) -> int:
    role_vars = read_role_vars(args.vars) if args.vars else {}
    report, workdir = contract_test(
        args.role_dir, role_vars, keep=args.keep, log=lambda line: print(line, file=sys.stderr)
    )
    kept = {"container": report.container, "workdir": str(workdir)} if args.keep else {}
    if args.json:
        print(json.dumps({**report.as_dict(), "kept": kept}, indent=2, sort_keys=True))
    else:
        print("\n".join(report.lines()))
        if kept:
            print(
                f"kept: container {kept['container']} (remove: podman rm -f {kept['container']}), "
                f"playbook logs in {kept['workdir']}"
            )
    return exit_codes.COMPLIANT if report.passed else exit_codes.NON_COMPLIANT


def add_contract_test_parser(add) -> None:
    parser = add(
        "contract-test",
        help="install a supplier role on a baselined lab host and check every clause of its contract",
        description=(
            "Installs the role on a fresh container of the lab image with the baseline applied, then checks "
            "each clause of its meta/landingzone.yml: the baseline still compliant but for waived controls, "
            "the declared ports the only new listeners, the health check, and a backup of the declared data "
            "that restores. Exit 0 when every clause holds, 1 when one fails, 2 on bad input."
        ),
    )
    parser.add_argument("role_dir", metavar="ROLE_DIR", help="the role's directory (it holds meta/landingzone.yml)")
    parser.add_argument(
        "--vars",
        metavar="FILE",
        help="YAML file with the variables an inventory would give the role; landingzone_ca_cert, "
        "landingzone_host_cert and landingzone_host_key hold the lab host's certificate from a throwaway CA",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the role's container and the playbook logs for a look inside"
    )
    parser.set_defaults(func=cmd_contract_test)
