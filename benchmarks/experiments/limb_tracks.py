"""Whole limbs matched between frame t and t + k: do they follow a fast limb where the flow lags?

``chain_error.py`` showed the DIS flow chained over 9 to 27 frames covers only half of the man's motion on the
real set: each step averages a thin, blurred limb with its still background, and a track that slides off the limb
stays behind. A point tracker matches a point's neighbourhood; this matches a whole limb. Each bone (parent a,
child b) of frame t is cut out as a strip along its axis (``EXTEND`` of its length past each end, ``WIDTH`` of its
length across, resampled to ``TEMPLATE_PX`` along the axis from the image pyramid level nearest that sampling),
and aligned in frame t + k by OpenCV's ECC (``cv2.findTransformECC``, an affine warp maximising the zero-mean
normalised correlation), started from a guess of where the bone is there. The warped axis's ends are the bone's
ends in t + k. The strip is matched back from t + k into t, started from the bone's place in t: the
forward-backward error of each end and the correlation rho weigh it. A joint's end is the weighted mean of its
bones' ends.

Here the tracks start at the held-out pseudo ground truth's projections q_t of each pair of the real set
(``bench_real.py --estimates tracked --everyone`` first) and are compared with its projected motion
q_{t+k} - q_t, as ``chain_error.py`` does for the chained flow; the guess for frame t + k is q_t plus the 2D
keypoints' own motion (what a pose stage knows). Columns (medians, full-frame px, joints known at both ends):
the reference's motion; the share of those joints the limbs matched (a bone's correlation of at least
``RHO_MIN`` and a match back); on those same joints, the errors of the keypoints' motion (the guess), of the DIS
flow chained on the pose stage's 128 px crops, and of the matched limbs; the share of joints confident (weight
> 0.5) and, on them, the same three errors.

    python benchmarks/experiments/limb_tracks.py [--views cam01,cam03] [--strides 3,9] [--people 0,1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import REPO, tracked_pairs  # noqa: E402

from flowpose.camera import project_np  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.flow.infer import compute_video_flow  # noqa: E402
from flowpose.flow.registry import load_flow_model  # noqa: E402
from flowpose.flow.tracks import chain_flow  # noqa: E402
from flowpose.refinement.loop import pose_person_boxes  # noqa: E402
from flowpose.skeleton import H36M17  # noqa: E402

TEMPLATE_PX = 48
"""Strip length along the bone, template px."""
EXTEND = 0.15
"""Strip past each end of the bone, a share of its length."""
WIDTH = 0.3
"""Strip width across the bone, a share of its length."""
MIN_BONE_PX = 12.0
"""Shorter bones (full-frame px) are not matched."""
FB_SCALE_PX = 4.0
"""Forward-backward error (full-frame px) at which an end's weight falls to 1/e."""
RHO_MIN = 0.5
"""Correlation below which a match counts for nothing."""
LEVELS = 5


