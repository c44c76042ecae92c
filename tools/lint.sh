#!/bin/bash
# The linters of the collection: `make lint` runs them all, and `make test` runs each beside the
# other tests (tests/integration/test_lint_clean.py), so that both check exactly the same.
#   tools/lint.sh [ruff|format|yaml|ansible]...   (none: all four)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON_TREES=(src tests tools plugins molecule benchmarks)
[ $# -gt 0 ] || set -- ruff format yaml ansible
for linter in "$@"; do
    case "$linter" in
        ruff) ruff check "${PYTHON_TREES[@]}" ;;
        format) ruff format --check "${PYTHON_TREES[@]}" ;;
        yaml) yamllint --strict . ;;
        ansible) ansible-lint --offline ;;
        *) echo "tools/lint.sh: unknown linter '$linter' (ruff, format, yaml, ansible)" >&2; exit 2 ;;
    esac
done
