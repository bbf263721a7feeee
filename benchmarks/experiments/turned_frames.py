"""Which way round the tracker reads a person MediaPipe turns round, frame by frame, against the reference; and
whether deciding it over the whole track from the 2D alone reads it better.

MediaPipe sometimes labels a person with left and right exchanged (it takes a body facing the camera for one facing
away); :func:`flowpose.people.track.track_people` follows such a person by matching each detection also with its
sides exchanged, frame by frame against the track's prediction, and marks the frames read the other way round
(``Track.turned``). For each view of the real set, everyone is found as ``bench_real.py --estimates tracked`` finds
them (``find_people``, ``EstimateConfig(people=3)``), each track is paired with the reference person its keypoints
lie nearest (projected into the view with its lens), and in each of its frames the reference's labelling is taken
to be the detection's own or exchanged, whichever lies nearer the projected reference (median over the lateral
joints, Human3.6M-17, confidence >= 0.3, at least 2). Printed per track: frames, frames turned by the reference,
and frames where the tracker reads it otherwise.

Beside it, a labelling decided over the whole track (a two-state Viterbi path): each frame's detection is read as
labelled or exchanged; consecutive detections cost the median distance of their lateral joints, in body sizes, and
each exchanged frame costs ``lam`` more (the detector's own labels are believed unless the motion says otherwise;
with ``lam`` 0, most frames' labelling is taken as the track's, as the tracker takes it).

    python benchmarks/experiments/turned_frames.py [--reference all|heldout] [--lams 0,0.02,0.05,0.1,0.2] [--show cam03] [--turn-dist 0.08]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_real import VIDEOS, experiment_parser, heldout_references  # noqa: E402
from build_pose2sim_devset import project  # noqa: E402
from cache_stamp import fresh_reference  # noqa: E402

from flowpose.estimate.mediapipe import EstimateConfig  # noqa: E402
from flowpose.estimate.people import SIDES, find_people  # noqa: E402
from flowpose.io.video import open_video  # noqa: E402
from flowpose.joint_map import to_h36m17  # noqa: E402
from flowpose.people.track import TrackConfig  # noqa: E402
from flowpose.skeleton import H36M17, MEDIAPIPE33  # noqa: E402

MIN_CONF = 0.3
FLIP33 = np.asarray(SIDES)
LATERAL33 = FLIP33 != np.arange(len(FLIP33))
FLIP17 = np.asarray(H36M17.flip_permutation)
LATERAL17 = FLIP17 != np.arange(17)


def viterbi_exchanged(keypoints: list[np.ndarray], conf: list[np.ndarray], lam: float) -> np.ndarray:
    """(n,) bool: the frames read exchanged on the cheapest path (module docstring); keypoints (33, 2) px, conf (33,)."""
    n = len(keypoints)
    cost = np.array([0.0, lam])
    back = np.zeros((n, 2), int)
    for i in range(1, n):
        pair = np.zeros((2, 2))
        seen = conf[i] >= MIN_CONF
        if seen.any():
            extent = np.ptp(keypoints[i][seen], axis=0)
            scale = np.sqrt(max(float(extent[0] * extent[1]), 1.0))
        else:
            scale = 1.0
        for a in range(2):
            prev = keypoints[i - 1][FLIP33] if a else keypoints[i - 1]
            prev_seen = (conf[i - 1][FLIP33] if a else conf[i - 1]) >= MIN_CONF
            for b in range(2):
                now = keypoints[i][FLIP33] if b else keypoints[i]
                both = prev_seen & ((conf[i][FLIP33] if b else conf[i]) >= MIN_CONF) & LATERAL33
                if both.sum() >= 2:
                    pair[a, b] = np.median(np.linalg.norm(now[both] - prev[both], axis=-1)) / scale
        total = cost[:, None] + pair
        back[i] = total.argmin(0)
        cost = total.min(0) + np.array([0.0, lam])
    path = np.zeros(n, int)
    path[-1] = int(cost.argmin())
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    exchanged = path.astype(bool)
    # Without a cost the path and its mirror cost the same: the labelling most frames give is the track's (as the
    # tracker takes it).
    return ~exchanged if lam == 0 and 2 * exchanged.sum() > n else exchanged


def project_finite(X: np.ndarray, camera: dict) -> np.ndarray:
    """(..., 3) world metres -> (..., 2) px through the view's lens (the builders' ``project``); NaN stays NaN."""
    flat = X.reshape(-1, 3)
    ok = np.isfinite(flat).all(-1)
    px = np.full((len(flat), 2), np.nan)
    if ok.any():
        px[ok] = project(flat[ok], camera)
    return px.reshape(*X.shape[:-1], 2)


def main() -> None:
    p = experiment_parser(__doc__.splitlines()[0])
    p.add_argument("--lams", default="0,0.02,0.05,0.1,0.2", help="costs of a frame read exchanged, body sizes")
    p.add_argument("--show", default="", help="views whose tracks are printed frame by frame")
    p.add_argument("--turn-dist", type=float, default=TrackConfig().turn_dist,
                   help="TrackConfig.turn_dist: the gate within which a detection is matched with its sides exchanged")
    args = p.parse_args()
    if args.reference == "heldout":
        references = heldout_references(args.devset)
    else:
        everyone = np.load(fresh_reference(args.devset / "people_gt.npz"))["joints3d_world"].astype(np.float64)
        references = {v: everyone for v in args.views.split(",")}
    lams = [float(x) for x in args.lams.split(",")]
    totals = np.zeros(1 + len(lams), int)
    for view in args.views.split(","):
        with np.load(args.devset / f"{view}.camera.npz") as c:
            camera = {k: c[k] for k in ("R", "t", "K", "dist")}
        with open_video(VIDEOS / f"{view}.mp4") as reader:
            found = find_people(reader.read(), EstimateConfig(people=3), fps=reader.fps,
                                track_config=TrackConfig(turn_dist=args.turn_dist))
        truth_px = [project_finite(person, camera) for person in references[view]]
        for track in found.tracks:
            dets = track.detections(found.detections)
            kp = [d.keypoints.astype(np.float64) for d in dets]
            cf = [d.conf.astype(np.float64) for d in dets]
            k17 = np.stack([to_h36m17(x, MEDIAPIPE33.name, missing="nan") for x in kp])
            c17 = np.stack([to_h36m17(c[:, None], MEDIAPIPE33.name, missing="nan")[:, 0] for c in cf])
            with np.errstate(invalid="ignore"):
                nearest = [np.nanmedian(np.linalg.norm(k17 - g[track.frames], axis=-1)) for g in truth_px]
            person = int(np.nanargmin(nearest))
            g = truth_px[person][track.frames]
            own = np.linalg.norm(k17 - g, axis=-1)
            exch = np.linalg.norm(k17[:, FLIP17] - g, axis=-1)
            use = LATERAL17[None] & (c17 >= MIN_CONF) & np.isfinite(own) & np.isfinite(exch)
            known = use.sum(1) >= 2
            truth = np.array([k and np.median(e[u]) < np.median(o[u]) for k, e, o, u in zip(known, exch, own, use)])
            wrong = [int((track.turned != truth)[known].sum())]
            wrong += [int((viterbi_exchanged(kp, cf, lam) != truth)[known].sum()) for lam in lams]
            totals += wrong
            print(f"{view} track {track.id} (reference person {person}): {int(known.sum())} frames judged, "
                  f"{int(truth[known].sum())} turned by the reference; read otherwise by the tracker {wrong[0]}, "
                  + ", ".join(f"by the path with lam {lam:g} {w}" for lam, w in zip(lams, wrong[1:]))
                  + f"; the tracker's wrong frames {track.frames[known & (track.turned != truth)].tolist()}", flush=True)
            if view in args.show.split(","):
                for i, t in enumerate(track.frames):
                    if known[i]:
                        print(f"  frame {t:3d}: as labelled {np.median(own[i][use[i]]):6.1f} px, exchanged "
                              f"{np.median(exch[i][use[i]]):6.1f} px ({int(use[i].sum())} joints); tracker "
                              f"{'turned' if track.turned[i] else 'as labelled'}, reference "
                              f"{'turned' if truth[i] else 'as labelled'}")
    print(f"frames read otherwise, all tracks: tracker {totals[0]}, "
          + ", ".join(f"path with lam {lam:g} {w}" for lam, w in zip(lams, totals[1:])))


if __name__ == "__main__":
    main()
