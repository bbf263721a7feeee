"""Left-right swaps on real video, before and after: the frames where the estimate swapped a limb pair.

For each view-person pair of the real set (``bench_real.py --estimates tracked --everyone`` first), the estimate
is refined with the default configuration; the frames in which the estimate's legs or arms are swapped
against the pseudo ground truth (:func:`flowpose.metrics.swapped_limbs`, 3D, root-aligned) are drawn, each
as a crop of the frame with the estimate's projected skeleton (left) and the refined one (right), left limbs
in orange and right limbs in blue, the pseudo ground truth's joints as white dots. Writes
``--out/<view>_p<person>.png`` for each pair that has such frames, and prints the swapped frames before and
after.

    python benchmarks/experiments/real_swaps.py [--out results/real_swaps]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import REPO, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.metrics import swapped_limbs  # noqa: E402
from flowpose.skeleton import H36M17  # noqa: E402
from flowpose.viz import draw_skeleton  # noqa: E402

LEFT, RIGHT = (255, 140, 0), (40, 120, 255)
"""RGB of left and right limbs."""


def _bones(side: str) -> list[tuple[int, int]]:
    """H36M-17 bones whose child joint is on ``side`` ("l_" or "r_"), or the trunk (side "")."""
    names = H36M17.joint_names
    out = []
    for child, parent in enumerate(H36M17.parents):
        if parent < 0:
            continue
        on_side = names[child].startswith(side) if side else not names[child].startswith(("l_", "r_"))
        if on_side:
            out.append((parent, child))
    return out


def swapped_frames(joints: np.ndarray, gt: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """(T,) bool: the scored frames whose legs or arms are swapped, as ``bench_real.py`` counts them."""
    out = np.zeros(len(keep), bool)
    out[keep] = swapped_limbs(joints[keep], gt[keep]).any(-1)
    return out


def _panel(frame: np.ndarray, joints: np.ndarray, K: np.ndarray, gt_px: np.ndarray, box: tuple[int, ...]) -> np.ndarray:
    """The frame with (17, 3) camera-frame joints projected and drawn, cropped to ``box``."""
    image = frame.copy()
    px = joints @ K.T
    px = px[:, :2] / px[:, 2:]
    draw_skeleton(image, px, _bones(""), (230, 230, 230), thickness=4)
    draw_skeleton(image, px, _bones("l_"), LEFT, thickness=4)
    draw_skeleton(image, px, _bones("r_"), RIGHT, thickness=4)
    for x, y in gt_px[np.isfinite(gt_px).all(-1)]:
        cv2.circle(image, (int(x), int(y)), 7, (255, 255, 255), -1)
    x0, y0, x1, y1 = box
    return image[y0:y1, x0:x1]


def main() -> None:
    """Refine each pair, print the swapped frames and draw them."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--out", type=Path, default=REPO / "results" / "real_swaps")
    p.add_argument("--cycles", type=int, default=3)
    p.add_argument("--panel-height", type=int, default=360)
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    config = replace(get_preset("fast"), cycles=args.cycles)
    for name, frames, gt, init, keep in tracked_pairs(args.devset, "cam01,cam02,cam03,cam04"):
        before = swapped_frames(init.joints3d, gt, keep)
        if not before.any():
            print(f"{name}: no swapped frame in the estimate")
            continue
        refined = refine(init, frames, config=config).poses
        after = swapped_frames(refined.joints3d, gt, keep)
        print(f"{name}: swapped frames in the estimate {np.flatnonzero(before).tolist()}, "
              f"after refinement {np.flatnonzero(after).tolist()}")
        K = init.K_per_frame()
        rows = []
        for t in np.flatnonzero(before):
            gt_px = gt[t] @ K[t].T
            gt_px = gt_px[:, :2] / gt_px[:, 2:]
            ok = np.isfinite(gt_px).all(-1)
            (x0, y0), (x1, y1) = gt_px[ok].min(0), gt_px[ok].max(0)
            pad = 0.25 * max(x1 - x0, y1 - y0)
            H, W = frames[t].shape[:2]
            box = (int(max(x0 - pad, 0)), int(max(y0 - pad, 0)), int(min(x1 + pad, W)), int(min(y1 + pad, H)))
            pair = [_panel(frames[t], j[t], K[t], gt_px, box) for j in (init.joints3d, refined.joints3d)]
            scale = args.panel_height / pair[0].shape[0]
            pair = [cv2.resize(x, None, fx=scale, fy=scale) for x in pair]
            row = np.hstack(pair)
            cv2.putText(row, f"frame {t}", (8, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 0), 2)
            rows.append(row)
        width = max(r.shape[1] for r in rows)
        sheet = np.vstack([np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows])
        path = args.out / f"{name.replace('/', '_')}.png"
        cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
        print(f"  drawn: {path}")


if __name__ == "__main__":
    main()
