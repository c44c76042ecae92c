#!/usr/bin/env bash
# Compiles requirements/lock.txt: every Python package setup and CI install, transitive ones
# included, each with its exact version and hashes, from the direct pins of pyproject.toml,
# requirements/build.in and the bounds in requirements/constraints.txt. Setup installs only
# from the lock, so a new upstream release never changes a run; run `make lock` after editing
# any of those three files, and commit the lock with them.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/uv ] || { echo "lock: .venv/bin/uv is missing: run 'make setup' first" >&2; exit 2; }
.venv/bin/uv pip compile pyproject.toml requirements/build.in \
    --extra dev \
    --constraint requirements/constraints.txt \
    --generate-hashes \
    --universal \
    --python-version 3.12 \
    --custom-compile-command "make lock" \
    --quiet \
    --output-file requirements/lock.txt
echo "lock: requirements/lock.txt written ($(grep -c '^[A-Za-z0-9].*==' requirements/lock.txt) packages)"
