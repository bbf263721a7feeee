"""Does the flow around a joint say more of the joint's motion than the flow at its pixel? A learnt linear map.

The exact optical flow at a joint's projection is the motion of the surface seen there, not of the joint
(``flow_at_joints.py``). A rigid part's flow field around the pixel carries its turn, so a map from the local
field to the joint's motion could undo part of that. Here, on the synthetic evaluation clips (the renderer's
exact flow, one frame), each joint's one-frame motion is predicted as the flow at its true projection plus a
ridge regression of the residual on the flow at a (2R + 1)^2 grid of offsets around it (spacing ``--step`` px;
the samples minus the centre's, and the renderer's valid mask), one map per joint, fitted on all clips but one
and scored on the one left out.

    python benchmarks/experiments/flow_patch_map.py [--radius 3] [--step 2] [--ridge 10]

Columns: the error |motion - prediction| in px (median, mean, RMS) of the point (the flow at the pixel) and of
the map, per clip left out and over all.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates
from synth_set import evaluation_clips, rendered, synth_parser  # the same directory

from flowpose.skeleton import H36M17


def patch_samples(
    flow: np.ndarray, valid: np.ndarray, points: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One frame's (N, 3K) features: the flow's x and y at each of the K ``offsets`` (K, 2) (dy, dx) px around
    each of the N ``points`` (N, 2) (x, y) px, minus the flow at the point itself (the grid's centre offset, 0),
    then the valid mask there; and (N, 2) that flow at the points, px. ``flow`` (H, W, 2) px, ``valid`` (H, W);
    bilinear, clamped at the border."""
    yx = points[:, None, ::-1] + offsets[None]  # (N, K, 2)
    coords = yx.reshape(-1, 2).T

    def sample(image: np.ndarray) -> np.ndarray:
        return map_coordinates(image, coords, order=1, mode="nearest").reshape(len(points), -1)

    fx, fy, ok = sample(flow[..., 0]), sample(flow[..., 1]), sample(valid.astype(np.float64))
    c = len(offsets) // 2
    at_points = np.stack([fx[:, c], fy[:, c]], -1)
    return np.concatenate([fx - fx[:, c:c + 1], fy - fy[:, c:c + 1], ok], 1), at_points


def clip_samples(flow: np.ndarray, valid: np.ndarray, joints: np.ndarray, offsets: np.ndarray):
    """One clip's features (M, 3K), residual targets (M, 2) px (true motion minus the flow at the pixel) and joint
    ids (M,), over the frames and joints where everything is finite. ``joints`` (T, J, 2) px; ``flow`` (T-1, H, W,
    2); ``valid`` (T-1, H, W)."""
    feats, targets, ids = [], [], []
    for t in range(len(flow)):
        features, at_joints = patch_samples(flow[t], valid[t], joints[t], offsets)
        feats.append(features)
        targets.append(joints[t + 1] - joints[t] - at_joints)
        ids.append(np.arange(joints.shape[1]))
    X, Y, ids = np.concatenate(feats), np.concatenate(targets), np.concatenate(ids)
    keep = np.isfinite(X).all(1) & np.isfinite(Y).all(1)
    return X[keep], Y[keep], ids[keep]


def design(X: np.ndarray) -> np.ndarray:
    """(M, 3K + 1): the features X (M, 3K) and a constant."""
    return np.c_[X, np.ones(len(X))]


def fit_maps(X: np.ndarray, Y: np.ndarray, ids: np.ndarray, ridge: float, joints: int) -> list[np.ndarray]:
    """One ridge map (3K + 1, 2) a joint, from the features X (M, 3K) (and a constant) to the residuals Y (M, 2)."""
    maps = []
    for j in range(joints):
        A = design(X[ids == j])
        maps.append(np.linalg.solve(A.T @ A + ridge * np.eye(A.shape[1]), A.T @ Y[ids == j]))
    return maps


def summary(e: np.ndarray) -> str:
    """Median, mean and RMS of the errors e, px."""
    return f"{np.median(e):.3f} | {e.mean():.3f} | {np.sqrt((e**2).mean()):.3f}"


def main() -> None:
    """Fit the maps leaving each clip out in turn and print the point's and the map's errors."""
    p = synth_parser(__doc__)
    p.add_argument("--radius", type=int, default=3, help="R: the grid is (2R + 1)^2 offsets")
    p.add_argument("--step", type=float, default=2.0, help="the grid's spacing, px")
    p.add_argument("--ridge", type=float, default=10.0)
    args = p.parse_args()
    r = args.radius
    offsets = np.array([(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1)], float) * args.step
    clips = evaluation_clips(args.clips)
    data = []
    for clip in clips:
        gt = rendered(clip, args.profile, args).gt
        data.append(clip_samples(gt.flow, gt.flow_valid, gt.joints2d, offsets))
    J = H36M17.num_joints
    print(f"{args.profile}, {len(clips)} clips, the exact flow over one frame, {len(offsets)} offsets {args.step:g} px "
          f"apart, ridge {args.ridge:g}; each clip scored by the maps fitted on the others\n")
    print("| clip left out | point median px | mean | RMS | map median px | mean | RMS |\n|---|---|---|---|---|---|---|")
    point_all, map_all = [], []
    for i, clip in enumerate(clips):
        rest = [d for k, d in enumerate(data) if k != i]
        maps = fit_maps(*(np.concatenate(parts) for parts in zip(*rest)), args.ridge, J)
        X, Y, ids = data[i]
        predicted = np.zeros_like(Y)
        for j in range(J):
            predicted[ids == j] = design(X[ids == j]) @ maps[j]
        point, mapped = np.linalg.norm(Y, axis=1), np.linalg.norm(Y - predicted, axis=1)
        point_all.append(point)
        map_all.append(mapped)
        print(f"| {clip.name} | {summary(point)} | {summary(mapped)} |")
    print(f"| all | {summary(np.concatenate(point_all))} | {summary(np.concatenate(map_all))} |")


if __name__ == "__main__":
    main()
