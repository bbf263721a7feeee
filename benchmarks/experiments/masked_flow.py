"""The flow of frames whose background is painted out: does a fast limb's flow stop lagging with its background?

The diagnosis of the thirty-ninth and fortieth sessions: DIS's error at a joint is a smooth motion shared by its
neighbours, and on fast, blurred limbs it lags, as if the static background around a thin limb held it back.
Here the flow stage is given frames in which everything outside the people is one flat colour (the frame's mean),
so that no background texture anchors the limb's pixels. The people come from MediaPipe's own segmentation
(``enable_segmentation``), found as ``flowpose estimate`` finds them: up to ``--people`` per frame, each painted
over before the next is looked for; their masks are joined, grown by ``--grow`` pixels (0: as segmented). Only the
flow sees the painted frames: the 2D, the 3D and every other term are the same in every run.

Each of the 8 view-person pairs of the real set (``bench_real.py --estimates tracked --everyone`` first) is
refined without the flow term, with the flow of the frames as they are (flowpose), and with the flow of the
painted frames, one run per ``--grow``.

    python benchmarks/experiments/masked_flow.py [--grow 0,16] [--reference heldout]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import baseline_runs, experiment_parser, print_mean_table, score_runs, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.estimate.crops import detection_of, landmarks_of, pose_options  # noqa: E402
from flowpose.estimate.mediapipe import EstimateConfig, require_mediapipe  # noqa: E402
from flowpose.estimate.native_log import mediapipe_quiet  # noqa: E402
from flowpose.estimate.people import _paint_over  # noqa: E402


def people_masks(frames: np.ndarray, people: int) -> np.ndarray:
    """(T, H, W) bool: every person MediaPipe segments in each of the (T, H, W, 3) uint8 RGB frames (module
    docstring)."""
    mp_pose = require_mediapipe()
    masks = np.zeros(frames.shape[:3], bool)
    options = {**pose_options(EstimateConfig()), "enable_segmentation": True}  # the estimator's settings
    with mediapipe_quiet(), mp_pose.Pose(static_image_mode=True, **options) as pose:
        for t, frame in enumerate(frames):
            image = np.ascontiguousarray(frame)
            for _ in range(people):
                result = pose.process(image)
                landmarks = landmarks_of(result)
                if landmarks is None or result.segmentation_mask is None:
                    break
                masks[t] |= result.segmentation_mask > 0.5
                box = detection_of(landmarks, image.shape[:2]).box(0.0)
                if box is None:
                    break
                image = _paint_over(image, box)
    return masks


def painted(frames: np.ndarray, masks: np.ndarray, grow: int) -> np.ndarray:
    """The frames with everything outside ``masks`` grown by ``grow`` px set to each frame's mean colour."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)) if grow > 0 else None
    out = frames.copy()
    for t in range(len(frames)):
        keep = masks[t].astype(np.uint8)
        if kernel is not None:
            keep = cv2.dilate(keep, kernel)
        out[t][keep == 0] = frames[t].reshape(-1, 3).mean(0).astype(np.uint8)
    return out


def main() -> None:
    """Refine every pair with and without the painted frames' flow; print the per-pair scores and the means."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--grow", default="0,16", help="pixels the people's masks are grown by, comma-separated")
    p.add_argument("--people", type=int, default=3, help="people looked for in each frame")
    args = p.parse_args()
    grows = [int(g) for g in args.grow.split(",") if g]
    config = replace(get_preset("fast"), cycles=args.cycles)
    results, masks_of = [], {}
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        view = name.split("/")[0]
        if view not in masks_of:
            masks_of[view] = people_masks(frames, args.people)
            print(f"{view}: people cover {100 * masks_of[view].mean():.1f}% of the pixels", flush=True)
        row = baseline_runs(init, frames, config)
        for grow in grows:
            row[f"flowpose, background painted out, grown {grow} px"] = refine(
                init, painted(frames, masks_of[view], grow), config=config)
        results.append(score_runs(name, row, gt, keep))
    print_mean_table(results)


if __name__ == "__main__":
    main()
