"""The mesh-flow term's weight under a worse flow than DIS's on rendered frames (#22).

``MESH_FLOW_WEIGHT`` was chosen on rendered clips of the stand-in model, where DIS's flow on the body is good
(about 1.7 px human-pixel EPE in ``bench_smpl_loop.py``). Real video's flow is worse. Here DIS's flow of the
rendered clips (``bench_smpl.py --flow dis``, forward and backward) gets a smooth random error field added to each
pair, each direction on its own: white noise blurred by a Gaussian of ``--blur`` px, scaled to an RMS of each
``--noise`` level, px per component; the confidence is left as DIS's (so the error is not flagged, a pessimistic
case). The same estimate is refined joints only (``w_mesh_flow`` 0; L_opt still reads the same noisy flow at the
joints) and with the mesh term at each of ``--weights``. MPJPE (H36M-17 of the model's joints, root aligned) and
its change against joints only, mean over ``--seeds`` (by default the clips the weight was chosen on, not
``bench_smpl.py``'s).

    python benchmarks/experiments/smpl_flow_noise.py [--seeds 3,4,5] [--noise 0,1,2,4] [--weights 4,32] [--blur 8]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_smpl import accuracy_clip  # noqa: E402

from flowpose.body.layouts import SMPL
from flowpose.body.model import load_body_model
from flowpose.body.refine import SmplRefineConfig, refine_smpl
from flowpose.body.standin import write_standin
from flowpose.body.synth import errors_mm
from flowpose.flow.field import FlowField


def noisy(field: FlowField, rms_px: float, blur_px: float, rng: np.random.Generator) -> FlowField:
    """``field`` with a smooth error of ``rms_px`` RMS per component added to each pair's flow."""
    if rms_px == 0:
        return field
    flow = field.flow.copy()
    for p in range(flow.shape[0]):
        error = cv2.GaussianBlur(rng.normal(size=flow.shape[1:]).astype(np.float32), (0, 0), blur_px)
        flow[p] += error * (rms_px / error.std(axis=(0, 1)))
    return replace(field, flow=flow, reverse=None)


def main() -> None:
    """Print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", default="3,4,5")
    p.add_argument("--noise", default="0,1,2,4", help="RMS of the added error, px per component")
    p.add_argument("--weights", default="4,32", help="w_mesh_flow values to compare with joints only")
    p.add_argument("--blur", type=float, default=8.0, help="the error's smoothness, px (Gaussian sigma)")
    args = p.parse_args()
    model = load_body_model(write_standin(Path(tempfile.mkdtemp()) / "standin.pkl", layout=SMPL))
    levels = [float(v) for v in args.noise.split(",")]
    weights = [0.0, *(float(v) for v in args.weights.split(","))]
    mpjpe = np.zeros((len(levels), len(weights)))
    seeds = [int(s) for s in args.seeds.split(",")]
    for seed in seeds:
        gt, est, fwd, bwd = accuracy_clip(model, 60, seed, "dis")
        for i, level in enumerate(levels):
            rng = np.random.default_rng(seed)
            f, b = noisy(fwd, level, args.blur, rng), noisy(bwd, level, args.blur, rng)
            for k, w in enumerate(weights):
                result = refine_smpl(est, model, f, SmplRefineConfig(w_mesh_flow=w), backward=b)
                mpjpe[i, k] += errors_mm(result.smpl, gt, model)[0] / len(seeds)
    print(f"## DIS's flow of rendered stand-in clips plus a smooth error (blur {args.blur:g} px), seeds {args.seeds}; "
          "MPJPE mm (against joints only)\n")
    print("| added error, RMS px | joints only | " + " | ".join(f"mesh flow, weight {w:g}" for w in weights[1:]) + " |")
    print("|---" * (len(weights) + 1) + "|")
    for i, level in enumerate(levels):
        cells = [f"{m:.1f} ({100 * (m / mpjpe[i, 0] - 1):+.1f}%)" for m in mpjpe[i, 1:]]
        print(f"| {level:g} | {mpjpe[i, 0]:.1f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
