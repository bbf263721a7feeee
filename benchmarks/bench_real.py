"""The real-video benchmark: single-view refinement of each pose2sim camera against triangulated pseudo ground
truth (built by ``benchmarks/build_pose2sim_devset.py``; run that first).

For each view: the initial estimate (MediaPipe, placed with the calibrated K), the three smoothers (tuned on
the synthetic tuning clip with the ``mediapipe`` profile, never on this video), flowpose without any flow,
the same with swaps repaired by continuity, and full flowpose, all in one run. Scored on the frames where the
view's detector followed the triangulated person and every pseudo-ground-truth joint exists: MPJPE and
PA-MPJPE (mm), acceleration error (mm/frame^2, against the temporally filtered pseudo ground truth), swapped
limb-pair frames, and wall time. The pseudo ground truth has a floor of a few centimetres.

    python benchmarks/bench_real.py --cycles 3

With ``--estimates tracked --everyone`` (after ``build_pose2sim_people.py``), every triangulated person is scored
in every view, from the MediaPipe track nearest them (the README's real-video table):

    python benchmarks/bench_real.py --estimates tracked --everyone --cycles 3

With ``--heldout`` (after ``build_pose2sim_heldout.py``) the same runs are also scored against each person
triangulated without the scored view, which shares no 2D keypoint with the refinement's anchors; that table is
printed second and written to ``table.heldout.txt``.

With ``--video-mode`` the tracked estimates come from MediaPipe's video mode (``estimate --track``), cached apart.

With ``--lens`` each view's estimate also carries the view's calibrated lens distortion (``PoseSequence.dist``),
so that refinement runs on the undistorted frames and 2D (the pseudo ground truth is triangulated from undistorted
keypoints); without it the pinhole K alone is used, as the README's table does:

    python benchmarks/bench_real.py --estimates tracked --everyone --cycles 3 --heldout --lens --out results/bench_real_lens
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
from cache_stamp import fresh_reference, is_fresh, stamp

from flowpose.api import refine
from flowpose.bench.clips import get_clips, tuning_clip
from flowpose.bench.runner import FLOW_VARIANTS, NO_FLOW_RUNS, tune_baselines
from flowpose.config import RefineConfig, get_preset
from flowpose.estimate.mediapipe import EstimateConfig
from flowpose.io.poses import load_poses
from flowpose.io.video import open_video
from flowpose.metrics import pa_mpjpe, swapped_limbs
from flowpose.refinement.table import format_table

REPO = Path(__file__).resolve().parents[1]
HEAD = 10
"""H36M-17 head top: MediaPipe has no such landmark, so it is NaN in the estimate and the pseudo ground truth;
every score leaves it out (16 joints)."""
MIN_JOINTS = 12
"""A frame is scored when the pseudo ground truth has its pelvis and at least this many of the 16 joints (the
right arm was often occluded in the views that agree)."""
VIDEOS = REPO.parent / "shared" / "data" / "video" / "pose2sim_multiperson" / "videos"


def scores(joints: np.ndarray, gt: np.ndarray, keep: np.ndarray) -> dict[str, float]:
    """Metrics of (T, 17, 3) camera-frame joints against the pseudo ground truth on the ``keep`` frames, over
    the joints the pseudo ground truth has (never the head); the acceleration error (root-aligned,
    mm/frame^2) only where three consecutive frames are kept."""
    scored = [k for k in range(17) if k != HEAD]
    rel_j, rel_g = (joints - joints[:, :1])[:, scored], (gt - gt[:, :1])[:, scored]
    rel_j = np.where(np.isfinite(rel_g), rel_j, np.nan)
    j, g = rel_j[keep], rel_g[keep]
    acc = lambda x: x[2:] - 2 * x[1:-1] + x[:-2]  # noqa: E731
    triple = keep[2:] & keep[1:-1] & keep[:-2]
    accel = np.nanmean(np.linalg.norm(acc(rel_j) - acc(rel_g), axis=-1)[triple]) * 1000.0 if triple.any() else np.nan
    return {"mpjpe": float(np.nanmean(np.linalg.norm(j - g, axis=-1)) * 1000.0), "pa_mpjpe": float(pa_mpjpe(j, g)),
            "accel_error": float(accel), "swapped": float(swapped_limbs(joints[keep], gt[keep]).sum())}


def score_runs(name: str, runs: dict, gt: np.ndarray, keep: np.ndarray) -> dict[str, dict[str, float]]:
    """A real-set experiment's runs on pair ``name`` (run -> ``RefineResult``) scored (:func:`scores`); prints
    each run's MPJPE / PA-MPJPE (mm) on one line."""
    row = {k: scores(r.poses.joints3d, gt, keep) for k, r in runs.items()}
    print(f"{name}: " + ", ".join(f"{k} {m['mpjpe']:.1f} / {m['pa_mpjpe']:.1f}" for k, m in row.items()), flush=True)
    return row


