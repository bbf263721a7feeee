"""People on the real multi-person clip: who is found, followed and chosen in each view.

On ``../shared/data/video/pose2sim_multiperson/`` (4 views, 100 frames, three people), runs
:func:`flowpose.estimate.people.find_people` (MediaPipe, the ``estimate`` extra) on every view, prints each
view's tracks and, for the default track (the most prominent), the frames it covers, the largest jump of its
box centre between consecutive frames (in % of the frame width; the target is <= 10%), and how far its
keypoints lie from the projection of the person triangulated by ``build_pose2sim_devset.py`` (when that
output exists): a track that is that person lies within a few percent of the body height in every frame
where it is triangulated, a track that is somebody else never does. Writes each view's contact sheet
``camXX.people.png`` to ``--out``.

Identity joint by joint, given everyone triangulated by ``build_pose2sim_people.py`` (``people_gt.npz``):
each track's person is the triangulated person its trusted keypoints lie nearest overall, and a trusted
keypoint (visibility >= 0.5) is *foreign* when it lies more than 10% of its person's projected height from
that person's joint and nearer the same joint of someone else. A detector's chimera of two people, kept by
the track, shows as foreign keypoints; a track that follows one person throughout has none. The reference
is itself a measurement: where only two views triangulated the person, no third view can out-vote a wrong
detection, and the triangulated joint can be wrong. The table counts the foreign keypoints in frames with three
or more views apart, and ``camXX.foreign.png`` shows each foreign keypoint of the default track (a red cross)
beside its person's triangulated joint (green ring) and the other person's (blue), to be judged by eye. With
``--reference heldout`` (after ``build_pose2sim_heldout.py``) each view is judged against the people triangulated
without it, so that a keypoint of the track cannot pull its own reference toward itself; "3+ views" then counts
the other views.

The default track is carried along the flow through its holes of up to ``--carry`` frames
(:mod:`flowpose.people.carry`): the table gives the frames detected and carried, and the largest jump of the
keypoints' box centre over all of them. The carry is checked where the truth is known: runs of 3 and 6
detected frames are hidden (one run every 15 frames, where the run and its two neighbours are detected),
carried, and compared with the hidden detections, beside linear interpolation between the same neighbours.
Jumps: of the track's box centre between consecutive detected frames (the identity check), and the same box
between consecutive frames of all, the carried ones included (their box carried along the flow likewise).

    python benchmarks/bench_people.py [--views cam01,cam02] [--out results/people] [--agree-dist 0.08]
        [--reacquire-dist 0.15] [--rivals] [--separate] [--reference all|heldout]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import cv2
import numpy as np
from bench_real import REFERENCES, heldout_references
from cache_stamp import fresh_reference

from flowpose.estimate.mediapipe import EstimateConfig
from flowpose.estimate.people import find_people, flow_motion
from flowpose.io.video import open_video
from flowpose.joint_map import to_h36m17
from flowpose.people.carry import carry_keypoints, interpolate_holes
from flowpose.people.detections import box_centre, keypoint_box
from flowpose.people.select import track_keypoints
from flowpose.people.sheet import contact_sheet, write_contact_sheet
from flowpose.people.track import TrackConfig
from flowpose.skeleton import H36M17, MEDIAPIPE33

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "video" / "pose2sim_multiperson"


def project(points_world: np.ndarray, cam: dict[str, np.ndarray]) -> np.ndarray:
    """(..., 3) world metres -> (..., 2) px with the view's calibration (distortion included)."""
    flat = points_world.reshape(-1, 3).astype(np.float64)
    ok = np.isfinite(flat).all(-1)
    out = np.full((flat.shape[0], 2), np.nan)
    if ok.any():
        rvec, _ = cv2.Rodrigues(cam["R"])
        px, _ = cv2.projectPoints(flat[ok], rvec, cam["t"].astype(np.float64), cam["K"], cam["dist"])
        out[ok] = px[:, 0]
    return out.reshape(points_world.shape[:-1] + (2,))


