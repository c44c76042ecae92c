"""One apt-get install and one apt-get purge for every package control of the run."""

from __future__ import annotations

APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}
# Keep configuration files this run (or an administrator) wrote over the package's own.
APT_OPTIONS = ["-y", "-q", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"]
NO_LISTS_HINTS = ("Unable to locate package", "has no installation candidate", "No packages found")


def install_packages(tx):
    ctx = tx.ctx
    wanted = sorted(tx.packages["present"])
    if wanted:
        argv = ["apt-get", "install", "--no-install-recommends", *APT_OPTIONS, *wanted]
        result = ctx.run(argv, env=APT_ENV)
        if not result.ok and any(hint in result.stderr + result.stdout for hint in NO_LISTS_HINTS):
            # A fresh image often has no package lists yet; update once, then retry.
            update = ctx.run(["apt-get", "update", "-q"], env=APT_ENV)
            result = ctx.run(argv, env=APT_ENV) if update.ok else update
        _record(tx, "present", result, "apt-get install")
    unwanted = sorted(tx.packages["absent"])
    if unwanted:
        result = ctx.run(["apt-get", "purge", *APT_OPTIONS, *unwanted], env=APT_ENV)
        _record(tx, "absent", result, "apt-get purge")


def _record(tx, state, result, what):
    if result.ok:
        return
    for control_ids in tx.packages[state].values():
        for control_id in control_ids:
            tx.package_errors[control_id] = f"{what} failed: {result.message()}"
