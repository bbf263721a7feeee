"""Time the pose stage (flowpose.refinement.optimize.optimize_poses) on synthetic videos, T = 100 and 1000.

The scene: an H36M-17 stick figure 4 m from a 1000x1000 camera, swinging its limbs while it translates across
the image (0.8 m sinusoidal sway, period 200 frames); its initial 3D estimate carries slow per-joint drift
plus jitter. The flow
is stored on 96x96 person crops at scale 4 (the FlowField crop path), and is the exact image motion of a pure
translation (the swinging is what the flow does not explain, as with a real, imperfect flow). Prints seconds,
iterations and root-aligned MPJPE (mm) before and after, with and without flow.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/bench_pose_stage.py [--frames 100 1000] [--device cpu]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from flowpose.flow.field import FlowField
from flowpose.metrics import mpjpe
from flowpose.pose import PoseSequence
from flowpose.refinement.optimize import optimize_poses
from flowpose.refinement.pose_config import PoseStageConfig

FOCAL_PX = 1000.0
SIZE = 1000
SWAY_M, SWAY_PERIOD = 0.8, 200.0
DEPTH_M = 4.0
CROP, CROP_SCALE = 96, 4.0
REST = np.array(
    [
        [0, 0, 0],
        [-0.1, 0, 0],
        [-0.1, 0.43, 0],
        [-0.1, 0.85, 0],
        [0.1, 0, 0],
        [0.1, 0.43, 0],
        [0.1, 0.85, 0],
        [0, -0.23, 0],
        [0, -0.47, 0],
        [0, -0.57, 0],
        [0, -0.73, 0],
        [0.18, -0.45, 0],
        [0.2, -0.17, 0],
        [0.21, 0.09, 0],
        [-0.18, -0.45, 0],
        [-0.2, -0.17, 0],
        [-0.21, 0.09, 0],
    ],
    np.float32,
)  # camera-frame offsets from the pelvis, m (y down)


def scene(T: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, FlowField, np.ndarray]:
    """Ground truth (T, 17, 3), noisy initial estimate, crop FlowField and K of the benchmark scene."""
    rng = np.random.default_rng(seed)
    t = np.arange(T, dtype=np.float32)
    X = np.repeat(REST[None], T, 0)
    X[:, [3, 6, 13, 16], 2] += 0.15 * np.sin(2 * np.pi * t / 30)[:, None] * np.array([1, -1, -1, 1])
    X[..., 0] += (SWAY_M * np.sin(2 * np.pi * t / SWAY_PERIOD))[:, None]
    X[..., 2] += DEPTH_M
    periods = rng.uniform(15, 60, (1, 17, 3))
    drift = np.sin(2 * np.pi * t[:, None, None] / periods + rng.uniform(0, 6.3, (1, 17, 3)))
    init = X + 0.03 * drift + 0.012 * rng.standard_normal(X.shape)
    K = np.array([[FOCAL_PX, 0, SIZE / 2], [0, FOCAL_PX, SIZE / 2], [0, 0, 1]], np.float32)
    pelvis_px = FOCAL_PX * X[:-1, 0, :2] / X[:-1, 0, 2:] + SIZE / 2
    origin = (pelvis_px - CROP_SCALE * CROP / 2).astype(np.float32)
    step = np.diff(X[:, 0, 0]) * FOCAL_PX / DEPTH_M  # the translation's image motion at the pelvis depth
    flow = np.zeros((T - 1, CROP, CROP, 2), np.float32)
    flow[..., 0] = step[:, None, None]
    field = FlowField(
        flow, np.ones((T - 1, CROP, CROP), np.float32), origin, np.full(T - 1, CROP_SCALE), (SIZE, SIZE)
    )
    return X.astype(np.float32), init.astype(np.float32), field, K


def main() -> None:
    """Parse the options, time every (T, flow/no flow) case and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    config = PoseStageConfig()
    gt, init, field, K = scene(8)
    optimize_poses(PoseSequence(init, K), field, PoseStageConfig(max_steps=2), device=args.device)  # warm-up
    print(f"{'T':>6} {'flow':>5} {'seconds':>8} {'steps':>6} {'MPJPE init':>11} {'MPJPE out':>10}")
    for T in args.frames:
        gt, init, field, K = scene(T)
        for flow in (None, field):
            start = time.perf_counter()
            result = optimize_poses(PoseSequence(init, K), flow, config, device=args.device)
            seconds = time.perf_counter() - start
            print(
                f"{T:>6} {'yes' if flow else 'no':>5} {seconds:>8.2f} {result.steps:>6} "
                f"{mpjpe(init, gt):>11.1f} {mpjpe(result.joints3d, gt):>10.1f}"
            )


if __name__ == "__main__":
    main()
