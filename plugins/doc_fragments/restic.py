# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""Where restic finds a repository and how it gets in: the options every restic module shares
(module_utils/_restic.py CONNECTION_ARGUMENT_SPEC), documented once."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  repository:
    description:
      - The repository, as restic writes it (a local path, C(rest:https://user:password@host:port/user/),
        C(s3:https://endpoint/bucket/prefix)).
      - Treated as a secret because a REST URL carries credentials; it reaches restic through its
        environment only, and a result names it without its credentials.
    type: str
    required: true
  password:
    description: The repository password (from the vault). It reaches restic through its environment only.
    type: str
    required: true
  cacert:
    description: A PEM file of the CA to trust for a TLS server, instead of the system's (certificate pinning).
    type: path
  environment:
    description: Extra environment for restic, for example C(AWS_ACCESS_KEY_ID) and C(AWS_SECRET_ACCESS_KEY).
    type: dict
    default: {}
  cache_dir:
    description: restic's cache directory. Without it restic runs with C(--no-cache).
    type: path
  run_as:
    description:
      - Run restic as this local account, so that the files of a local repository belong to it (the backup
        server's REST service account).
      - Restored files then belong to that account too, unless it is root.
    type: str
  timeout:
    description: Seconds restic may take for each call.
    type: int
    default: 3600
attributes:
  platform:
    description: Any host with restic installed.
    platforms: posix
    support: full
"""
