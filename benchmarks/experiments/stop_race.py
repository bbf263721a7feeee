"""Are stops sent early in a run ever lost? SIGTERM to `flowpose refine` the moment its handler is in place.

The twenty-fifth session found that CPython could lose the exception a stop signal's handler raised while an import
compiled a module's source: the run went on, wrote its output and exited 0 (4 of 71 stops, under load). This sends
each run SIGTERM 0 to 0.15 s after the command's SIGTERM handler appears (its bit in the SigCgt mask of
``/proc/PID/status``; Linux only), with CPU-bound processes beside it, and counts the outcomes: exit code, whether an
output folder was left, the last line on stderr, and whether the run ended more than 1.5 s after the signal (a stop
caught at a later check rather than where it arrived).

    python benchmarks/experiments/stop_race.py [--runs 100] [--burners 2]

It refines the bundled example into a temporary folder; nothing else is written.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jumping_jacks"


def _handles(pid: int, signum: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (signum - 1) & 1)


def one_stop(work: Path, k: int) -> tuple[int, bool, str, bool]:
    """(exit code, output left, last stderr line, ended late) of one run stopped early."""
    out = work / f"out{k}"
    args = [sys.executable, "-m", "flowpose.cli", "refine", str(work / "video.mp4"), "--cycles", "2", "--flow", "dis",
            "--quiet", "--viz", "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    while proc.poll() is None and not _handles(proc.pid, signal.SIGTERM):
        time.sleep(0.02)
    time.sleep((k % 4) * 0.05)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=300)
    lines = err.strip().splitlines()
    return proc.returncode, out.exists(), lines[-1] if lines else "", time.monotonic() - sent > 1.5


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=100, help="stops sent (default 100)")
    p.add_argument("--burners", type=int, default=2, help="CPU-bound processes beside the runs (default 2)")
    args = p.parse_args()
    if not Path("/proc/self/status").is_file():
        p.error("needs Linux's /proc")
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.burners)]
    work = Path(tempfile.mkdtemp(prefix="stop_race_"))
    try:
        shutil.copy(EXAMPLE / "video.mp4", work / "video.mp4")
        shutil.copy(EXAMPLE / "video.poses.npz", work / "video.poses.npz")
        outcomes = Counter(one_stop(work, k) for k in range(args.runs))
    finally:
        for b in burners:
            b.kill()
        shutil.rmtree(work)
    print(f"{args.runs} stops, {args.burners} CPU-bound processes beside them")
    print("exit  output left  ended >1.5 s after  count  last stderr line")
    for (code, left, line, late), n in sorted(outcomes.items(), key=lambda kv: -kv[1]):
        print(f"{code:4d}  {str(left):11s}  {str(late):18s}  {n:5d}  {line}")


if __name__ == "__main__":
    main()
