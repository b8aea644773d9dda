"""The report alone on an existing database: wall time and peak RSS of `qunyun report`,
each run a fresh process (bench/measure.py), for the memory curve in BENCHMARKS.md.

    .venv/bin/python bench/bench_report.py --db sqlite:///bench/data/r1m.db --repeat 3
    .venv/bin/python bench/bench_report.py --db … --reference   # the old full computation

`--reference` runs the frozen copy of the analytics before the scale work
(tests/analytics/reference: the whole log, texts included, in memory) in the same way,
for an A/B in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

REFERENCE = """
import sys, time
sys.path.insert(0, {root!r})
from sqlalchemy import create_engine
from qunyun.report.write import write_report
from tests.analytics.reference import build_report
from pathlib import Path
engine = create_engine(sys.argv[1])
write_report(build_report(engine, community_id=int(sys.argv[2]), plan=None,
                          community_name="bench"), Path(sys.argv[3]))
"""


def measure(cmd: list[str]) -> dict[str, float | int | str]:
    out = subprocess.run([sys.executable, str(BENCH / "measure.py"), *cmd], capture_output=True,
                         text=True, check=True, env={**os.environ, "QUNYUN_PROGRESS": "0"})
    result: dict[str, float | int | str] = json.loads(out.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result['stderr_tail']}")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--community", default="bench")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--reference", action="store_true", help="also run the old computation")
    ap.add_argument("--out", type=Path, default=BENCH / "data" / "report")
    args = ap.parse_args()
    runs: dict[str, list[dict[str, float | int | str]]] = {"qunyun report": []}
    if args.reference:
        runs["before (full log in memory)"] = []
    for _ in range(args.repeat):  # alternating, so a slow phase of the machine hits both
        runs["qunyun report"].append(measure(
            [sys.executable, "-m", "qunyun", "report", "--db", args.db, "--community",
             args.community, "--out", str(args.out)]))
        if args.reference:
            runs["before (full log in memory)"].append(measure(
                [sys.executable, "-c", REFERENCE.format(root=str(ROOT)), args.db, "1",
                 str(args.out)]))
    print(f"\n{args.db} · {args.repeat} run(s) each, medians\n")
    print("| command | wall (s) | CPU (s) | peak RSS (MB) |\n|---|---:|---:|---:|")
    for name, rs in runs.items():
        wall = statistics.median(float(r["wall_s"]) for r in rs)
        cpu = statistics.median(float(r["cpu_s"]) for r in rs)
        peak = statistics.median(float(r["peak_mb"]) for r in rs)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
