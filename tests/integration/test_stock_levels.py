"""The stock-server scenario (molecule/linux_baseline_stock) at the levels `make test` leaves
out: the scenario itself runs at essential (Debian 12 in `make test`, Debian 13 in
`make test-slow`); these run both releases at basic and important. Slow: `make test-slow`
runs them, one scenario at a time, since every case uses the same container names."""

from pathlib import Path

import pytest
from molecule_scenarios import Scenario, run

ROOT = Path(__file__).resolve().parents[2]
PLATFORMS = {"bookworm": "lz-stock-debian12", "trixie": "lz-stock-debian13"}
VARIANTS = [(suite, level) for suite in PLATFORMS for level in ("basic", "important")]


@pytest.mark.molecule
@pytest.mark.slow
@pytest.mark.parametrize(("suite", "level"), VARIANTS, ids=[f"{s}-{lv}" for s, lv in VARIANTS])
def test_stock_scenario(suite, level, tmp_path):
    scenario = Scenario(f"linux_baseline_stock-{suite}-{level}", ROOT, "linux_baseline_stock", PLATFORMS[suite])
    code, tail = run(ROOT, scenario, tmp_path / f"molecule-{scenario.test_id}.log", LZ_STOCK_LEVEL=level)
    if code != 0:
        pytest.fail(f"stock scenario on {suite} at {level} failed (exit {code}):\n" + tail)
