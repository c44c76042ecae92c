"""Writing generated files, or with --check only saying which are out of date.

Shared by the generators in tools/ (role defaults and README tables, the catalog
pages, the execution environment), so that each only says what to generate.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


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


def page_main(argv, description, build, target, rerun, refused=()):
    """The command line of a generator of one page from the checkout: --check and --root.

    `build(root)` returns the page; an exception of a `refused` type is a data error, printed,
    exit 2, so that a broken source file is never mistaken for a stale page (exit 1).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="only report whether the page is out of date")
    parser.add_argument("--root", type=Path, default=REPO, help="the checkout (tests point it elsewhere)")
    args = parser.parse_args(argv)
    try:
        page = build(args.root)
    except refused as exc:
        print(exc, file=sys.stderr)
        return 2
    return sync({args.root / target: page}, args.check, rerun)
