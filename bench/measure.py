"""Run a command and report its wall time and peak RSS (the child's, via getrusage).

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
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall_s": round(wall, 3), "peak_mb": round(peak_kb / 1024, 1),
                      "rc": proc.returncode, "stderr_tail": proc.stderr.decode()[-400:]}))


if __name__ == "__main__":
    main()