REFERENCES = ("all", "heldout", "yolo-heldout")
"""The pseudo ground truths a real-set experiment can score against (``--reference``)."""


def experiment_parser(description: str, strides: str | None = None, reference: bool = True) -> argparse.ArgumentParser:
    """The argument parser of a real-set experiment: ``--devset``, ``--views``, ``--cycles``, ``--reference``
    unless ``reference`` is False (an experiment that scores against both), and ``--strides`` (long-range spans,
    frames, comma-separated) when given its default."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--views", default="cam01,cam02,cam03,cam04")
    p.add_argument("--cycles", type=int, default=3)
    if reference:
        p.add_argument("--reference", choices=REFERENCES, default="all",
                       help="all: people_gt.npz, triangulated from every view; heldout: people_gt.heldout.npz, each "
                       "view's reference triangulated without it (build_pose2sim_heldout.py); yolo-heldout: the same "
                       "from YOLO11n-pose's keypoints, not MediaPipe's (experiments/yolo_reference.py)")
    if strides is not None:
        p.add_argument("--strides", default=strides, help="long-range spans, frames, comma-separated (e.g. 3,9,27)")
    return p


def baseline_runs(init, frames, config: RefineConfig) -> dict:
    """The two runs a real-set experiment sets beside its own: ``"without flow"`` (the flow term off) and
    ``"flowpose"`` (``config`` as it is); run name -> ``RefineResult``."""
    return {"without flow": refine(init, frames, config=NO_FLOW_RUNS["flow_off"](config)),
            "flowpose": refine(init, frames, config=config)}


def with_spans(config: RefineConfig, strides: str) -> RefineConfig:
    """``config`` with L_opt's long-range spans set to ``strides`` (frames, comma-separated)."""
    spans = tuple(int(k) for k in strides.split(",") if k)
    return replace(config, pose=replace(config.pose, long_range_strides=spans))


def print_mean_table(results: list[dict[str, dict[str, float]]], baseline: str = "without flow") -> None:
    """The markdown table of a real-set experiment: each run's mean MPJPE, PA-MPJPE and acceleration error over
    the pairs (``results``: one dict per pair, run -> :func:`scores`), and its MPJPE against ``baseline``'s."""
    print(f"\n| run | MPJPE mm | PA-MPJPE mm | accel err mm/f² | MPJPE against {baseline} |\n|---|---|---|---|---|")
    base = np.mean([r[baseline]["mpjpe"] for r in results])
    for key in results[0]:
        means = [np.mean([r[key][m] for r in results]) for m in ("mpjpe", "pa_mpjpe", "accel_error")]
        print(f"| {key} | {means[0]:.1f} | {means[1]:.1f} | {means[2]:.2f} | {100 * (means[0] / base - 1):+.1f}% |")


def print_estimate_table(estimates: list[dict[str, dict[str, float]]]) -> None:
    """The markdown table of initial estimates scored as they are: each one's mean MPJPE and PA-MPJPE over the pairs
    (``estimates``: one dict per pair, estimate -> :func:`scores`)."""
    print("\n| estimate | MPJPE mm | PA-MPJPE mm |\n|---|---|---|")
    for key in estimates[0]:
        print(f"| {key} | {np.mean([r[key]['mpjpe'] for r in estimates]):.1f} | "
              f"{np.mean([r[key]['pa_mpjpe'] for r in estimates]):.1f} |")