class LimbMatcher:
    """Bones of one frame aligned in another by ECC on strips along their axes (module docstring)."""

    def __init__(self, gray: list[np.ndarray], bones: tuple[tuple[int, int], ...]) -> None:
        self.gray = gray
        self.bones = bones
        joints = np.array(bones).ravel()
        self.bones_per_joint = np.bincount(joints, minlength=joints.max() + 1)  # a joint's weight is their mean
        self.pyramids: dict[int, list[np.ndarray]] = {}
        self.criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 60, 1e-4)

    def pyramid(self, t: int) -> list[np.ndarray]:
        """Frame t's float32 pyramid, level l halving l times."""
        if t not in self.pyramids:
            levels = [self.gray[t].astype(np.float32)]
            for _ in range(LEVELS - 1):
                levels.append(cv2.pyrDown(levels[-1]))
            self.pyramids[t] = levels
        return self.pyramids[t]

    @staticmethod
    def strip_warp(a: np.ndarray, b: np.ndarray, height: int, level: int) -> np.ndarray:
        """(2, 3) affine from strip px (x along a -> b, y across) to pyramid-level px, for ends a, b full px."""
        d = b - a
        length = float(np.linalg.norm(d))
        e = d / length
        n = np.array([-e[1], e[0]])
        step = length * (1 + 2 * EXTEND) / (TEMPLATE_PX - 1)
        origin = a - e * EXTEND * length - n * (height - 1) / 2 * step
        s = 2.0**level
        # full px p -> level px (p + 0.5) / s - 0.5
        return np.array([[e[0] * step / s, n[0] * step / s, (origin[0] + 0.5) / s - 0.5],
                         [e[1] * step / s, n[1] * step / s, (origin[1] + 0.5) / s - 0.5]], np.float32)

    @staticmethod
    def axis_ends(warp: np.ndarray, height: int, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Full px of the strip axis's bone ends under a (2, 3) strip -> level warp."""
        x_a = EXTEND * (TEMPLATE_PX - 1) / (1 + 2 * EXTEND)
        x_b = (1 + EXTEND) * (TEMPLATE_PX - 1) / (1 + 2 * EXTEND)
        y = (height - 1) / 2
        s = 2.0**level
        ends = [warp @ np.array([x, y, 1.0]) for x in (x_a, x_b)]
        return tuple((p + 0.5) * s - 0.5 for p in ends)

    def align(self, src: int, dst: int, a, b, ga, gb) -> tuple[np.ndarray, np.ndarray, float] | None:
        """The bone a -> b of frame ``src`` aligned in frame ``dst`` from the guess ga -> gb: (a', b', rho)."""
        length = float(np.linalg.norm(b - a))
        if length < MIN_BONE_PX or np.linalg.norm(gb - ga) < MIN_BONE_PX:
            return None
        step = length * (1 + 2 * EXTEND) / (TEMPLATE_PX - 1)
        level = int(np.clip(np.floor(np.log2(max(step, 1.0))), 0, LEVELS - 1))
        height = max(int(round(WIDTH * length / step)), 6)
        template = cv2.warpAffine(self.pyramid(src)[level], self.strip_warp(a, b, height, level),
                                  (TEMPLATE_PX, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_REPLICATE)
        if template.std() < 1.0:
            return None
        warp = self.strip_warp(ga, gb, height, level)
        try:
            rho, warp = cv2.findTransformECC(template, self.pyramid(dst)[level], warp, cv2.MOTION_AFFINE,
                                             self.criteria, None, 3)
        except cv2.error:
            return None
        a2, b2 = self.axis_ends(warp, height, level)
        return a2, b2, float(rho)

    def match(self, t: int, k: int, joints: np.ndarray, guess: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(J, 2) full px of frame t's joints in frame t + k, from the (J, 2) guess; and (J,) weights."""
        J = len(joints)
        total = np.zeros((J, 2))
        weight = np.zeros(J)
        for p, c in self.bones:
            a, b, ga, gb = joints[p], joints[c], guess[p], guess[c]
            if not np.isfinite([a, b, ga, gb]).all():
                continue
            forward = self.align(t, t + k, a, b, ga, gb)
            if forward is None or forward[2] < RHO_MIN:
                continue
            a2, b2, rho = forward
            back = self.align(t + k, t, a2, b2, a, b)
            if back is None:
                continue
            for j, end, start, home in ((p, a2, back[0], a), (c, b2, back[1], b)):
                fb = float(np.linalg.norm(start - home))
                w = (rho - RHO_MIN) / (1 - RHO_MIN) * np.exp(-((fb / FB_SCALE_PX) ** 2))
                total[j] += w * end
                weight[j] += w
        ends = np.where(weight[:, None] > 0, total / np.maximum(weight, 1e-12)[:, None], np.nan)
        return ends, np.minimum(weight / np.maximum(self.bones_per_joint[:J], 1), 1.0)


def main() -> None:
    """Print the matched limbs' error against the pseudo ground truth's motion, per pair and span."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--views", default="cam01,cam02,cam03,cam04")
    p.add_argument("--people", default="0,1")
    p.add_argument("--strides", default="3,9")
    args = p.parse_args()
    config = get_preset("fast")
    model = load_flow_model("dis")
    people = {f"p{s}" for s in args.people.split(",")}
    print("| pair | k | motion | matched | keypoints' motion, error | chained DIS, error | limbs, error | confident "
          "| confident: limbs / keypoints / chain error |\n|---|---|---|---|---|---|---|---|---|")
    for name, frames, gt, init, _ in tracked_pairs(args.devset, args.views, "heldout"):
        if name.split("/")[1] not in people:
            continue
        gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
        matcher = LimbMatcher(gray, H36M17.bones)
        boxes = pose_person_boxes(init, frames.shape[1:3], config)
        field = compute_video_flow(model, frames, boxes=boxes, work_size=128)
        forward = field.to_torch("cpu", torch.float64)
        q = project_np(np.nan_to_num(gt, nan=1.0), init.K_per_frame())
        q[~np.isfinite(gt).all(-1)] = np.nan
        x = np.where((init.conf > 0)[..., None], init.joints2d, np.nan)
        for k in (int(s) for s in args.strides.split(",")):
            motion = q[k:] - q[:-k]
            guess = q[:-k] + (x[k:] - x[:-k])
            d, _ = chain_flow(forward, torch.as_tensor(np.nan_to_num(q[:-k])), k)
            chain = d.numpy()
            limbs = np.full_like(guess, np.nan)
            w = np.zeros(guess.shape[:2])
            for t in range(len(guess)):
                limbs[t], w[t] = matcher.match(t, k, q[t], guess[t])
            both = np.isfinite(motion).all(-1) & np.isfinite(guess).all(-1)
            err = {key: np.linalg.norm(v - q[:-k] - motion, axis=-1)
                   for key, v in (("kp", guess), ("chain", q[:-k] + chain), ("limbs", limbs))}
            conf = both & (w > 0.5) & np.isfinite(limbs).all(-1)
            matched = both & np.isfinite(limbs).all(-1)
            med = {key: np.median(e[matched]) if matched.any() else float("nan") for key, e in err.items()}
            cm = {key: np.median(e[conf]) if conf.any() else float("nan") for key, e in err.items()}
            print(f"| {name} | {k} | {np.median(np.linalg.norm(motion, axis=-1)[both]):.1f} | "
                  f"{matched.sum() / both.sum():.0%} | {med['kp']:.1f} | "
                  f"{med['chain']:.1f} | {med['limbs']:.1f} | {conf.sum() / both.sum():.0%} | "
                  f"{cm['limbs']:.1f} / {cm['kp']:.1f} / {cm['chain']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
