"""Does the DIS flow lag the motion, step by step? Measured against exact flow on synthetic clips.

``chain_error.py`` found that on real video the DIS flow chained over 27 frames covers 52-67% of the man's
motion, against a pseudo ground truth and 2D keypoints that are themselves noisy over short spans. The synthetic
world has exact flow at every pixel, so the lag can be measured per step. On each clip (the held-out tuning
clip and the fast ``09_11`` and ``dab`` by default; 256x256, the ``mediapipe`` profile's person boxes, as
``bench_refine.py`` renders them) and for each DIS setting:

- human EPE: mean end-point error against the exact flow on the body's pixels (20,000 drawn), px;
- covered: the median share of the exact motion the flow gives along the exact motion's direction, (F . E) / |E|^2,
  on body pixels moving over 1 px, and at the joints' tracks over 1 and 9 frames (chained, both flows; tracks
  the exact flow keeps with confidence > 0.5 and moving over 1 px). 1 is no lag; 0.7 is a flow that moves
  the body 30% too little.

The DIS settings: the default (``fine``, 128 px crops), its variational refinement's smoothness alpha 5 instead
of OpenCV's 20, patches of 4 px at stride 2 instead of 8 at 4, and 256 px crops; and, in DIS's place, OpenCV's
Farneback flow (polynomial expansion, a coarse-to-fine pyramid of 5 levels) on 256 px crops. The settings
named "contrib" use flows of OpenCV's contrib modules (Dual TV-L1, DeepFlow's variational part, dense RLOF),
which flowpose does not depend on: they need ``opencv-contrib-python-headless`` of the same version in place of
``opencv-python-headless`` (e.g. ``pip install --target DIR`` and ``PYTHONPATH=DIR``), and are refused without it.

    python benchmarks/experiments/synth_flow_lag.py [--clips cmu_3dsmax/131_01,09_11,fair/dab] [--settings ...]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import REPO  # noqa: E402

from flowpose.bench.clips import TUNING_CLIP, discover_clips, get_clips  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.flow.classical import DISFlow  # noqa: E402
from flowpose.flow.field import FlowField, FlowTensors  # noqa: E402
from flowpose.flow.infer import compute_video_flow  # noqa: E402
from flowpose.flow.tracks import chain_flow  # noqa: E402
from flowpose.refinement.loop import pose_person_boxes  # noqa: E402


class Farneback:
    """OpenCV's Farneback flow behind the ``calc`` call of the DIS object a ``DISFlow`` holds: 5 pyramid levels,
    a ``window`` px averaging window, 5 iterations, polynomials of 7 px (sigma 1.5)."""

    def __init__(self, window: int) -> None:
        self.window = window

    def calc(self, first: np.ndarray, second: np.ndarray, _: None) -> np.ndarray:
        """(H, W, 2) flow from ``first`` to ``second``, 8-bit grey images."""
        return cv2.calcOpticalFlowFarneback(first, second, None, 0.5, 5, self.window, 5, 7, 1.5, 0)


class Contrib:
    """A flow of OpenCV's contrib modules (``cv2.optflow``) behind the same ``calc`` call: ``tvl1`` (Dual
    TV-L1), ``deepflow`` (DeepFlow's variational part, without DeepMatching) or ``rlof`` (dense RLOF, which
    takes colour images), each with OpenCV's default settings."""

    def __init__(self, name: str) -> None:
        if not hasattr(cv2, "optflow"):
            raise SystemExit(f"the contrib flow {name!r} needs opencv-contrib-python-headless {cv2.__version__} "
                             "(cv2.optflow); this cv2 has no contrib modules")
        self.name = name
        make = {"tvl1": cv2.optflow.DualTVL1OpticalFlow_create, "deepflow": cv2.optflow.createOptFlow_DeepFlow}
        self.algo = make[name]() if name in make else None

    def calc(self, first: np.ndarray, second: np.ndarray, _: None) -> np.ndarray:
        """(H, W, 2) flow from ``first`` to ``second``, 8-bit grey images."""
        if self.name == "rlof":
            colour = [cv2.cvtColor(g, cv2.COLOR_GRAY2BGR) for g in (first, second)]
            return cv2.optflow.calcOpticalFlowDenseRLOF(*colour, None)
        return self.algo.calc(first, second, None)


