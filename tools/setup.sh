#!/usr/bin/env bash
# Sets up a fresh Debian machine for the landing zone: the Debian packages the
# lab and tests need, a virtualenv with exactly what requirements/lock.txt holds, and
# nothing in /etc (podman reads lab/containers.conf through CONTAINERS_CONF).
# A second run only checks and returns within seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "setup: $*" >&2; exit 2; }

# ---- Debian packages -------------------------------------------------------
# One list, read by this script and nowhere else typed again.
mapfile -t wanted < <(grep -hv '^\s*#' tools/debian-packages.txt lab/vm/host-packages.txt 2>/dev/null | tr -s ' \n' '\n' | sed '/^$/d' | sort -u)
missing=()
for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$pkg")
done
if ((${#missing[@]})); then
    [ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}); run as root or install them: apt-get install ${missing[*]}"
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq || die "apt-get update failed: check that this machine reaches its Debian mirror"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
fi

# ---- a Python >= 3.12 ------------------------------------------------------
python_ok() { "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }

if [ -x .venv/bin/python ] && python_ok .venv/bin/python; then
    :
else
    python=$(tools/find-python.sh) || exit 2
    echo "setup: creating .venv with $python"
    rm -rf .venv
    "$python" -m venv .venv || die "$python -m venv failed: install that Python's venv module"
fi

# ---- the pins ---------------------------------------------------------------
# Everything comes from requirements/lock.txt, transitive packages included, each checked
# against its hashes; the landingzone package itself is then linked in without resolving
# anything. Reinstall only when the lock or pyproject.toml changed since the last install.
stamp=.venv/.landingzone-pins
want=$(cat requirements/lock.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing the locked Python packages"
    .venv/bin/pip install --quiet --disable-pip-version-check --no-compile --require-hashes \
        -r requirements/lock.txt \
        || die "pip install -r requirements/lock.txt failed (see above)"
    .venv/bin/pip install --quiet --disable-pip-version-check --no-compile --no-deps --no-build-isolation -e . \
        || die "pip install -e . failed (see above)"
    .venv/bin/pip check >/dev/null || die "the installed packages do not fit together: $(.venv/bin/pip check)"
    echo "$want" > "$stamp"
fi

# ---- podman ----------------------------------------------------------------
CONTAINERS_CONF="$PWD/lab/containers.conf" podman info >/dev/null 2>&1 \
    || die "podman does not work with lab/containers.conf: run 'CONTAINERS_CONF=$PWD/lab/containers.conf podman info' to see why"

echo "setup: ready (.venv with $(.venv/bin/python --version), $(podman --version))"
