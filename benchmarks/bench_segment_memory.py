"""Peak memory of ``flowpose refine`` on a long high-resolution video: the whole video against a segment of it.

A video too large for memory is decoded frame by frame (``flowpose.api.IN_MEMORY_LIMIT_BYTES``); a segment chosen
with ``--start``/``--frames`` must be too. The bundled example (256x256, 60 frames) is scaled up to ``--height`` and
looped to ``--frames`` frames in a temporary folder, with its poses moved to match, and each run is a fresh
``flowpose refine`` process whose peak resident set is read from the operating system (``os.wait4``).

    python benchmarks/bench_segment_memory.py [--frames 420] [--height 1080] [--runs "whole;--start 1;--frames 300"]
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from flowpose.io.poses import load_poses, save_poses
from flowpose.io.video import open_video
from flowpose.io.video_writer import write_video
from flowpose.pose import PoseSequence

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "jumping_jacks"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=420, help="frames of the long video")
    p.add_argument("--height", type=int, default=1080, help="its height, px (width 16:9)")
    p.add_argument("--runs", default="whole;--start 1;--frames 300",
                   help="';'-separated refine options, one run each ('whole': none)")
    p.add_argument("--cycles", type=int, default=1)
    return p.parse_args(argv)


def make_long_video(folder: Path, frames: int, height: int) -> Path:
    """The example scaled to ``height`` (centred on a grey 16:9 canvas) and looped to ``frames``; its poses' 2D and K
    moved to match. Returns the video's path (its poses beside it, ``video.poses.npz``)."""
    width = 2 * round(height * 16 / 9 / 2)
    with open_video(EXAMPLE / "video.mp4") as example:
        clip = example.read()
    s = height / clip.shape[1]
    x0 = (width - round(clip.shape[2] * s)) // 2

    def frame(t: int) -> np.ndarray:
        big = cv2.resize(clip[t % len(clip)], (round(clip.shape[2] * s), height), interpolation=cv2.INTER_LINEAR)
        canvas = np.full((height, width, 3), 90, np.uint8)
        canvas[:, x0 : x0 + big.shape[1]] = big
        return canvas

    video = folder / "video.mp4"
    write_video(video, (frame(t) for t in range(frames)), fps=30.0)
    poses = load_poses(EXAMPLE / "video.poses.npz")
    rows = np.arange(frames) % poses.num_frames
    # Pixel centres at integers: x' = s (x + 0.5) - 0.5 + x0.
    to_big = np.array([[s, 0, 0.5 * s - 0.5 + x0], [0, s, 0.5 * s - 0.5], [0, 0, 1]])
    joints2d = None if poses.joints2d is None else poses.joints2d[rows] * s + (0.5 * s - 0.5 + np.array([x0, 0]))
    save_poses(PoseSequence(joints3d=poses.joints3d[rows], K=to_big @ poses.K, joints2d=joints2d,
                               conf=None if poses.conf is None else poses.conf[rows], fps=30.0), folder / "video.poses.npz")
    return video


def peak_run(args: list[str]) -> tuple[int, float, float]:
    """Run a command; returns (exit code, wall seconds, peak resident set in MB). Its stderr goes to a file (a pipe
    nobody reads while the command runs could fill and stall it) and is shown if it fails."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        if code != 0:
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace"))
    return code, seconds, usage.ru_maxrss / 1024.0  # Linux: kB


def main(argv: list[str] | None = None) -> int:
    """Build the video, run each refinement, print the table."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="flowpose_segment_") as tmp:
        video = make_long_video(Path(tmp), args.frames, args.height)
        with open_video(video) as reader:
            H, W = reader.size
            print(f"{len(reader)} frames of {W}x{H}: {len(reader) * H * W * 3 / 1e9:.2f} GB decoded")
        print(f"{'run':<16} {'exit':>4} {'s':>6} {'peak RSS MB':>12}")
        for i, run in enumerate(r.strip() for r in args.runs.split(";")):
            options = [] if run == "whole" else shlex.split(run)
            command = [sys.executable, "-m", "flowpose", "refine", str(video), "--cycles", str(args.cycles), "--quiet",
                       "--out", str(Path(tmp) / f"out{i}"), *options]
            code, seconds, peak = peak_run(command)
            print(f"{run:<16} {code:>4} {seconds:>6.1f} {peak:>12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
