"""Limbs pointing the wrong way in depth: how often the real estimate has them, and how many refinement keeps.

A monocular estimate can put a limb's far end in front of its near end while its 2D stays right (the depth
ambiguity that the simulator's profiles draw as "depth flips"). No image motion tells the two apart, so neither the
flow nor the 2D term can repair one; only time can, where a flip lasts a few frames. For each of the 8 limb bones
(upper arms, forearms, thighs, shins) of each pair of the real set (``bench_real.py --estimates tracked --everyone``
first), this counts the frames where the reference's bone points clearly towards or away from the camera (its depth
extent above ``--clear`` of its length) and the pose's bone points the other way by more than 2 cm: in the estimate,
refined without flow, and refined by flowpose (the defaults, 3 cycles); the lengths of the estimate's runs of
flipped frames; and each run's MPJPE. ``--oracle`` adds the estimate with every flip turned back by the reference,
refined both ways: the most a repair of flips could earn. ``--continuity L1,L2`` tries a repair without the
reference (:func:`continuity_flips`): for each limb, the runs of at most 3 frames whose mirrored bone continues its
neighbours' direction better, by more than the prior ``lambda`` a frame; it prints, per lambda, the estimate's MPJPE
after the repair, the bone-frames mirrored, and how many of them were the reference's flips.

    python benchmarks/experiments/depth_flips.py [--reference all|heldout] [--clear 0.4] [--oracle]
        [--continuity 0.1,0.2,0.4,0.8]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import experiment_parser, scores, tracked_pairs  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import flow_off_continuity  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.frame_runs import frame_runs  # noqa: E402
from flowpose.skeleton import H36M17  # noqa: E402

LIMBS = {
    "l upper arm": ("l_shoulder", "l_elbow"), "l forearm": ("l_elbow", "l_wrist"),
    "r upper arm": ("r_shoulder", "r_elbow"), "r forearm": ("r_elbow", "r_wrist"),
    "l thigh": ("l_hip", "l_knee"), "l shin": ("l_knee", "l_ankle"),
    "r thigh": ("r_hip", "r_knee"), "r shin": ("r_knee", "r_ankle"),
}
"""Each limb bone as (parent, child) joint names."""

MARGIN_M = 0.02
"""A pose's bone counts as pointing the other way only when its depth extent exceeds this, metres."""


def flipped(pose: np.ndarray, truth: np.ndarray, scored: np.ndarray, parent: int, child: int,
            clear: float) -> tuple[np.ndarray, np.ndarray]:
    """(T,) bool frames where the truth's bone is clearly along the depth axis, and those where ``pose``'s points
    the other way (a joint ``pose`` lacks: not counted). ``pose``, ``truth``: (T, 17, 3) camera metres; ``scored``: (T,) bool."""
    dz_true = truth[:, child, 2] - truth[:, parent, 2]
    length = np.linalg.norm(truth[:, child] - truth[:, parent], axis=-1)
    dz = pose[:, child, 2] - pose[:, parent, 2]
    clear_frames = scored & np.isfinite(dz_true) & (np.abs(dz_true) > clear * length)
    with np.errstate(invalid="ignore"):  # a joint the estimate lacks (NaN) is not counted as flipped
        return clear_frames, clear_frames & (np.sign(dz) == -np.sign(dz_true)) & (np.abs(dz) > MARGIN_M)


def ancestors(j: int) -> list[int]:
    """The joints above ``j`` in H36M17's tree."""
    parent = {c: a for a, c in H36M17.bones}
    out = []
    while j in parent:
        j = parent[j]
        out.append(j)
    return out


DESCENDANTS = {c: [j for j in range(H36M17.num_joints) if c in ancestors(j)] for c in range(H36M17.num_joints)}
"""The joints below each joint."""


def mirrored(pose: np.ndarray, parent: int, child: int) -> np.ndarray:
    """``pose`` (T, 17, 3) camera metres with the bone's depth extent mirrored in every frame: its child and the
    joints below moved along their viewing rays by the depth change that puts the child as far in front of the
    parent as it was behind (or the reverse); their 2D kept."""
    out = pose.copy()
    dz = pose[:, child, 2] - pose[:, parent, 2]
    for j in [child, *DESCENDANTS[child]]:
        out[:, j] *= ((pose[:, j, 2] - 2.0 * dz) / pose[:, j, 2])[:, None]
    return out


def unflipped(pose: np.ndarray, truth: np.ndarray, scored: np.ndarray, clear: float) -> np.ndarray:
    """The oracle: ``pose`` (T, 17, 3) with each bone-frame :func:`flipped` :func:`mirrored`, limbs from the root
    outwards."""
    out = pose.copy()
    for a, b in LIMBS.values():
        parent, child = H36M17.index(a), H36M17.index(b)
        _, wrong = flipped(out, truth, scored, parent, child, clear)
        out[wrong] = mirrored(out, parent, child)[wrong]
    return out


MAX_RUN = 3
"""The longest run of frames :func:`continuity_flips` mirrors: the estimate's flips are mostly 1-3 frames long."""


