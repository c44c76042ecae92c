"""Keep the last N runner artifact directories of a municipality; never touch evidence.

Runner artifacts (events, fact cache, the job's command) are for debugging and
grow with every run; evidence is what an auditor reads and stays forever. They
live apart, and rotation only ever removes run directories named by an ident,
never a symlink and never anything that is, holds or lies inside the evidence.
"""

import shutil
from pathlib import Path

from landingzone.runner.ident import IDENT_PATTERN, is_ident


def _started(run_dir: Path) -> str:
    match = IDENT_PATTERN.match(run_dir.name)
    return match["started"] if match else ""


def _touches_evidence(path: Path, evidence_root: Path) -> bool:
    resolved = path.resolve()
    return resolved == evidence_root or resolved.is_relative_to(evidence_root) or evidence_root.is_relative_to(resolved)


def rotate_runs(municipality_runs: Path, keep: int, evidence_root: Path) -> list[Path]:
    """Remove all but the newest `keep` run directories; return what was removed."""
    if keep < 1 or not municipality_runs.is_dir():
        return []
    evidence_root = evidence_root.resolve()
    runs = sorted(
        (p for p in municipality_runs.iterdir() if p.is_dir() and not p.is_symlink() and is_ident(p.name)),
        key=lambda p: (_started(p), p.stat().st_mtime),
    )
    removed = []
    for run_dir in runs[:-keep]:
        if _touches_evidence(run_dir, evidence_root):
            continue
        shutil.rmtree(run_dir)
        removed.append(run_dir)
    return removed
