"""The SMPL solve against the unit of its rotation unknowns (``flowpose.body.refine.ROTATION_UNIT``, #22).

The rotation unknowns are 6D offsets from the estimate, ``ROTATION_UNIT`` radians a unit. At 1 (the raw 6D vectors
the solve used before) a unit of turn moves a point half a metre away by 500 mm while a unit of translation moves
it 1 mm, and L-BFGS stays far from the minimum within its cap. Each ``--units`` value is set in turn and the same
estimates are refined (``bench_smpl.py``'s clips: stand-in SMPL, 60 frames, exact flow at the vertices, two flow
rounds of ``--steps`` iterations, mesh-flow weight ``--mesh-weight``; 0: joints only). Printed per unit, mean over
``--seeds`` (by default the clips the unit was chosen on, not ``bench_smpl.py``'s): MPJPE and PVE (mm), the total
loss and its acceleration term at the end.

    python benchmarks/experiments/smpl_units.py [--seeds 3,4,5] [--units 1,0.001,0.002,0.005,0.01,0.03]
        [--steps 200] [--mesh-weight 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_smpl import accuracy_clip  # noqa: E402

from flowpose.body import refine as refine_module
from flowpose.body.layouts import SMPL
from flowpose.body.model import load_body_model
from flowpose.body.refine import SmplRefineConfig, refine_smpl
from flowpose.body.standin import write_standin
from flowpose.body.synth import errors_mm
from flowpose.refinement.pose_config import PoseStageConfig


def main() -> None:
    """Print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", default="3,4,5")
    p.add_argument("--units", default="1,0.001,0.002,0.005,0.01,0.03", help="radians per unit of rotation")
    p.add_argument("--steps", type=int, default=200, help="L-BFGS iterations a flow round")
    p.add_argument("--mesh-weight", type=float, default=0.0, help="w_mesh_flow; 0: joints only")
    args = p.parse_args()
    model = load_body_model(write_standin(Path(tempfile.mkdtemp()) / "standin.pkl", layout=SMPL))
    config = SmplRefineConfig(pose=PoseStageConfig(max_steps=args.steps, flow_rounds=2), w_mesh_flow=args.mesh_weight)
    units = [float(u) for u in args.units.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = np.zeros((len(units), 4))
    default = refine_module.ROTATION_UNIT
    try:
        for seed in seeds:
            gt, est, fwd, bwd = accuracy_clip(model, 60, seed, "splat")
            for i, unit in enumerate(units):
                refine_module.ROTATION_UNIT = unit
                result = refine_smpl(est, model, fwd, config, backward=bwd)
                rows[i] += [*errors_mm(result.smpl, gt, model), result.losses["total"], result.losses["acc"]]
    finally:
        refine_module.ROTATION_UNIT = default
    rows /= len(seeds)
    print(f"## The SMPL solve by rotation unit: seeds {args.seeds}, {args.steps} iterations a round, "
          f"w_mesh_flow {args.mesh_weight:g}\n")
    print("| rad a unit | MPJPE mm | PVE mm | total loss | acceleration term |\n|---|---|---|---|---|")
    for unit, (mpjpe, pve, total, acc) in zip(units, rows):
        print(f"| {unit:g} | {mpjpe:.1f} | {pve:.1f} | {total:.2f} | {acc:.2f} |")


if __name__ == "__main__":
    main()