SETTINGS: dict[str, tuple[Callable[[DISFlow], None], int]] = {
    "fine (the default), 128 px crops": (lambda m: None, 128),
    "variational alpha 5": (lambda m: m._dis.setVariationalRefinementAlpha(5.0), 128),
    "patches 4 px, stride 2": (lambda m: (m._dis.setPatchSize(4), m._dis.setPatchStride(2)), 128),
    "256 px crops": (lambda m: None, 256),
    "Farneback, window 11, 256 px crops": (lambda m: setattr(m, "_dis", Farneback(11)), 256),
    "Farneback, window 21, 256 px crops": (lambda m: setattr(m, "_dis", Farneback(21)), 256),
    "contrib TV-L1, 128 px crops": (lambda m: setattr(m, "_dis", Contrib("tvl1")), 128),
    "contrib TV-L1, 256 px crops": (lambda m: setattr(m, "_dis", Contrib("tvl1")), 256),
    "contrib DeepFlow, 256 px crops": (lambda m: setattr(m, "_dis", Contrib("deepflow")), 256),
    "contrib RLOF, 256 px crops": (lambda m: setattr(m, "_dis", Contrib("rlof")), 256),
}
"""Setting -> (a change to the OpenCV DIS object a ``DISFlow`` holds, ``_dis``, or its replacement by another
OpenCV flow; the crop size)."""


def covered(flow: np.ndarray, exact: np.ndarray) -> float:
    """Median (F . E) / |E|^2 over (..., 2) vectors where the exact motion E exceeds 1 px."""
    norm2 = (exact**2).sum(-1)
    moving = norm2 > 1.0
    return float(np.median((flow * exact).sum(-1)[moving] / norm2[moving]))


def body_samples(mask: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, y, x) of ``count`` body pixels drawn from a (P, H, W) mask (a fixed seed)."""
    t, y, x = np.nonzero(mask)
    pick = np.random.default_rng(0).choice(len(t), size=min(count, len(t)), replace=False)
    return t[pick], y[pick], x[pick]


def sample_pairs(field: FlowTensors, t: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(n, 2) flow of pair t[i] at full-frame pixel (x[i], y[i])."""
    out = np.zeros((len(t), 2))
    for pair in np.unique(t):
        here = t == pair
        points = torch.as_tensor(np.stack([x[here], y[here]], -1)[None], dtype=torch.float64)
        out[here] = field.pairs(int(pair), int(pair) + 1).sample(points)[0][0].numpy()
    return out


def main() -> None:
    """Print the table: one row per clip and DIS setting."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    p.add_argument("--clips", default=f"{TUNING_CLIP},09_11,fair/dab", help="clip names or their ends, comma-separated")
    p.add_argument("--cache", type=Path, default=REPO / "results" / "cache")
    p.add_argument("--settings", default=";".join(k for k in SETTINGS if not k.startswith("contrib")),
                   help="of the settings above, separated by semicolons (default: all but the contrib ones)")
    args = p.parse_args()
    chosen = args.settings.split(";")
    if unknown := [c for c in chosen if c not in SETTINGS]:
        p.error(f"--settings: unknown {unknown}; expected some of {list(SETTINGS)}")
    config = get_preset("fast")
    clips = [c for c in discover_clips(args.shared / "data" / "mocap")
             if any(c.name.endswith(w) for w in args.clips.split(","))]
    print("| clip | flow | human EPE px | covered, body pixels | covered, joints, 1 frame | covered, joints, 9 frames |"
          "\n|---|---|---|---|---|---|")
    for clip in clips:
        synth = get_clips(clip, profiles=["mediapipe"], frames=100, size=256, seed=0, cache_dir=args.cache)["mediapipe"]
        r = synth.rendered
        P = len(r.frames) - 1
        boxes = pose_person_boxes(synth.estimate, r.frames.shape[1:3], config)
        exact = FlowField(r.flow, r.flow_valid.astype(np.float32), np.zeros((P, 2), np.float32),
                          np.ones(P, np.float32), r.frames.shape[1:3]).to_torch("cpu", torch.float64)
        joints = torch.as_tensor(r.joints2d, dtype=torch.float64)
        tracks = {k: chain_flow(exact, joints[:-k], k) for k in (1, 9)}
        t, y, x = body_samples(r.human_mask[:-1] & r.flow_valid, 20_000)
        truth = r.flow[t, y, x]
        for name in chosen:
            setup, size = SETTINGS[name]
            model = DISFlow()
            setup(model)
            field = compute_video_flow(model, r.frames, boxes=boxes, work_size=size).to_torch("cpu", torch.float64)
            flow = sample_pairs(field, t, y, x)
            joint_cover = []
            for k, (d_exact, c_exact) in tracks.items():
                d = chain_flow(field, joints[:-k], k)[0]
                kept = (c_exact > 0.5).numpy()
                joint_cover.append(covered(d.numpy()[kept], d_exact.numpy()[kept]))
            print(f"| {clip.name} | {name} | {np.linalg.norm(flow - truth, axis=-1).mean():.3f} | "
                  f"{covered(flow, truth):.2f} | {joint_cover[0]:.2f} | {joint_cover[1]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
