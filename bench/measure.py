"""Run a command and report its wall time, CPU time and peak RSS (the child's, via getrusage).

Each measurement runs in its own wrapper process, so one run's peak memory never
leaks into the next: `python bench/measure.py CMD…` prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main() -> None:
    start = time.perf_counter()
    proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = usage.ru_maxrss
    # CPU seconds (user + system, all threads): on a machine shared with other work the
    # wall time stretches with the load; this much less so, and on a quiet machine with
    # two cores the wall time is at most about this.
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                      "peak_mb": round(peak_kb / 1024, 1),
                      "rc": proc.returncode, "stderr_tail": proc.stderr.decode()[-400:]}))


if __name__ == "__main__":
    main()