def paired_gain(results: list[dict[str, dict[str, float]]], run: str, against: str, metric: str) -> tuple[float, float, float, int]:
    """``run``'s mean ``metric`` over the pairs against ``against``'s, %, with its 95% percentile interval over the
    pairs drawn again (2,000 draws, seed 0; the pairs share one clip), and the pairs it betters."""
    a = np.array([r[run][metric] for r in results])
    b = np.array([r[against][metric] for r in results])
    draws = np.random.default_rng(0).integers(0, len(a), (2000, len(a)))
    low, high = np.percentile(100 * (a[draws].mean(1) / b[draws].mean(1) - 1), [2.5, 97.5])
    return float(100 * (a.mean() / b.mean() - 1)), float(low), float(high), int((a < b).sum())


def longest_run(mask: np.ndarray) -> tuple[int, int]:
    """[start, stop) of the longest run of True in a (T,) bool mask ((0, 0) when there is none)."""
    best, start = (0, 0), None
    for t, m in enumerate([*mask.tolist(), False]):
        if m and start is None:
            start = t
        elif not m and start is not None:
            best = max(best, (start, t), key=lambda r: r[1] - r[0])
            start = None
    return best


def tracked_estimate(video: Path, gt: np.ndarray, K: np.ndarray, cache: Path, found: dict, config):
    """The poses of the track nearest the triangulated person (everyone followed with MediaPipe under ``config``,
    an ``EstimateConfig``), cached; ``found`` keeps each video's people between the persons of one run."""
    from flowpose.estimate.people import find_people
    from flowpose.io.poses import save_poses
    from flowpose.joint_map import to_h36m17
    from flowpose.people.select import track_keypoints
    from flowpose.skeleton import MEDIAPIPE33

    made_from = np.ascontiguousarray(gt, np.float64).tobytes()  # the track is chosen by the reference
    if is_fresh(cache, Path(__file__), made_from):
        return load_poses(cache)
    if video not in found:
        with open_video(video) as reader:
            found[video] = find_people(reader.read(), config, fps=reader.fps)
    people = found[video]
    gt_px = gt @ K.T
    gt_px = gt_px[..., :2] / gt_px[..., 2:]
    with warnings.catch_warnings():  # frames the reference (or a track) misses are NaN and left out
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        height = np.nanmax(gt_px[..., 1], axis=1) - np.nanmin(gt_px[..., 1], axis=1)

    def distance(track) -> float:
        kp, _ = track_keypoints(track, people.detections, len(people.detections))
        d = np.linalg.norm(to_h36m17(kp, MEDIAPIPE33.name, missing="nan") - gt_px, axis=-1)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
            return float(np.nanmedian(np.nanmedian(d, axis=1) / height))

    best = min(people.tracks, key=distance)
    poses = people.poses(best, K)
    save_poses(poses, cache)
    stamp(cache, Path(__file__), made_from)
    print(f"{video.stem}: track {best.id} of {len(people.tracks)} is the triangulated person "
          f"({len(best.frames)} frames, median distance {distance(best) * 100:.0f}% of height)", flush=True)
    return poses


def heldout_references(devset: Path) -> dict[str, np.ndarray]:
    """``people_gt.heldout.npz`` (``build_pose2sim_heldout.py``): view name -> (P, T, 17, 3) world metres, each
    person triangulated without that view."""
    with np.load(fresh_reference(devset / "people_gt.heldout.npz")) as d:
        return dict(zip(d["views"].tolist(), d["joints3d_world"].astype(np.float64)))


def yolo_detections(folder: Path) -> bytes:
    """The bytes of ``yolo_keypoints.py``'s detection files in ``folder`` (``cam*.coco.json``, in name order): what a
    YOLO-made reference was triangulated from, part of its stamp."""
    return b"".join(f.read_bytes() for f in sorted(folder.glob("cam*.coco.json")))


def yolo_references(devset: Path) -> dict[str, np.ndarray]:
    """``experiments/yolo_reference.py``'s held-out reference, triangulated from YOLO11n-pose's keypoints (beside the
    real set's folder, ``yolo11n_pose/people_gt.heldout.npz``): view name -> (P, T, 17, 3) world metres.

    Raises:
        SystemExit: where it is missing or was made by other code than this, with the commands that make it.
    """
    path = devset.parent / "yolo11n_pose" / "people_gt.heldout.npz"
    if not is_fresh(path, Path(__file__).parent / "experiments" / "yolo_reference.py", yolo_detections(path.parent)):
        raise SystemExit(f"{path}: missing or stale; make it (after the real set) with: python "
                         "benchmarks/experiments/yolo_keypoints.py --weights yolo11n-pose.pt (its docstring: where the "
                         "weights come from) && python benchmarks/experiments/yolo_reference.py")
    with np.load(path) as d:
        return dict(zip(d["views"].tolist(), d["joints3d_world"].astype(np.float64)))


