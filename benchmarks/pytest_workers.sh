#!/bin/bash
# Whether two pytest workers shorten make test on this machine (a script, not a test): the same
# heavy tests run with one worker, then with two (-n 2 --dist loadscope), and the wall time,
# the machine's busy CPU seconds and the ratio are printed. Run it on a quiet machine, from the
# checkout, after `make images`:  bash benchmarks/pytest_workers.sh
set -uo pipefail
cd "$(dirname "$0")/.."
TESTS=(
    "tests/integration/test_molecule.py::test_scenario[default]"
    "tests/integration/test_molecule.py::test_scenario[linux_baseline]"
    "tests/integration/test_molecule.py::test_scenario[vpn_gateway]"
    tests/contract/test_supplier_contract.py
    tests/integration/test_lab.py
    tests/integration/test_fleet_runs.py
)
busy_seconds() { awk '/^cpu /{print int(($2+$3+$4+$6+$7+$8)/100)}' /proc/stat; }
# The baselined image the contract tests share is made first, so that neither arm pays for it.
.venv/bin/python -c "from landingzone.supplier_role.contract_test import baselined_image; baselined_image()"
declare -A wall
for workers in 1 2; do
    options=(); [ "$workers" = 2 ] && options=(-n 2 --dist loadscope)
    start=$(date +%s); busy=$(busy_seconds)
    .venv/bin/pytest -q -p no:cacheprovider "${options[@]}" "${TESTS[@]}" >"/tmp/pytest-workers-$workers.log" 2>&1
    rc=$?
    wall[$workers]=$(( $(date +%s) - start ))
    echo "workers=$workers rc=$rc wall=${wall[$workers]}s busy_cpu=$(( $(busy_seconds) - busy ))s log=/tmp/pytest-workers-$workers.log"
done
echo "one worker / two workers: $(awk -v a="${wall[1]}" -v b="${wall[2]}" 'BEGIN{printf "%.2f", a/b}')"
