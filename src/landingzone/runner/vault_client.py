#!/usr/bin/env python3
"""Vault password script for ansible-playbook's --vault-id: prints the password.

It reads LANDINGZONE_VAULT_PASSWORD_FILE (a file whose first line is the
password) or else LANDINGZONE_VAULT_PASSWORD. The landingzone runner gives the
ansible process only the path of a private, short-lived file, because the job's
environment is written to the run's artifacts. Standard library only: ansible
runs it with whatever python3 is first on PATH.
"""

import os
import sys


def read_password(environ=os.environ) -> str:
    path = environ.get("LANDINGZONE_VAULT_PASSWORD_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().rstrip("\r\n")
    password = environ.get("LANDINGZONE_VAULT_PASSWORD")
    if password:
        return password
    raise LookupError("set LANDINGZONE_VAULT_PASSWORD_FILE or LANDINGZONE_VAULT_PASSWORD")


def main() -> int:
    try:
        password = read_password()
    except (OSError, LookupError) as exc:
        print(f"vault_client: {exc}", file=sys.stderr)
        return 1
    if not password:
        print("vault_client: the vault password is empty", file=sys.stderr)
        return 1
    sys.stdout.write(password + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
