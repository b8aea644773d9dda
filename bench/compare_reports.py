"""Compare two report.json files, ignoring when they were generated: the check that a
change to how the report is computed changed no number or word of it.

    .venv/bin/python bench/compare_reports.py BEFORE/report.json AFTER/report.json

Exit status 0 when the reports are the same, 1 (and the first differences) when not.
Make BEFORE with the code before the change (`git stash` or a worktree) on the same
database, e.g. a seeded `bench/gen_telegram.py` export imported with `qunyun import`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

IGNORED = {"generated_at"}
SHOWN = 20


def differences(a: Any, b: Any, path: str = "$") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b), key=str):
            if path == "$" and key in IGNORED:
                continue
            if key not in a or key not in b:
                out.append(f"{path}.{key}: only in {'after' if key not in a else 'before'}")
            else:
                out.extend(differences(a[key], b[key], f"{path}.{key}"))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items before, {len(b)} after"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} before, {b!r} after"]


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in sys.argv[1:])
    found = differences(before, after)
    if not found:
        print("same report (generated_at aside)")
        return
    print(f"{len(found)} difference(s):")
    for line in found[:SHOWN]:
        print(" ", line)
    raise SystemExit(1)


if __name__ == "__main__":
    main()