def tracked_pairs(devset: Path, views: str, reference: str = "all"):
    """Each view-person pair of the real set with its tracked estimate as ``--everyone`` cached it: yields
    (``"camXX/pN"``, frames (T, H, W, 3), pseudo ground truth (T, 17, 3) camera metres, estimate, the frames
    scored (T,) bool). ``reference`` is one of :data:`REFERENCES`."""
    if reference == "heldout":
        by_view = heldout_references(devset)
    elif reference == "yolo-heldout":
        by_view = yolo_references(devset)
    else:
        everyone = np.load(fresh_reference(devset / "people_gt.npz"))["joints3d_world"].astype(np.float64)
    for view in views.split(","):
        people = everyone if reference == "all" else by_view[view]
        with np.load(devset / f"{view}.camera.npz") as c:
            R, t = c["R"], c["t"]
        with open_video(VIDEOS / f"{view}.mp4") as reader:
            frames = reader.read()
        for person in range(len(people)):
            init = load_poses(devset / f"{view}.p{person}.tracked.poses.npz")
            gt, keep = in_view(people[person], R, t, init.conf.max(-1) > 0)
            yield f"{view}/p{person}", frames, gt, init, keep


def in_view(person: np.ndarray, R: np.ndarray, t: np.ndarray, followed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A person's (T, 17, 3) world-metre reference in a view's camera frame (rotation R (3, 3), translation t
    (3,)), and the frames it can score: the (T,) ``followed`` frames where it has the pelvis and at least
    :data:`MIN_JOINTS` joints."""
    gt = person @ R.T + t
    joints = np.isfinite(gt).all(-1)
    return gt, followed & joints[:, 0] & (joints.sum(1) >= MIN_JOINTS)


def main() -> None:
    """Score every method on every view and print the table (also written to ``--out``)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--videos", type=Path, default=VIDEOS)
    p.add_argument("--out", type=Path, default=REPO / "results" / "bench_real")
    p.add_argument("--cycles", type=int, default=3)
    p.add_argument("--preset", default="fast")
    p.add_argument("--views", default="cam01,cam02,cam03,cam04")
    p.add_argument("--estimates", choices=("devset", "tracked"), default="devset",
                   help="devset: the builder's per-frame MediaPipe poses (which hop between people), refined on the "
                   "longest run following the triangulated person; tracked: everyone followed "
                   "(flowpose.estimate.people), the track nearest the triangulated person, refined over the whole video")
    p.add_argument("--everyone", action="store_true",
                   help="with --estimates tracked: score every person triangulated by build_pose2sim_people.py "
                   "(people_gt.npz) in every view, not only the dev set's one person")
    p.add_argument("--separate", action="store_true",
                   help="tracked estimates with EstimateConfig.separate (overlapping people re-detected apart)")
    p.add_argument("--video-mode", action="store_true",
                   help="tracked estimates with EstimateConfig.tracking (MediaPipe's video mode, `estimate --track`)")
    p.add_argument("--variants", default="",
                   help="also run these uses of the flow, comma-separated, of " + ", ".join(FLOW_VARIANTS)
                   + " (flowpose.bench.runner.FLOW_VARIANTS)")
    p.add_argument("--heldout", action="store_true",
                   help="with --everyone: also score against people_gt.heldout.npz (each view's reference "
                   "triangulated without it; build_pose2sim_heldout.py)")
    p.add_argument("--max-steps", type=int, default=None,
                   help="the pose stage's iteration cap per flow round (default: the preset's); 200, the cap before "
                   "the sixteenth session, prints that session's old figures on the current code")
    p.add_argument("--lens", action="store_true",
                   help="give each view's estimate its calibrated lens distortion (PoseSequence.dist): refinement "
                   "then runs on the undistorted frames and 2D; default: the pinhole K alone, as before")
    p.add_argument("--min-frames", type=int, default=20,
                   help="score a view only if its detector followed the triangulated person in this many frames")
    p.add_argument("--save-outputs", action="store_true",
                   help="also write outputs.npz to --out: per pair its frames, references, scored frames and every "
                   "method's joints, so that two runs can be compared frame by frame against one reference "
                   "(benchmarks/experiments/same_frames.py)")
    args = p.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    if any(v not in FLOW_VARIANTS for v in variants):
        p.error(f"--variants: expected some of {', '.join(FLOW_VARIANTS)}, got {args.variants}")
    args.out.mkdir(parents=True, exist_ok=True)
    config = replace(get_preset(args.preset), cycles=args.cycles)
    if args.max_steps is not None:
        config = replace(config, pose=replace(config.pose, max_steps=args.max_steps))
    tuning = get_clips(tuning_clip(REPO.parent / "shared" / "data" / "mocap"), profiles=("mediapipe",), frames=100,
                       size=256, seed=0, cache_dir=REPO / "results" / "cache")["mediapipe"]
    smoothers = {name: t.spec for name, t in tune_baselines(tuning).items()}
    if args.everyone and args.estimates != "tracked":
        p.error("--everyone needs --estimates tracked")
    if args.heldout and not args.everyone:
        p.error("--heldout needs --everyone")
    with np.load(fresh_reference(args.devset / "pseudo_gt.npz")) as d:
        people, valid = d["joints3d_world"].astype(np.float64)[None], d["valid"]
    if args.everyone:
        with np.load(fresh_reference(args.devset / "people_gt.npz")) as d:
            people = d["joints3d_world"].astype(np.float64)  # (P, T, 17, 3)
    if args.heldout:
        heldout = heldout_references(args.devset)
    per_view, per_view_heldout, found = {}, {}, {}
    saved: dict[str, np.ndarray] = {}
    for view, person in [(v, q) for v in args.views.split(",") for q in range(len(people))]:
        with np.load(args.devset / f"{view}.camera.npz") as c:
            R, t, K, lens = c["R"], c["t"], c["K"], c["dist"]
        gt = people[person] @ R.T + t
        gt_joints = np.isfinite(gt).all(-1)
        name = f"{view}/p{person}" if args.everyone else view
        if args.estimates == "tracked":
            kind = "tracked" + ".separate" * args.separate + ".video_mode" * args.video_mode
            cache = args.devset / (f"{view}.p{person}.{kind}.poses.npz" if args.everyone else f"{view}.{kind}.poses.npz")
            estimator = EstimateConfig(people=3, separate=args.separate, tracking=args.video_mode)
            init = tracked_estimate(args.videos / f"{view}.mp4", gt, K, cache, found, estimator)
            followed = init.conf.max(-1) > 0
            start, stop = 0, init.num_frames
        else:
            init = load_poses(args.devset / f"{view}.poses.npz")
            followed = valid[:, int(view[-2:]) - 1]
            # The per-frame detector hops between people on these views: refine the longest run of frames in
            # which it followed the triangulated person, as a user would cut the video.
            start, stop = longest_run(followed)
        finite = np.isfinite(init.joints3d)
        finite[:, HEAD] = True
        keep = followed & gt_joints[:, 0] & (gt_joints.sum(1) >= MIN_JOINTS) & finite.all((1, 2))
        keep[:start], keep[stop:] = False, False
        if args.heldout:
            gt_h, keep_h = in_view(heldout[view][person], R, t, followed & finite.all((1, 2)))
        if keep.sum() < args.min_frames:
            print(f"{name}: skipped, its detector followed the triangulated person in at most {int(keep.sum())} "
                  "consecutive scorable frames")
            continue
        init, gt, keep = init.slice(start, stop), gt[start:stop], keep[start:stop]
        if args.lens:
            init = replace(init, dist=lens)
        with open_video(args.videos / f"{view}.mp4") as reader:
            frames = reader.read(start, stop)
        outputs = {"estimate": init.joints3d}
        outputs.update({method: spec.apply(init.joints3d, init.fps) for method, spec in smoothers.items()})
        methods: dict[str, dict[str, float]] = {k: scores(j, gt, keep) for k, j in outputs.items()}
        runs = [*NO_FLOW_RUNS.items(), ("flowpose", lambda c: c)]
        runs += [(f"flowpose_{v}", FLOW_VARIANTS[v]) for v in variants]
        for method, change in runs:
            clock = time.perf_counter()
            result = refine(init, frames, config=change(config))
            methods[method] = {**scores(result.poses.joints3d, gt, keep), "seconds": time.perf_counter() - clock}
            methods[method]["repaired"] = result.history[0].metrics.get("swaps_repaired", 0.0)
            outputs[method] = result.poses.joints3d
        per_view[name] = {"frames": [int(start), int(stop)], "frames_scored": int(keep.sum()), "methods": methods}
        if args.save_outputs:
            saved.update({f"{name}|{k}": v for k, v in outputs.items()})
            saved.update({f"{name}|:start": np.array(start), f"{name}|:gt": gt, f"{name}|:keep": keep})
            if args.heldout:
                saved.update({f"{name}|:gt_heldout": gt_h[start:stop], f"{name}|:keep_heldout": keep_h[start:stop]})
        print(f"{name}: frames {start}-{stop - 1}, {int(keep.sum())} scored; " + ", ".join(f"{n} {m['mpjpe']:.1f}" for n, m in methods.items()),
              flush=True)
        if args.heldout and keep_h.sum() >= args.min_frames:
            held = {k: {**scores(j, gt_h, keep_h), **{x: methods[k][x] for x in ("seconds", "repaired") if x in methods[k]}}
                    for k, j in outputs.items()}
            per_view_heldout[name] = {"frames": [int(start), int(stop)], "frames_scored": int(keep_h.sum()), "methods": held}
            print(f"{name}, held-out reference: {int(keep_h.sum())} scored; "
                  + ", ".join(f"{n} {m['mpjpe']:.1f}" for n, m in held.items()), flush=True)
        elif args.heldout:
            print(f"{name}, held-out reference: {int(keep_h.sum())} scorable frames, fewer than --min-frames; left out")
    if args.save_outputs:
        np.savez_compressed(args.out / "outputs.npz", **saved)
    tables = [("table", per_view, "the reference triangulated from every view")]
    if args.heldout:
        tables.append(("table.heldout", per_view_heldout, "the reference triangulated without the scored view"))
    for stem, pv, what in tables:
        table = format_table(["view", "method", "MPJPE mm", "PA-MPJPE mm", "accel err mm/f²", "swapped frames", "seconds"],
                             table_rows(pv))
        print(f"\nAgainst {what}:\n{table}")
        (args.out / f"{stem}.txt").write_text(table + "\n")
        (args.out / f"{stem.replace('table', 'results')}.json").write_text(json.dumps(
            {"config": args.preset, "cycles": args.cycles, "lens": args.lens, "max_steps": config.pose.max_steps, "smoothers": {k: str(s) for k, s in smoothers.items()},
             "views": pv}, indent=1))


def table_rows(per_view: dict[str, dict]) -> list[list[str]]:
    """The rows of the benchmark's table: each pair's methods, then each method's mean over the pairs
    (``per_view``: pair -> {"methods": method -> :func:`scores` with ``seconds`` where timed})."""
    rows = []
    for name, pv in per_view.items():
        for method, m in pv["methods"].items():
            rows.append([name, method, f"{m['mpjpe']:.1f}", f"{m['pa_mpjpe']:.1f}", f"{m['accel_error']:.2f}",
                         f"{m['swapped']:.0f}", f"{m.get('seconds', float('nan')):.1f}"])
    for method in next(iter(per_view.values()))["methods"]:
        ms = [pv["methods"][method] for pv in per_view.values()]
        mean = {k: float(np.mean([m[k] for m in ms])) for k in ("mpjpe", "pa_mpjpe", "accel_error", "swapped")}
        secs = [m["seconds"] for m in ms if "seconds" in m]
        rows.append(["mean", method, f"{mean['mpjpe']:.1f}", f"{mean['pa_mpjpe']:.1f}", f"{mean['accel_error']:.2f}",
                     f"{mean['swapped']:.1f}", f"{np.mean(secs):.1f}" if secs else "-"])
    return rows


if __name__ == "__main__":
    main()