def continuity_flips(pose: np.ndarray, parent: int, child: int, prior: float) -> np.ndarray:
    """(T,) bool: the frames whose bone :func:`continuity_flips` would mirror. With u_t(s) the bone's unit direction
    as estimated (s = 0) or mirrored (s = 1), the labelling s minimises

        sum_t |u_t(s_t) - u_{t+1}(s_{t+1})|^2 + prior * sum_t s_t

    over labellings whose runs of s = 1 last at most :data:`MAX_RUN` frames (Viterbi over the run's length so far);
    a frame lacking either joint is never mirrored and costs nothing."""
    def unit(x: np.ndarray) -> np.ndarray:
        d = x[:, child] - x[:, parent]
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    u = np.stack([unit(pose), unit(mirrored(pose, parent, child))])  # (2, T, 3)
    seen = np.isfinite(u).all(-1).all(0)
    mirror = np.array([0] + [1] * MAX_RUN)  # state k: the k-th mirrored frame of a run (0: as estimated)
    step = np.zeros((len(pose) - 1, 2, 2))
    for a in (0, 1):
        for b in (0, 1):
            step[:, a, b] = np.where(seen[:-1] & seen[1:], ((u[a, :-1] - u[b, 1:]) ** 2).sum(-1), 0.0)
    allowed = np.zeros((MAX_RUN + 1, MAX_RUN + 1), bool)
    allowed[:, 0] = True
    allowed[np.arange(MAX_RUN), np.arange(1, MAX_RUN + 1)] = True
    unary = np.where(mirror[None] == 1, np.where(seen[:, None], prior, np.inf), 0.0)
    cost, back = unary[0].copy(), np.zeros((len(pose), MAX_RUN + 1), int)
    for t in range(1, len(pose)):
        total = np.where(allowed, cost[:, None] + step[t - 1][mirror][:, mirror], np.inf)
        back[t], cost = total.argmin(0), total.min(0) + unary[t]
    state = np.zeros(len(pose), int)
    state[-1] = cost.argmin()
    for t in range(len(pose) - 1, 0, -1):
        state[t - 1] = back[t, state[t]]
    return mirror[state].astype(bool)


def main() -> None:
    """Count the flipped bone-frames of every pair and print the table."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--clear", type=float, default=0.4, help="the truth's depth extent, as a fraction of its length, "
                   "above which a bone's direction counts")
    p.add_argument("--oracle", action="store_true", help="also refine the estimate with its flips turned back by "
                   "the reference (what repairing every flip would earn at most)")
    p.add_argument("--continuity", default="", help="priors lambda (comma-separated) of the repair by continuity "
                   "to try on the estimate (continuity_flips)")
    args = p.parse_args()
    priors = [float(v) for v in args.continuity.split(",") if v]
    repairs = {prior: {"mpjpe": [], "mirrored": 0, "flips": 0} for prior in priors}
    base = replace(get_preset("fast"), cycles=args.cycles)
    mpjpes: dict[str, list[float]] = {}
    poses = ("estimate", "without flow", "flowpose")
    counts = {(limb, pose): [0, 0] for limb in LIMBS for pose in poses}
    runs: list[int] = []
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        joints = {"estimate": np.asarray(init.joints3d, np.float64),
                  "without flow": np.asarray(refine(init, frames, config=flow_off_continuity(base)).poses.joints3d),
                  "flowpose": np.asarray(refine(init, frames, config=base).poses.joints3d)}
        for prior in priors:
            X = joints["estimate"].copy()
            for a, b in LIMBS.values():
                parent, child = H36M17.index(a), H36M17.index(b)
                chosen = continuity_flips(X, parent, child, prior)
                _, wrong = flipped(X, gt, keep, parent, child, args.clear)
                repairs[prior]["mirrored"] += int(chosen.sum())
                repairs[prior]["flips"] += int((chosen & wrong).sum())
                X[chosen] = mirrored(X, parent, child)[chosen]
            repairs[prior]["mpjpe"].append(scores(X, gt, keep)["mpjpe"])
        if args.oracle:
            fixed = init.with_joints3d(unflipped(joints["estimate"], gt, keep, args.clear).astype(np.float32))
            joints["oracle, without flow"] = np.asarray(refine(fixed, frames, config=flow_off_continuity(base)).poses.joints3d)
            joints["oracle, flowpose"] = np.asarray(refine(fixed, frames, config=base).poses.joints3d)
        for run, X in joints.items():
            mpjpes.setdefault(run, []).append(scores(X, gt, keep)["mpjpe"])
        for limb, (a, b) in LIMBS.items():
            for pose, X in joints.items():
                if pose not in poses:
                    continue
                clear, wrong = flipped(X.astype(np.float64), gt, keep, H36M17.index(a), H36M17.index(b), args.clear)
                counts[(limb, pose)][0] += int(wrong.sum())
                counts[(limb, pose)][1] += int(clear.sum())
                if pose == "estimate":
                    runs += [last - first + 1 for first, last in frame_runs(wrong)]
        print(name, flush=True)
    print(f"\n| limb (frames where it points clearly along the depth axis) | {' | '.join(poses)} |")
    print("|---" * (len(poses) + 1) + "|")
    for limb in [*LIMBS, "all"]:
        keys = list(LIMBS) if limb == "all" else [limb]
        wrong = [sum(counts[(k, pose)][0] for k in keys) for pose in poses]
        total = sum(counts[(k, "estimate")][1] for k in keys)
        print(f"| {limb} ({total}) | " + " | ".join(f"{w} ({100 * w / max(total, 1):.0f}%)" for w in wrong) + " |")
    print("\nMPJPE mm, mean of the pairs: " + ", ".join(f"{run} {np.mean(v):.1f}" for run, v in mpjpes.items()))
    for prior, r in repairs.items():
        print(f"repair by continuity, lambda {prior}: the estimate's MPJPE {np.mean(r['mpjpe']):.1f} mm; "
              f"{r['mirrored']} bone-frames mirrored, {r['flips']} of them flipped against the reference")
    lengths = np.bincount(runs) if runs else np.zeros(1, int)
    print("\nthe estimate's runs of flipped frames, by length: "
          + ", ".join(f"{n} of {k}" for k, n in enumerate(lengths) if k and n))


if __name__ == "__main__":
    main()
