#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 (ansible-core 2.21 needs it on the
# controller): from PATH first, then from pyenv. Exits 2 with a message saying
# what to install when there is none.
set -uo pipefail

python_ok() { "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }

for candidate in python3.14 python3.13 python3.12 python3; do
    path=$(command -v "$candidate") && python_ok "$path" && { echo "$path"; exit 0; }
done
if command -v pyenv >/dev/null; then
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])(\.[0-9]+)?$' | sort -rV); do
        path="$(pyenv prefix "$version" 2>/dev/null)/bin/python3"
        [ -x "$path" ] && python_ok "$path" && { echo "$path"; exit 0; }
    done
fi
echo "setup: no Python >= 3.12 found on PATH or through pyenv (ansible-core 2.21 needs it on the controller): install one, e.g. 'apt-get install python3.12' on a newer Debian or 'pyenv install 3.13', then run 'make setup' again" >&2
exit 2
