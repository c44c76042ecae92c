#!/usr/bin/env bash
# ansible-test sanity on an installed copy of the collection: the tarball `make build` makes,
# installed with ansible-galaxy into a directory of its own (ansible-test resolves the working
# directory, so the checkout's collections/ symlink will not do). Two runs: every test on Python
# 3.13 (the controller's), then compile and import on Python 3.11 for the module code Debian 12
# runs (tests/config.yml tells ansible-test that module code supports 3.11 and later).
#
# ansible-test keeps one virtualenv per sanity test and Python under ~/.ansible/test/venv. The
# first run creates them, installing their requirements from the package index; later runs
# reuse them and download nothing. ansible-test bootstraps pip into each one with a script it
# would download from a host of its own: tools/sanity_pip_bootstrap.py stands in for it.
#
# Usage: tools/sanity.sh [--prime] [ansible-test sanity options, e.g. --test pylint]
#   --prime  only create the virtualenvs (the one step that needs the package index)
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
bin=$checkout/.venv/bin
die() { echo "sanity: $*" >&2; exit 2; }

[ -x "$bin/ansible-test" ] || die "no .venv/bin/ansible-test: run make setup"
prime=()
if [ "${1:-}" = --prime ]; then
    prime=(--prime-venvs)
    shift
fi
for version in 3.13 3.11; do
    command -v "python$version" >/dev/null || die "python$version is not on PATH (pyenv install $version, or Debian's python$version)"
done

# The pip version ansible-test bootstraps, so the stand-in sits where it looks for it.
pip_version=$("$bin/python" -c '
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(type("Python", (), {"version": "3.13"})())["pip"])')
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
install -m 0644 tools/sanity_pip_bootstrap.py "$cache/get_pip_${pip_version//./_}.py"

work=$(mktemp -d "${TMPDIR:-/tmp}/lz-sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bin/ansible-galaxy" collection build --force --output-path "$work" . >/dev/null
# From the work directory: the checkout's ansible.cfg would make the collection look installed.
(cd "$work" && "$bin/ansible-galaxy" collection install --offline --no-deps -p "$work" \
    "$work"/cyberveilig-landingzone-*.tar.gz >/dev/null)

cd "$work/ansible_collections/cyberveilig/landingzone"
export PATH="$bin:$PATH"
status=0
echo "sanity: every test, on Python 3.13 (the controller's)"
ansible-test sanity --color no --python 3.13 "${prime[@]}" "$@" || status=1
# Only compile and import depend on the Python they run on; the others would run again as they were.
echo "sanity: the module code on Python 3.11 (Debian 12's)"
ansible-test sanity --color no --python 3.11 --test compile --test import "${prime[@]}" "$@" || status=1
exit $status
