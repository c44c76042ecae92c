"""What the fleet index costs as evidence piles up (a script, not a test).

Every fleet command ends by writing `<fleet>/evidence/index.html`, and the index reads every
stored run of every municipality (evidence is never rotated). This writes one sample run,
copies it to 1, 10, 100 and 400 stored runs, and times `fleet_index` against a reference in
the same run: reading each of those results.json files with json.loads alone.

    .venv/bin/python benchmarks/fleet_index.py [400]
"""

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from evidence_samples import SampleRun  # noqa: E402

from landingzone.evidence import fleet_index, write_evidence  # noqa: E402


def seconds(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main(most: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="lz-index-bench-"))
    try:
        sample = SampleRun()
        first = root / "gemtest" / sample.ident
        write_evidence(first, sample.run(), sample.results())
        size = (first / "results.json").stat().st_size
        print(f"one run: results.json of {size / 1024:.0f} KiB; the index against json.loads of every results.json")
        stored = 1
        for count in sorted({1, 10, 100, most}):
            while stored < count:
                shutil.copytree(first, root / "gemtest" / f"{sample.ident}-{stored}")
                stored += 1
            files = sorted(root.glob("*/*/results.json"))
            reference = seconds(lambda files=files: [json.loads(f.read_text(encoding="utf-8")) for f in files])
            index = seconds(lambda: fleet_index(root))
            print(f"  {count:>5} runs: index {index:7.3f} s, reference {reference:7.3f} s, {index / reference:5.1f} x")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
