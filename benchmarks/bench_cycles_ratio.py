"""Wall time of ``flowpose refine VIDEO --cycles N`` against ``--cycles 0``, as a user runs it.

The two commands alternate, ``--repeats`` times each, in fresh processes (so start-up, decoding and writing
count as a user sees them), and the ratio of the medians is printed. Ratios measured in one run are what
compare on a shared, noisy machine.

    python benchmarks/bench_cycles_ratio.py examples/jumping_jacks/video.mp4 --cycles 3 --repeats 3

Options it does not know (``--flow dis``, ``--preset quality``) are passed on to ``flowpose refine``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(args: list[str]) -> float:
    """Seconds one command takes; exits with its output if it fails."""
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(args)}\n{proc.stderr}")
    return seconds


def main() -> None:
    """Alternate the two commands and print every time and the ratio of the medians."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video")
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args, extra = parser.parse_known_args()  # anything else goes to flowpose refine
    times: dict[int, list[float]] = {0: [], args.cycles: []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            for cycles in (0, args.cycles):
                out = Path(tmp) / f"c{cycles}_{r}"
                cmd = [sys.executable, "-m", "flowpose.cli", "refine", args.video, "--cycles", str(cycles),
                       "--out", str(out), "--quiet", *extra]
                times[cycles].append(timed(cmd))
                print(f"repeat {r}  cycles {cycles}: {times[cycles][-1]:.1f} s", flush=True)
    m0, mn = statistics.median(times[0]), statistics.median(times[args.cycles])
    print(f"median cycles 0: {m0:.1f} s, cycles {args.cycles}: {mn:.1f} s, ratio {mn / m0:.2f}")


if __name__ == "__main__":
    main()