def foreign_keypoints(track, detections, people_px: np.ndarray) -> tuple[int, np.ndarray, int, np.ndarray]:
    """Identity of a track joint by joint (module docstring) against (P, T, 17, 2) projected people.

    Returns:
        (the track's person, (T, 17) bool: the foreign keypoints, the number of trusted keypoints, (T, 17, 2)
        the track's keypoints in H36M-17 order, px).
    """
    T = people_px.shape[1]
    kp, conf = track_keypoints(track, detections, T)
    kp17 = to_h36m17(kp, MEDIAPIPE33.name, missing="nan")
    conf17 = to_h36m17(conf[..., None], MEDIAPIPE33.name, missing="nan")[..., 0]
    d = np.linalg.norm(kp17[None] - people_px, axis=-1)  # (P, T, 17)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames without anyone triangulated
        height = np.nanmax(people_px[..., 1], -1) - np.nanmin(people_px[..., 1], -1)  # (P, T)
        own = int(np.nanargmin(np.nanmedian(d.reshape(len(d), -1), axis=1)))
    # Judged where the track's own person is triangulated; someone else counts only where they are too.
    ok = (np.nan_to_num(conf17) >= 0.5) & np.isfinite(kp17).all(-1) & np.isfinite(d[own])
    others = np.delete(d, own, axis=0) if len(d) > 1 else np.full((1, *d.shape[1:]), np.inf)
    others = np.nan_to_num(others, nan=np.inf).min(0)
    foreign = ok & (d[own] > 0.1 * height[own][:, None]) & (others < d[own])
    return own, foreign, int(ok.sum()), kp17


