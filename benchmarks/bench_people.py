"""People on the real multi-person clip: who is found, followed and chosen in each view.

On ``../shared/data/video/pose2sim_multiperson/`` (4 views, 100 frames, three people), runs
:func:`flowpose.estimate.people.find_people` (MediaPipe, the ``estimate`` extra) on every view, prints each
view's tracks and, for the default track (the most prominent), the frames it covers, the largest jump of its
box centre between consecutive frames (in % of the frame width; the target is <= 10%), and how far its
keypoints lie from the projection of the person triangulated by ``build_pose2sim_devset.py`` (when that
output exists): a track that is that person lies within a few percent of the body height in every frame
where it is triangulated, a track that is somebody else never does. Writes each view's contact sheet
``camXX.people.png`` to ``--out``.

    python benchmarks/bench_people.py [--views cam01,cam02] [--out results/people]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from flowpose.estimate.mediapipe import EstimateConfig
from flowpose.estimate.people import find_people
from flowpose.io.video import open_video
from flowpose.people.detections import box_centre
from flowpose.people.select import track_keypoints
from flowpose.people.sheet import contact_sheet, write_contact_sheet
from flowpose.skeleton import MEDIAPIPE33, to_h36m17

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "video" / "pose2sim_multiperson"


def project(points_world: np.ndarray, cam: dict[str, np.ndarray]) -> np.ndarray:
    """(..., 3) world metres -> (..., 2) px with the view's calibration (distortion included)."""
    flat = points_world.reshape(-1, 3).astype(np.float64)
    ok = np.isfinite(flat).all(-1)
    out = np.full((flat.shape[0], 2), np.nan)
    if ok.any():
        rvec, _ = cv2.Rodrigues(cam["R"])
        px, _ = cv2.projectPoints(flat[ok], rvec, cam["t"].astype(np.float64), cam["K"], cam["dist"])
        out[ok] = px[:, 0]
    return out.reshape(points_world.shape[:-1] + (2,))


def main() -> None:
    """Run every view and print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--views", default="cam01,cam02,cam03,cam04")
    p.add_argument("--people", type=int, default=3)
    p.add_argument("--out", type=Path, default=REPO / "results" / "people")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    gt = np.load(args.devset / "pseudo_gt.npz") if (args.devset / "pseudo_gt.npz").exists() else None
    rows = []
    for view in args.views.split(","):
        with open_video(args.data / "videos" / f"{view}.mp4") as reader:
            frames, fps = reader.read(), reader.fps
        start = time.perf_counter()
        people = find_people(frames, EstimateConfig(people=args.people), fps=fps)
        seconds = time.perf_counter() - start
        H, W = people.image_size
        T = len(frames)
        print(f"\n{view}: {seconds:.0f} s, detections per frame {np.mean([len(d) for d in people.detections]):.2f}")
        for tr in people.tracks:
            centres = np.array([box_centre(b) for b in tr.boxes()])
            print(f"  track {tr.id}: frames {tr.frames[0]}-{tr.frames[-1]} ({len(tr.frames)}), "
                  f"prominence {tr.prominence:.3g}, mean centre ({centres[:, 0].mean():.0f}, {centres[:, 1].mean():.0f})")
        write_contact_sheet(args.out / f"{view}.people.png", contact_sheet(frames, people.tracks))
        if not people.tracks:
            rows.append((view, 0, float("nan"), float("nan"), "-"))
            continue
        best = people.tracks[0]
        centres = np.array([box_centre(b) for b in best.boxes()])
        consecutive = np.diff(best.frames) == 1
        jumps = np.linalg.norm(np.diff(centres, axis=0), axis=-1)[consecutive] / W * 100
        match = "-"
        if gt is not None:
            cam = dict(np.load(args.devset / f"{view}.camera.npz"))
            gt_px = project(gt["joints3d_world"], cam)  # (T, 17, 2)
            kp, conf = track_keypoints(best, people.detections, T)
            kp17 = to_h36m17(kp, MEDIAPIPE33.name, missing="nan")
            ok = np.isfinite(gt_px).all(-1).any(-1)
            height = np.full(T, np.nan)
            height[ok] = np.nanmax(gt_px[ok, :, 1], axis=1) - np.nanmin(gt_px[ok, :, 1], axis=1)
            d = np.linalg.norm(kp17 - gt_px, axis=-1)
            both = np.isfinite(d).any(-1)
            dist = np.full(T, np.nan)
            dist[both] = np.nanmedian(d[both], axis=1) / height[both]  # (T,)
            seen = np.isfinite(dist)
            near = int((dist[seen] < 0.1).sum())
            match = f"{near}/{int(seen.sum())} frames within 10% of height (median {np.nanmedian(dist) * 100:.0f}%)"
        rows.append((view, len(best.frames), float(jumps.max()) if jumps.size else 0.0, len(people.tracks), match))
    print("\n| view | default track: frames | largest centre jump, % width | tracks | vs triangulated person |")
    print("|---|---|---|---|---|")
    for view, n, jump, k, match in rows:
        print(f"| {view} | {n}/100 | {jump:.1f} | {k} | {match} |")


if __name__ == "__main__":
    main()
