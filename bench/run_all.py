"""`make bench`: every benchmark in bench/, one after the other, with its defaults (add yours to BENCHMARKS).

Each script also runs alone and takes its own options (`--help`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["http_api.py", "ws_fanout.py", "cache_levels.py", "recorder.py"]


def main() -> int:
    failed = 0
    for name in BENCHMARKS:
        print(f"== bench/{name}", flush=True)
        failed += subprocess.call([sys.executable, str(HERE / name)], cwd=HERE.parent) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
