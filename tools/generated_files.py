"""Writing generated files, or with --check only saying which are out of date.

Shared by the generators in tools/ (role defaults and README tables, the catalog
pages, the execution environment), so that each only says what to generate.
"""

from __future__ import annotations

import sys
from pathlib import Path


def sync(files: dict[Path, str], check: bool, rerun: str) -> int:
    """Rewrite every file whose content differs, or with `check` list them and return 1.

    `rerun` is the command that regenerates them, shown when a check fails.
    """
    stale = [path for path, text in files.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    for path in stale:
        if check:
            print(f"out of date: {path}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
        print(f"rewrote: {path}")
    if check and stale:
        print(f"run: {rerun}", file=sys.stderr)
        return 1
    return 0
