"""The stock-server scenario (molecule/linux_baseline_stock) at the levels and on the Debian
release `make test` leaves out: it runs Debian 12 at essential; these run Debian 12 at
basic and important and Debian 13 at every level. Slow: `make test-slow` runs them, one
scenario at a time (`/work/heavy --lock molecule-linux_baseline_stock` on a shared machine)."""

from pathlib import Path

import pytest
from molecule_scenarios import run_scenario

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = [
    ("bookworm", "basic"),
    ("bookworm", "important"),
    ("trixie", "basic"),
    ("trixie", "important"),
    ("trixie", "essential"),
]


@pytest.mark.molecule
@pytest.mark.slow
@pytest.mark.parametrize(("suite", "level"), VARIANTS, ids=[f"{s}-{lv}" for s, lv in VARIANTS])
def test_stock_scenario(suite, level, tmp_path):
    log = tmp_path / f"molecule-stock-{suite}-{level}.log"
    code, tail = run_scenario(ROOT, ROOT, "linux_baseline_stock", log, LZ_STOCK_SUITE=suite, LZ_STOCK_LEVEL=level)
    if code != 0:
        pytest.fail(f"stock scenario on {suite} at {level} failed (exit {code}):\n" + tail)
