"""An independent 2D detector's keypoints in the pose stage: YOLO11n-pose against MediaPipe's own 2D (#21), and what
the flow earns with each (#19).

MediaPipe's 2D and 3D come from one network and err together; #21 asked how the pose stage does with 2D from a
detector trained apart from the 3D estimator, and #19 put the flow's small gain down to the 2D errors moving with the
3D. ``yolo_keypoints.py`` writes YOLO11n-pose's people in every frame of each view (a COCO keypoint results file,
what ``flowpose import coco`` reads). For each of the 8 view-person pairs of the real set (``bench_real.py
--estimates tracked --everyone`` first), the YOLO person of each frame is the one whose keypoints lie nearest the
tracked person's MediaPipe keypoints (median over the 12 limb joints both give, within a fifth of the person's
median box height; else none that frame): the choice of person only, the keypoints are YOLO's. They are mapped to
Human3.6M-17 as ``flowpose import coco`` maps them and attached as ``refine --keypoints`` attaches a file
(keypoints under confidence 0.3 missing). The 3D is MediaPipe's, as tracked. The 2D sources:

- ``mediapipe``: the tracked estimate's own 2D (the default);
- ``yolo``: YOLO's keypoints alone, as a user's file would give them (joints YOLO lacks are unobserved in 2D);
- ``yolo+mediapipe``: YOLO's, MediaPipe's where YOLO has none;
- ``averaged``: the mean of the two where both have a joint, the one that has it elsewhere (``refine --keypoints-mix
  average``).

With ``--looks N`` MediaPipe's estimate is first averaged over N more looks at the person (``estimate --looks N``:
its 3D and its own 2D both). Each pair is refined with the default preset with and without the flow term for each
source. Printed: each 2D's error
against the reference projected into the view (px, and % of the reference's box height; over the frames and joints
that source has), the mean table, and for each source the flow's gain (flowpose against without flow, with a 95%
interval over the pairs drawn again) and the source against MediaPipe's 2D.

    python benchmarks/experiments/independent_2d.py [--reference all|heldout|yolo-heldout] [--looks 2] [--keypoints results/yolo11n_pose]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import REPO, experiment_parser, print_mean_table, score_runs, tracked_pairs  # noqa: E402
from flip_2d import error_2d, print_paired_gain  # noqa: E402

from flowpose.api import refine  # noqa: E402
from flowpose.bench.runner import NO_FLOW_RUNS  # noqa: E402
from flowpose.config import get_preset  # noqa: E402
from flowpose.estimate.looks import with_looks  # noqa: E402
from flowpose.io.keypoints2d import Keypoints2D, attach_keypoints, read_coco  # noqa: E402
from flowpose.joint_map import confidence_to_h36m17, to_h36m17  # noqa: E402
from flowpose.skeleton import H36M17  # noqa: E402

LIMBS = [H36M17.index(n) for n in ("r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "l_shoulder",
                                   "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist")]
"""The H36M-17 joints COCO-17 gives directly, which the person is matched on."""


def nearest_person(people: list[np.ndarray], target: np.ndarray, limit: float) -> int:
    """Index of the (17, 2) H36M-17 keypoints of ``people`` whose :data:`LIMBS` lie nearest the (17, 2) ``target``
    (median distance, px), if nearer than ``limit``; else -1."""
    best, best_d = -1, limit
    for i, kp in enumerate(people):
        with np.errstate(invalid="ignore"):
            d = np.nanmedian(np.linalg.norm(kp[LIMBS] - target[LIMBS], axis=-1))
        if np.isfinite(d) and d < best_d:
            best, best_d = i, d
    return best


def matched_keypoints(detections, joints2d: np.ndarray, reach: float = 0.2) -> tuple[Keypoints2D, int]:
    """The detections (per frame, COCO-17) of the person nearest the (T, 17, 2) tracked keypoints: in each frame the
    one whose median distance over :data:`LIMBS` is least, if under ``reach`` x the tracked person's median box
    height (:func:`nearest_person`); mapped to H36M-17 (as ``flowpose import coco``). Returns them and the number of
    frames matched."""
    T = len(joints2d)
    height = np.nanmedian(np.nanmax(joints2d[..., 1], 1) - np.nanmin(joints2d[..., 1], 1))
    out = np.full((T, 17, 2), np.nan, np.float32)
    conf = np.zeros((T, 17), np.float32)
    matched = 0
    for t in range(min(T, len(detections))):
        people = [to_h36m17(det.keypoints, "coco17", missing="nan") for det in detections[t]]
        i = nearest_person(people, joints2d[t], reach * height)
        if i >= 0:
            out[t], conf[t] = people[i], confidence_to_h36m17(detections[t][i].conf, "coco17")
            matched += 1
    conf[~np.isfinite(out).all(-1)] = 0.0
    return Keypoints2D(out, conf, "coco17"), matched


def main() -> None:
    """Refine every pair with each 2D source, print the 2D errors, the refinements and the flow's gains."""
    p = experiment_parser(__doc__.split("\n\n")[0])
    p.add_argument("--keypoints", type=Path, default=REPO / "results" / "yolo11n_pose",
                   help="the folder of yolo_keypoints.py's camXX.coco.json")
    p.add_argument("--looks", type=int, default=0,
                   help="MediaPipe's 3D and 2D first averaged over this many more looks (estimate --looks N)")
    args = p.parse_args()
    config = replace(get_preset("fast"), cycles=args.cycles)
    detections = {v: read_coco(args.keypoints / f"{v}.coco.json")[0] for v in args.views.split(",")}
    results, errors = [], {}
    for name, frames, gt, init, keep in tracked_pairs(args.devset, args.views, args.reference):
        if args.looks:
            init, _ = with_looks(frames, init, args.looks)
        kp, matched = matched_keypoints(detections[name.split("/")[0]], init.joints2d)
        yolo = attach_keypoints(init, kp).joints2d
        mp = init.joints2d
        has_y, has_m = np.isfinite(yolo).all(-1, keepdims=True), np.isfinite(mp).all(-1, keepdims=True)
        sources = {
            "mediapipe": mp,
            "yolo": yolo,
            "yolo+mediapipe": np.where(has_y, yolo, mp),
            "averaged": attach_keypoints(init, kp, mix="average").joints2d,  # refine --keypoints-mix average
        }
        print(f"{name}: YOLO's person matched in {matched} of {len(mp)} frames ({int(keep.sum())} scored); its "
              f"joints {100 * has_y.mean():.0f}% observed, MediaPipe's {100 * has_m.mean():.0f}%", flush=True)
        line = []
        for key, joints2d in sources.items():
            px, pct = error_2d(joints2d, gt, init.K, keep)
            errors.setdefault(key, []).append((px, pct))
            line.append(f"{key} {px:.1f} px ({pct:.2f}%)")
        print(f"{name} 2D error: " + ", ".join(line), flush=True)
        row = {}
        for key, joints2d in sources.items():
            poses = replace(init, joints2d=joints2d.astype(np.float32))
            row["without flow" if key == "mediapipe" else f"without flow, 2D {key}"] = refine(
                poses, frames, config=NO_FLOW_RUNS["flow_off"](config))
            row["flowpose" if key == "mediapipe" else f"flowpose, 2D {key}"] = refine(poses, frames, config=config)
        results.append(score_runs(name, row, gt, keep))
    print("\n| 2D | error px | % of box height |\n|---|---|---|")
    for key, v in errors.items():
        print(f"| {key} | {np.mean([e[0] for e in v]):.1f} | {np.mean([e[1] for e in v]):.2f} |")
    print_mean_table(results)
    for key in sources:
        run, off = ("flowpose", "without flow") if key == "mediapipe" else (f"flowpose, 2D {key}",
                                                                          f"without flow, 2D {key}")
        print_paired_gain(results, run, off)
        if key != "mediapipe":
            print_paired_gain(results, run, "flowpose")


if __name__ == "__main__":
    main()