def foreign_crops(frames, foreign: np.ndarray, kp17: np.ndarray, people_px: np.ndarray, own: int,
                  side: int = 360) -> np.ndarray | None:
    """One crop per foreign keypoint, to judge it by eye: centred on the keypoint (red cross), wide enough to hold
    the track's triangulated person's joint (green ring) and the nearest other person's (blue ring), scaled to
    ``side`` px, in a row; None if none."""
    tiles = []
    for t, j in zip(*np.nonzero(foreign)):
        others = [p for p in range(len(people_px)) if p != own]
        other = min(others, key=lambda p: np.linalg.norm(people_px[p, t, j] - kp17[t, j]))
        marks = ((people_px[own, t, j], (0, 200, 0)), (people_px[other, t, j], (255, 80, 0)))
        reach = max(np.abs(point - kp17[t, j]).max() for point, _ in marks)
        half = int(max(side / 2, reach + 60))
        image = cv2.cvtColor(np.ascontiguousarray(frames[t]), cv2.COLOR_RGB2BGR)
        pad = cv2.copyMakeBorder(image, half, half, half, half, cv2.BORDER_CONSTANT)
        x, y = (int(round(v)) + half for v in kp17[t, j])
        thick = max(2, half // 60)
        for point, colour in marks:
            cv2.circle(pad, tuple(int(round(v)) + half for v in point), 4 * thick, colour, thick)
        cv2.drawMarker(pad, (x, y), (0, 0, 255), cv2.MARKER_CROSS, 10 * thick, thick)
        tile = cv2.resize(pad[y - half : y + half, x - half : x + half], (side, side), interpolation=cv2.INTER_AREA)
        cv2.putText(tile, f"frame {t} {H36M17.joint_names[j]}", (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                    (255, 255, 255), 2)
        tiles.append(tile)
    return np.hstack(tiles) if tiles else None


def held_out_carry(frames, people, track, max_gap: int) -> dict[int, tuple[float, float, int]]:
    """Hide runs of detected frames, carry them along the flow and interpolate them; compare with the hidden
    detections. Returns, per run length, (median error along the flow, by interpolation, number of runs), the
    errors in % of the keypoints' box height (joints of visibility >= 0.5)."""
    T = len(frames)
    kp, conf = track_keypoints(track, people.detections, T)
    kp = kp.astype(np.float64)
    seen = np.isfinite(kp).all(-1).any(-1)
    forward, backward = flow_motion(frames), flow_motion(frames, backward=True)
    out = {}
    for length in (3, 6):
        carry_errs, interp_errs = [], []
        for s in range(1, T - length - 1, 15):
            if not seen[s - 1 : s + length + 1].all() or length > max_gap:
                continue
            hide = np.zeros(T, bool)
            hide[s : s + length] = True
            carried, _ = carry_keypoints(kp, seen & ~hide, forward, backward, length)
            interp = interpolate_holes(kp, seen & ~hide, hide)
            good = conf[hide] >= 0.5
            height = np.nanmax(kp[hide][..., 1], axis=1) - np.nanmin(kp[hide][..., 1], axis=1)
            for guess, errs in ((carried, carry_errs), (interp, interp_errs)):
                d = np.linalg.norm(guess[hide] - kp[hide], axis=-1) / height[:, None] * 100
                errs.append(float(np.nanmedian(d[good])))
        if carry_errs:
            out[length] = (float(np.median(carry_errs)), float(np.median(interp_errs)), len(carry_errs))
    return out


def main() -> None:
    """Run every view and print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--devset", type=Path, default=REPO / "results" / "pose2sim")
    p.add_argument("--views", default="cam01,cam02,cam03,cam04")
    p.add_argument("--people", type=int, default=3)
    p.add_argument("--out", type=Path, default=REPO / "results" / "people")
    p.add_argument("--carry", type=int, default=EstimateConfig().carry_frames, help="longest hole carried, frames")
    p.add_argument("--agree-dist", type=float, default=TrackConfig().agree_dist,
                   help="TrackConfig.agree_dist, body sizes (the tracker's per-joint gate)")
    p.add_argument("--reacquire-dist", type=float, default=TrackConfig().reacquire_dist,
                   help="TrackConfig.reacquire_dist, body sizes (the gate of a joint refused the frame before)")
    p.add_argument("--separate", action="store_true",
                   help="EstimateConfig.separate: overlapping people re-detected with the others painted over")
    p.add_argument("--rivals", action="store_true",
                   help="TrackConfig.rivals: refuse joints nearer another track's prediction than their own")
    p.add_argument("--reference", choices=REFERENCES, default="all",
                   help="all: people_gt.npz; heldout: each view against people_gt.heldout.npz, triangulated without it")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    gt = np.load(fresh_reference(args.devset / "pseudo_gt.npz")) if (args.devset / "pseudo_gt.npz").exists() else None
    everyone = members = None
    if (args.devset / "people_gt.npz").exists():
        with np.load(fresh_reference(args.devset / "people_gt.npz")) as z:
            everyone, members = z["joints3d_world"], z["members"]  # (P, T, 17, 3), (P, T, V)
    heldout = heldout_references(args.devset) if args.reference == "heldout" else None
    identity_rows = []
    rows = []
    held: dict[int, list[tuple[float, float, int]]] = {}
    for view in args.views.split(","):
        with open_video(args.data / "videos" / f"{view}.mp4") as reader:
            frames, fps = reader.read(), reader.fps
        start = time.perf_counter()
        track_config = TrackConfig(agree_dist=args.agree_dist, reacquire_dist=args.reacquire_dist,
                                   rivals=args.rivals)
        people = find_people(frames, EstimateConfig(people=args.people, separate=args.separate), fps=fps,
                             track_config=track_config)
        seconds = time.perf_counter() - start
        H, W = people.image_size
        T = len(frames)
        print(f"\n{view}: {seconds:.0f} s, detections per frame {np.mean([len(d) for d in people.detections]):.2f}")
        for tr in people.tracks:
            centres = np.array([box_centre(b) for b in tr.boxes()])
            print(f"  track {tr.id}: frames {tr.frames[0]}-{tr.frames[-1]} ({len(tr.frames)}), "
                  f"prominence {tr.prominence:.3g}, mean centre ({centres[:, 0].mean():.0f}, {centres[:, 1].mean():.0f})")
        write_contact_sheet(args.out / f"{view}.people.png", contact_sheet(frames, people.tracks))
        reference, views = everyone, None
        if everyone is not None:
            # This view's reference and, per person and frame, how many views triangulated it.
            seen = members >= 0
            if heldout is not None:
                reference = heldout[view]
                seen = np.delete(seen, list(heldout).index(view), axis=-1)
            views = seen.sum(-1)  # (P, T)
            cam = dict(np.load(args.devset / f"{view}.camera.npz"))
            people_px = project(reference, cam)  # (P, T, 17, 2)
            for tr in people.tracks:
                own, foreign, n_trusted, kp17 = foreign_keypoints(tr, people.detections, people_px)
                mixed = np.flatnonzero(foreign.any(-1))
                frames_mixed = mixed.tolist()
                # Frames where at least three views triangulated the person: a two-view point has no view to
                # out-vote a wrong detection, and can itself be wrong.
                sure = views[own][mixed] >= 3
                identity_rows.append((view, tr.id, f"{tr.frames[0]}-{tr.frames[-1]} ({len(tr.frames)})", own,
                                      n_trusted, int(foreign.sum()), int(foreign[views[own] >= 3].sum()),
                                      frames_mixed, sure))
                crops = foreign_crops(frames, foreign, kp17, people_px, own) if tr.id == 0 else None
                if crops is not None:
                    cv2.imwrite(str(args.out / f"{view}.foreign.png"), crops)
        if not people.tracks:
            rows.append((view, 0, float("nan"), float("nan"), "-"))
            continue
        best = people.tracks[0]
        carried = people.carried(best, args.carry)
        poses = people.poses(best, frames=frames, carry_frames=args.carry)
        kp2d = poses.joints2d.copy()
        kp2d[poses.conf <= 0] = np.nan
        present = np.isfinite(kp2d).all(-1).any(-1)
        centres = np.array([box_centre(b) for b in best.boxes()])  # the detections' boxes
        consecutive = np.diff(best.frames) == 1
        jumps = np.linalg.norm(np.diff(centres, axis=0), axis=-1)[consecutive] / W * 100
        # The same boxes (the track's held joints) over the carried frames too: the state carried along the flow.
        state = np.full((T, *best.state.shape[1:]), np.nan)
        state[list(best.frames)] = best.state
        state, _ = carry_keypoints(state, np.isfinite(state).all(-1).any(-1), flow_motion(frames),
                                   flow_motion(frames, backward=True), args.carry)
        boxes = [keypoint_box(k, np.isfinite(k).all(-1)) for k in state]
        all_centres = np.array([box_centre(b) if b is not None else (np.nan, np.nan) for b in boxes])
        pelvis = np.linalg.norm(np.diff(all_centres, axis=0), axis=-1) / W * 100
        pelvis = pelvis[np.isfinite(pelvis)]
        errors = held_out_carry(frames, people, best, args.carry)
        for length, (carry_err, interp_err, n) in errors.items():
            print(f"  hidden runs of {length}: {n} runs, median keypoint error, % of box height: along the flow "
                  f"{carry_err:.1f}, linear interpolation {interp_err:.1f}")
            held.setdefault(length, []).append((carry_err, interp_err, n))
        match = "-"
        if gt is not None:
            cam = dict(np.load(args.devset / f"{view}.camera.npz"))
            # The default track's own person when everyone is triangulated, else the dev set's one person.
            own = foreign_keypoints(best, people.detections, project(reference, cam))[0] if reference is not None else None
            gt_px = project(gt["joints3d_world"] if own is None else reference[own], cam)  # (T, 17, 2)
            kp, conf = track_keypoints(best, people.detections, T)
            kp17 = to_h36m17(kp, MEDIAPIPE33.name, missing="nan")
            ok = np.isfinite(gt_px).all(-1).any(-1)
            height = np.full(T, np.nan)
            height[ok] = np.nanmax(gt_px[ok, :, 1], axis=1) - np.nanmin(gt_px[ok, :, 1], axis=1)
            d = np.linalg.norm(kp17 - gt_px, axis=-1)
            both = np.isfinite(d).any(-1)
            dist = np.full(T, np.nan)
            dist[both] = np.nanmedian(d[both], axis=1) / height[both]  # (T,)
            seen = np.isfinite(dist)
            near = int((dist[seen] < 0.1).sum())
            match = f"{near}/{int(seen.sum())} frames within 10% of height (median {np.nanmedian(dist) * 100:.0f}%)"
            match += "" if own is None else f", person {own}"
        rows.append((view, f"{len(best.frames)} + {int(carried.sum())} = {int(present.sum())}/{T}",
                     float(jumps.max()) if jumps.size else 0.0, float(pelvis.max()) if pelvis.size else 0.0,
                     len(people.tracks), match))
    print("\n| view | default track: frames detected + carried | largest box-centre jump between detections, "
          "% width | the same over detected and carried frames | tracks | vs triangulated person |")
    print("|---|---|---|---|---|---|")
    for view, n, jump, pelvis_jump, k, match in rows:
        print(f"| {view} | {n} | {jump:.1f} | {pelvis_jump:.1f} | {k} | {match} |")
    if identity_rows:
        print("\n| view | track | frames | triangulated person | trusted keypoints | foreign | of them where 3+ views "
              "triangulated the person | frames with a foreign keypoint (* two views only) |")
        print("|---|---|---|---|---|---|---|---|")
        for view, tid, span, own, n_trusted, n_foreign, n_sure, frames_mixed, sure in identity_rows:
            marked = [f"{t}" if s else f"{t}*" for t, s in zip(frames_mixed, sure)]
            shown = ", ".join(marked[:12]) + (" ..." if len(marked) > 12 else "")
            print(f"| {view} | {tid} | {span} | {own} | {n_trusted} | {n_foreign} | {n_sure} | {len(frames_mixed)}: {shown} |")
    for length, values in held.items():
        v = np.array(values)
        print(f"hidden runs of {length} frames, mean over views ({int(v[:, 2].sum())} runs): keypoint error "
              f"{v[:, 0].mean():.1f}% of box height along the flow, {v[:, 1].mean():.1f}% by linear interpolation")


if __name__ == "__main__":
    main()
