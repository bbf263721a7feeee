"""4D-Humans / PHALP results: per-frame detections regrouped into per-person tracks.

PHALP (the tracker of 4D-Humans, HMR 2.0) saves a joblib pickle, a dictionary from frame name to that frame's
detections, each field a list with one entry per detection:

- ``time``: the frame number (0 = the first frame); without it the frames are taken in key order;
- ``tid``: the track id of each detection; ``tracked_time``: frames since the track was last seen (0 = seen
  in this frame; other entries are the tracker's predictions, which are skipped here);
- ``smpl``: a dictionary per detection, ``global_orient`` (1, 3, 3) and ``body_pose`` (23, 3, 3) rotation
  matrices and ``betas`` (10,);
- ``camera``: the body's translation (3,), metres, in PHALP's camera (:func:`phalp_intrinsics`);
- ``bbox``: ``[x0, y0, w, h]`` px.

PHALP's camera has the focal length HMR 2.0 was trained with, 5000 px for a 256 px crop, scaled to the longest
image side (f = 5000 / 256 * max(W, H)), and the principal point at the image centre. Given another camera
(``--intrinsics``, ``--focal-px``), the translation is moved so that the body's origin projects to the same
pixel at the same image size (:func:`retarget_translation`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flowpose.errors import InputError

PHALP_FOCAL_PER_PX = 5000.0 / 256.0
"""PHALP's focal length per pixel of the image's longest side: HMR 2.0's 5000 px at its 256 px crops."""


def phalp_intrinsics(image_size: tuple[int, int]) -> np.ndarray:
    """PHALP's camera for an (H, W) image: f = 5000 / 256 * max(W, H) px, the principal point at the centre."""
    H, W = image_size
    f = PHALP_FOCAL_PER_PX * max(H, W)
    return np.array([[f, 0.0, W / 2.0], [0.0, f, H / 2.0], [0.0, 0.0, 1.0]])


def retarget_translation(transl: np.ndarray, K_from: np.ndarray, K_to: np.ndarray) -> np.ndarray:
    """A body translation seen through ``K_from``, moved so that ``K_to`` sees its origin at the same pixel and
    at the same image size: z' = z f'/f, then x', y' from the pixel (u, v) = f (x, y) / z + c.

    Args:
        transl: (n, 3) metres.
        K_from, K_to: (3, 3) pinhole intrinsics, px (fx and fy averaged).

    Returns:
        (n, 3) metres.
    """
    f_from = (K_from[0, 0] + K_from[1, 1]) / 2.0
    f_to = (K_to[0, 0] + K_to[1, 1]) / 2.0
    z = transl[:, 2] * f_to / f_from
    uv = f_from * transl[:, :2] / transl[:, 2:3] + K_from[:2, 2]
    return np.concatenate([(uv - K_to[:2, 2]) * z[:, None] / f_to, z[:, None]], axis=1)


def phalp_tracks(results: object, path: Path) -> dict[int, dict[str, np.ndarray]]:
    """Regroup PHALP's frames into tracks in the layout of :func:`flowpose.body.importers.import_smpl`.

    Args:
        results: the loaded pickle (module docstring).
        path: the file, for messages.

    Returns:
        track id -> ``frame_ids`` (n,), ``pose`` (n, 24, 3, 3) rotation matrices, ``betas`` (n, 10), ``trans``
        (n, 3) metres in PHALP's camera, ``bboxes`` (n, 4) ``[cx, cy, w, h]`` px (when every detection has a
        box), over the frames where the track was seen.

    Raises:
        InputError: for a file that is not PHALP's frame dictionary, naming the problem.
    """
    if not isinstance(results, dict) or not results or not all(isinstance(v, dict) for v in results.values()):
        raise InputError(f"{path}: expected PHALP's dictionary of frames, each a dictionary of per-detection lists")
    has_time = all("time" in f for f in results.values())
    items = list(results.items())
    if not has_time:
        items.sort(key=lambda kv: str(kv[0]))
    frames = sorted(((int(f["time"]) if has_time else i, name, f) for i, (name, f) in enumerate(items)),
                    key=lambda x: x[0])
    tracks: dict[int, dict[str, list]] = {}
    for t, name, frame in frames:
        for key in ("tid", "smpl", "camera"):
            if key not in frame:
                raise InputError(f"{path}: frame {name!r} has no {key!r} (keys: {sorted(map(str, frame))})")
        tids, smpls, cams = list(frame["tid"]), list(frame["smpl"]), list(frame["camera"])
        seen = list(frame.get("tracked_time", [0] * len(tids)))
        boxes = list(frame["bbox"]) if frame.get("bbox") is not None else [None] * len(tids)
        if not len(tids) == len(smpls) == len(cams) == len(seen) == len(boxes):
            raise InputError(
                f"{path}: frame {name!r}: 'tid', 'smpl', 'camera', 'tracked_time' and 'bbox' must have one entry "
                f"per detection, got {len(tids)}, {len(smpls)}, {len(cams)}, {len(seen)}, {len(boxes)}"
            )
        for tid, smpl, cam, since, box in zip(tids, smpls, cams, seen, boxes):
            if since != 0:
                continue  # the tracker's prediction for a person not seen in this frame
            try:
                pose = np.concatenate([
                    np.asarray(smpl["global_orient"], np.float64).reshape(1, 3, 3),
                    np.asarray(smpl["body_pose"], np.float64).reshape(23, 3, 3),
                ])
                betas = np.asarray(smpl["betas"], np.float64).ravel()
                trans = np.asarray(cam, np.float64).reshape(3)
            except (KeyError, TypeError, ValueError) as e:
                raise InputError(
                    f"{path}: frame {name!r}, track {tid}: expected smpl global_orient (1, 3, 3), body_pose "
                    f"(23, 3, 3), betas and a camera translation (3,): {type(e).__name__}: {e}"
                ) from None
            track = tracks.setdefault(int(tid), {"frame_ids": [], "pose": [], "betas": [], "trans": [], "bboxes": []})
            if track["frame_ids"] and track["frame_ids"][-1] == t:
                raise InputError(f"{path}: track {tid} is seen twice in frame {name!r}")
            track["frame_ids"].append(t)
            track["pose"].append(pose)
            track["betas"].append(betas)
            track["trans"].append(trans)
            track["bboxes"].append(None if box is None else np.asarray(box, np.float64).reshape(4))
    out: dict[int, dict[str, np.ndarray]] = {}
    for tid, track in tracks.items():
        one = {key: np.asarray(track[key]) for key in ("frame_ids", "pose", "betas", "trans")}
        if all(b is not None for b in track["bboxes"]):
            xywh = np.stack(track["bboxes"])
            one["bboxes"] = np.concatenate([xywh[:, :2] + xywh[:, 2:] / 2, xywh[:, 2:]], axis=1)
        out[tid] = one
    return out
