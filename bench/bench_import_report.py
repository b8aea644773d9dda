"""Import + report vs chat-analytics 1.1.2, side by side in one run (I2, H1–H4).

Generates a seeded Telegram Desktop export (bench/gen_telegram.py), then times
  qunyun:          `qunyun import FILE --db sqlite:///… --community bench`,
                   then `qunyun report … --out DIR`
  chat-analytics:  `chat-analytics -p telegram -i FILE -o report.html` (npm, installed on demand
                   into bench/.peer; skipped with a note if npm cannot install it)
each in a fresh process with wall time and peak RSS, and qunyun once more as one command,
`qunyun import FILE … --report DIR` (the same import and report in one process: the
interpreter, libraries and database are opened once). With `--repeat N` the two run
alternately N times (each qunyun run into a fresh database), so a slow phase of a shared
machine hits both, and the table shows medians. Prints a Markdown table for BENCHMARKS.md.

    .venv/bin/python bench/bench_import_report.py --messages 200000 --senders 2000 --days 365
    .venv/bin/python bench/bench_import_report.py --messages 200000 --repeat 5
    .venv/bin/python bench/bench_import_report.py --messages 1000000 --no-peer
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PEER_DIR = BENCH / ".peer"
PEER_VERSION = "1.1.2"


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float | int | str]:
    out = subprocess.run(
        [sys.executable, str(BENCH / "measure.py"), *cmd], capture_output=True, text=True,
        env=env, check=True,
    )
    result: dict[str, float | int | str] = json.loads(out.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result['stderr_tail']}")
    return result


def peer_cli() -> Path | None:
    cli = PEER_DIR / "node_modules" / "chat-analytics" / "dist" / "lib" / "CLI.js"
    if cli.exists():
        return cli
    if not shutil.which("npm"):
        return None
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["npm", "install", "--silent", "--prefix", str(PEER_DIR), f"chat-analytics@{PEER_VERSION}"],
        capture_output=True, text=True,
    )
    return cli if done.returncode == 0 and cli.exists() else None


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem_gb:.0f} GiB, {cpu}, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--senders", type=int, default=2_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-peer", action="store_true", help="skip chat-analytics")
    ap.add_argument("--repeat", type=int, default=1, help="alternating runs (medians)")
    ap.add_argument("--work", type=Path, default=BENCH / "data")
    args = ap.parse_args()

    args.work.mkdir(parents=True, exist_ok=True)
    export = args.work / f"telegram-{args.messages}-{args.senders}-{args.days}-{args.seed}.json"
    if not export.exists():
        subprocess.run(
            [sys.executable, str(BENCH / "gen_telegram.py"), "--messages", str(args.messages),
             "--senders", str(args.senders), "--days", str(args.days), "--seed", str(args.seed),
             "--out", str(export)], check=True,
        )
    size_mb = export.stat().st_size / 2**20
    # qunyun's bytecode, as `pip install` writes it: a development shell may set
    # PYTHONDONTWRITEBYTECODE, and then every run compiles ~90 modules (~0.08 s CPU).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "qunyun")], check=True)
    db = args.work / "bench.db"
    out_dir = args.work / "report"
    qunyun = [sys.executable, "-m", "qunyun"]
    url = f"sqlite:///{db}"
    env = {**os.environ, "QUNYUN_PROGRESS": "0"}
    cli = None if args.no_peer else peer_cli()
    if not args.no_peer and cli is None:
        print("note: chat-analytics could not be installed from npm; peer skipped")
    runs: dict[str, list[dict[str, float | int | str]]] = {
        "qunyun import": [], "qunyun report": [], "one": [], "peer": []}
    for _ in range(args.repeat):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        runs["qunyun import"].append(
            measure([*qunyun, "import", str(export), "--db", url, "--community", "bench"], env))
        runs["qunyun report"].append(measure(
            [*qunyun, "report", "--db", url, "--community", "bench", "--out", str(out_dir)], env))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        runs["one"].append(measure([*qunyun, "import", str(export), "--db", url, "--community",
                                    "bench", "--report", str(out_dir)], env))
        if cli is not None:
            runs["peer"].append(measure(["node", str(cli), "-p", "telegram", "-i", str(export),
                                         "-o", str(args.work / "peer-report.html")]))

    def median(name: str, key: str) -> float:
        return statistics.median(float(r[key]) for r in runs[name])

    totals = [float(i["wall_s"]) + float(r["wall_s"])
              for i, r in zip(runs["qunyun import"], runs["qunyun report"], strict=True)]
    total_wall = statistics.median(totals)
    total_peak = max(median("qunyun import", "peak_mb"), median("qunyun report", "peak_mb"))
    print(f"\nExport: {export.name} ({size_mb:.0f} MB, {args.messages:,} messages, "
          f"{args.senders:,} senders, {args.days} days)\nMachine: {machine()}\n"
          f"{args.repeat} alternating run(s), medians\n")
    cpu_total = statistics.median(
        float(i["cpu_s"]) + float(r["cpu_s"])
        for i, r in zip(runs["qunyun import"], runs["qunyun report"], strict=True))
    print("| step | wall (s) | CPU (s) | peak RSS (MB) |\n|---|---:|---:|---:|")
    for name in ("qunyun import", "qunyun report"):
        print(f"| {name} | {median(name, 'wall_s'):.2f} | {median(name, 'cpu_s'):.2f} | "
              f"{median(name, 'peak_mb'):.0f} |")
    print(f"| **qunyun import + report** | **{total_wall:.2f}** | **{cpu_total:.2f}** | "
          f"**{total_peak:.0f}** |")
    print(f"| **qunyun import --report** (one process) | **{median('one', 'wall_s'):.2f}** | "
          f"**{median('one', 'cpu_s'):.2f}** | **{median('one', 'peak_mb'):.0f}** |")
    if runs["peer"]:
        peer_wall = median("peer", "wall_s")
        print(f"| chat-analytics {PEER_VERSION} | {peer_wall:.2f} | "
              f"{median('peer', 'cpu_s'):.2f} | {median('peer', 'peak_mb'):.0f} |")
        ratios = [t / float(p["wall_s"]) for t, p in zip(totals, runs["peer"], strict=True)]
        print(f"\nqunyun import + report takes {total_wall / peer_wall:.2f}× chat-analytics' "
              f"wall time (per run: {', '.join(f'{r:.2f}' for r in ratios)}).")
        ones = [float(o["wall_s"]) / float(p["wall_s"])
                for o, p in zip(runs["one"], runs["peer"], strict=True)]
        print(f"qunyun import --report takes {median('one', 'wall_s') / peer_wall:.2f}× "
              f"(per run: {', '.join(f'{r:.2f}' for r in ones)}).")

if __name__ == "__main__":
    main()
