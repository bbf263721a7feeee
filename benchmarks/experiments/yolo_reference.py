"""A held-out reference triangulated from YOLO11n-pose's keypoints, not MediaPipe's (``--reference yolo-heldout`` of
the real-set experiments).

The real set's references are triangulated from MediaPipe's 2D in the other views, so they place each joint where
MediaPipe places it. Two detectors trained on different annotations disagree on where a hip or a shoulder is by a
steady offset; against a MediaPipe-made reference, 2D from another detector is charged that offset as error. This
builder makes the same held-out reference from ``yolo_keypoints.py``'s detections instead, as
``build_pose2sim_heldout.py`` makes it from MediaPipe's: for each view v, each person and frame, the YOLO person of
each other view is the one nearest the projection of ``people_gt.npz``'s person there (median over the 12 limb joints
within a fifth of the person's projected height: which person only, the keypoints are YOLO's), its joints of score
``--min-conf`` or more are triangulated (``triangulate_from``: all of those views, then those within ``--inlier-px``
of that body, kept where 2 or more agree) and filtered in time (``--sigma`` frames). Scoring against both references
brackets what the choice of annotation does to a comparison of the two detectors.

Written: ``KEYPOINTS/people_gt.heldout.npz``, ``joints3d_world`` (V, P, T, 17, 3) and ``views``, as
``build_pose2sim_heldout.py`` writes it, stamped with the code and the detections it was made from (the experiments
read it from ``results/yolo11n_pose`` and refuse it stale: run this again after the real set is rebuilt).

    python benchmarks/experiments/yolo_reference.py [--keypoints results/yolo11n_pose]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import yolo_detections  # noqa: E402
from build_pose2sim_devset import REPO, project, temporal_filter  # noqa: E402
from build_pose2sim_heldout import triangulate_from  # noqa: E402
from cache_stamp import fresh_reference, stamp  # noqa: E402
from independent_2d import nearest_person  # noqa: E402

from flowpose.io.keypoints2d import read_coco  # noqa: E402
from flowpose.joint_map import confidence_to_h36m17, to_h36m17  # noqa: E402
from flowpose.skeleton import H36M17  # noqa: E402


def main() -> None:
    """Write the YOLO-made held-out reference and print how far it lies from MediaPipe's, per view and person."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--keypoints", type=Path, default=REPO / "results" / "yolo11n_pose")
    p.add_argument("--inlier-px", type=float, default=30.0, help="reprojection error of an agreeing view, px")
    p.add_argument("--min-conf", type=float, default=0.5, help="keypoint score below which a 2D joint is unused")
    p.add_argument("--sigma", type=float, default=1.5, help="temporal filter, frames")
    args = p.parse_args()
    with np.load(fresh_reference(args.devset / "people_gt.heldout.npz")) as d:
        views, media = d["views"].tolist(), d["joints3d_world"].astype(np.float64)
    with np.load(fresh_reference(args.devset / "people_gt.npz")) as d:
        full = d["joints3d_world"].astype(np.float64)  # (P, T, 17, 3)
    cams = []
    for view in views:
        with np.load(args.devset / f"{view}.camera.npz") as c:
            cams.append({k: c[k] for k in ("K", "dist", "R", "t")})
    found = []  # per view, per frame: [(keypoints (17, 2), conf (17,))]
    for view in views:
        frames = read_coco(args.keypoints / f"{view}.coco.json")[0]
        found.append([[(to_h36m17(det.keypoints, "coco17", missing="nan"), confidence_to_h36m17(det.conf, "coco17"))
                       for det in dets] for dets in frames])
    P, T = full.shape[:2]
    V = len(views)
    raw = np.full((V, P, T, 17, 3), np.nan)
    for t in range(T):
        px, ok, chosen = [], [], np.full((P, V), -1)
        for u in range(V):
            dets = found[u][t] if t < len(found[u]) else []
            px.append(np.array([k for k, _ in dets]).reshape(-1, 17, 2))
            ok.append(np.array([(c >= args.min_conf) & np.isfinite(k).all(-1) for k, c in dets]).reshape(-1, 17))
            for q in range(P):
                if np.isfinite(full[q, t]).all(-1).sum() >= 6:
                    target = project(np.nan_to_num(full[q, t]), cams[u])
                    target[~np.isfinite(full[q, t]).all(-1)] = np.nan
                    height = np.nanmax(target[:, 1]) - np.nanmin(target[:, 1])
                    chosen[q, u] = nearest_person([k for k, _ in dets], target, 0.2 * height)
        for v in range(V):
            for q in range(P):
                members = {u: int(chosen[q, u]) for u in range(V) if u != v and chosen[q, u] >= 0}
                raw[v, q, t], _ = triangulate_from(px, ok, cams, members, args.inlier_px)
    held = temporal_filter(raw, args.sigma)
    out = args.keypoints / "people_gt.heldout.npz"
    np.savez(out, joints3d_world=held.astype(np.float32), views=np.array(views))
    stamp(out, Path(__file__), yolo_detections(args.keypoints))
    print(f"wrote {out}")
    for v, view in enumerate(views):
        for q in range(P):
            both = np.isfinite(held[v, q]).all(-1) & np.isfinite(media[v, q]).all(-1)
            if not both.any():
                print(f"{view}/p{q}: no joint both references have")
                continue
            d3 = np.linalg.norm(held[v, q] - media[v, q], axis=-1)[both] * 1000.0
            frames = int((np.isfinite(held[v, q]).all(-1).sum(-1) >= 12).sum())
            print(f"{view}/p{q}: {frames} frames with 12+ joints; against MediaPipe's held-out reference median "
                  f"{np.median(d3):.0f} mm", flush=True)
    gap = np.linalg.norm(held - media, axis=-1) * 1000.0  # (V, P, T, 17)
    print("median distance between the two references per joint, mm: " + ", ".join(
        f"{name} {np.nanmedian(gap[..., j]):.0f}" for j, name in enumerate(H36M17.joint_names)
        if np.isfinite(gap[..., j]).any()))


if __name__ == "__main__":
    main()
