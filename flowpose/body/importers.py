"""SMPL results of other estimators (VIBE, PARE, WHAM, 4D-Humans/PHALP) read as
:class:`flowpose.body.params.SmplSequence`.

All four write a joblib pickle. PHALP's is a dictionary of frames, regrouped into tracks by
:mod:`flowpose.body.phalp`; the other three write a dictionary from track id to that person's arrays over the frames
``frame_ids`` where they were seen (the optional ``body-import`` extra installs joblib; a pickle can run code
when read, so read only results you made):

- **VIBE** (``vibe_output.pkl``) and **PARE** (``pare_output.pkl``): ``pose`` (n, 72) axis-angle (PARE's
  code may store (n, 24, 3, 3) matrices: both are read), ``betas`` (n, 10), ``orig_cam`` (n, 4)
  ``[sx, sy, tx, ty]``, ``bboxes`` (n, 4) ``[cx, cy, w, h]``, ``verts``, ``frame_ids`` (n,). ``orig_cam`` is a
  weak-perspective camera of the whole image in normalised coordinates, image y down (as their renderers use
  it): u = W/2 (1 + sx (X + tx)), v = H/2 (1 + sy (Y + ty)) for a model point (X, Y, Z), so the body is seen at
  k = sx W / 2 px per metre. The pinhole camera K that sees points at the model's origin depth the same way
  has the body at depth t_z = f / k and

      transl = (tx + (W/2 - c_x) / k,  ty + (H/2 - c_y) / k,  f / k)

  (exact for points at the origin's depth; the weak-perspective approximation elsewhere). f is the user's
  (``--intrinsics``, ``--focal-px`` or ``--fov``): weak perspective has none.
- **WHAM** (``wham_output.pkl``): ``pose`` (n, 72) axis-angle in the camera frame, ``trans`` (n, 3) the
  translation in smplx's sense (WHAM subtracts its mid-hip offset before saving), ``betas`` (n, 10),
  ``verts``, ``frame_ids``. Its camera has f = sqrt(W^2 + H^2) px and the principal point at the image centre
  unless WHAM was given a calibration, which the user then passes here as ``--intrinsics``.

- **4D-Humans / PHALP** (``demo_<video>.pkl``): see :mod:`flowpose.body.phalp`. Its translation is in PHALP's
  camera, f = 5000 / 256 * max(W, H) px, unless the user gives another, to which it is moved.

Frames where the chosen person was not seen (between or around their ``frame_ids``) are filled: rotations
by spherical interpolation, shape and translation linearly, the ends held; how many is reported.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from flowpose.body.params import SmplSequence
from flowpose.body.phalp import phalp_intrinsics, phalp_tracks, retarget_translation
from flowpose.camera import project_np
from flowpose.errors import InputError
from flowpose.io.npz import first_bytes
from flowpose.people.carry import interpolate_holes

SMPL_FORMATS = ("vibe", "pare", "wham", "phalp")
"""The SMPL results ``flowpose import`` reads."""


@dataclass(frozen=True)
class SmplImport:
    """One person's parameters read from another estimator's results.

    Attributes:
        smpl: the sequence over the whole video (camera frame).
        track: the chosen track id.
        tracks: every track id in the file.
        filled: frames where the person was not seen and the parameters were filled.
    """

    smpl: SmplSequence
    track: int
    tracks: list[int]
    filled: int


def read_joblib(path: str | os.PathLike[str]) -> object:
    """Load a joblib pickle (module docstring: only results you made).

    Raises:
        InputError: when joblib is not installed or the file cannot be read.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    try:
        import joblib
    except ImportError:
        raise InputError(
            f"{p}: reading VIBE, PARE, WHAM or PHALP results needs joblib: pip install 'flowpose[body-import]'"
        ) from None
    head = first_bytes(p)[:4]
    if not head:
        raise InputError(f"{p}: not a readable joblib file: the file is empty")
    try:
        return joblib.load(p)
    except Exception as e:  # noqa: BLE001 -- joblib and pickle raise many types for a bad file
        # Their messages ("KeyError: 0", "Memo value not found", an empty EOFError) say little; the first bytes show
        # what the file is.
        why = "it ends too early (truncated?)" if isinstance(e, EOFError) else f"{type(e).__name__}: {e}"
        raise InputError(f"{p}: not a readable joblib file (it starts with {head!r}): {why}") from None


def _array(person: dict, key: str, path: Path, track: int) -> np.ndarray:
    if key not in person or person[key] is None:
        raise InputError(f"{path}: track {track} has no {key!r} (keys: {sorted(map(str, person))})")
    try:
        value = np.asarray(person[key], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InputError(f"{path}: track {track}: {key!r} is not numeric: {e}") from None
    if not np.isfinite(value).all():
        rows = np.flatnonzero(~np.isfinite(value.reshape(len(value), -1)).all(1)) if value.ndim else [0]
        raise InputError(f"{path}: track {track}: {key!r} is NaN or infinite in {len(rows)} of its rows "
                         f"(the first: {rows[0]}); the results are damaged")
    return value


def axis_angle_pose(pose: np.ndarray, path: Path) -> np.ndarray:
    """(n, 72) axis-angle, or (n, 24, 3, 3) / (n, 216) rotation matrices -> (n, 24, 3) axis-angle."""
    n = pose.shape[0]
    if pose.shape[1:] == (72,):
        return pose.reshape(n, 24, 3)
    if pose.shape[1:] in ((24, 3, 3), (216,)):
        return Rotation.from_matrix(pose.reshape(-1, 3, 3)).as_rotvec().reshape(n, 24, 3)
    raise InputError(f"{path}: 'pose' must be (n, 72) axis-angle or (n, 24, 3, 3) matrices, got {pose.shape}")


def _boxes(person: dict, K: np.ndarray) -> np.ndarray | None:
    """(n, 4) [cx, cy, w, h] px: the file's boxes, else the box of the projected ``verts``."""
    if person.get("bboxes") is not None:
        return np.asarray(person["bboxes"], dtype=np.float64)
    if person.get("verts") is None:
        return None
    uv = project_np(np.asarray(person["verts"], dtype=np.float64), K)
    lo, hi = uv.min(1), uv.max(1)
    return np.concatenate([(lo + hi) / 2, hi - lo], axis=1)


def choose_person(
    results: dict, person: str | int, image_size: tuple[int, int], K: np.ndarray, path: Path
) -> int:
    """The track id ``person`` names: ``prominent`` (most frames), ``largest`` (largest mean box), ``center``
    (mean box centre nearest the image centre) or a track id.

    Raises:
        InputError: for an empty file, an unknown id, or boxes the file cannot give.
    """
    ids = sorted(results)
    if not ids:
        raise InputError(f"{path}: no tracked person in the file")
    if isinstance(person, int):
        if person not in results:
            raise InputError(f"{path}: no track {person}; the file has tracks {ids}")
        return person
    if person == "prominent":
        return max(ids, key=lambda i: (len(np.atleast_1d(results[i].get("frame_ids", []))), -ids.index(i)))
    boxes = {i: _boxes(results[i], K) for i in ids}
    if any(b is None for b in boxes.values()):
        raise InputError(f"{path}: --person {person} needs boxes or vertices in the file; give a track id {ids}")
    if person == "largest":
        return max(ids, key=lambda i: float(np.mean(boxes[i][:, 2] * boxes[i][:, 3])))
    H, W = image_size
    return min(ids, key=lambda i: float(np.hypot(*(boxes[i][:, :2].mean(0) - [W / 2, H / 2]))))


def fill_frames(frame_ids: np.ndarray, values: dict[str, np.ndarray], num_frames: int) -> dict[str, np.ndarray]:
    """Values seen at ``frame_ids`` spread over all ``num_frames`` frames (module docstring).

    Args:
        frame_ids: (n,) increasing frame indices.
        values: ``rotations`` (n, 24, 3) axis-angle, and any (n, ...) arrays filled linearly.
        num_frames: T.

    Returns:
        The same keys over (T, ...).
    """
    seen = np.zeros(num_frames, bool)
    seen[frame_ids] = True
    clamped = np.clip(np.arange(num_frames, dtype=np.float64), frame_ids[0], frame_ids[-1])
    out: dict[str, np.ndarray] = {}
    for key, v in values.items():
        if key == "rotations" and len(frame_ids) > 1:
            joints = [Slerp(frame_ids, Rotation.from_rotvec(v[:, j]))(clamped).as_rotvec() for j in range(v.shape[1])]
            out[key] = np.stack(joints, axis=1)
        else:  # linear in time (a single frame seen: held), as the people's holes are filled
            spread = np.zeros((num_frames, *v.shape[1:]))
            spread[frame_ids] = v
            out[key] = interpolate_holes(spread, seen, ~seen)
    return out


def orig_cam_to_transl(orig_cam: np.ndarray, K: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """VIBE/PARE's ``orig_cam`` (n, 4) ``[sx, sy, tx, ty]`` -> (n, 3) translation in K's camera, metres.

    Args:
        orig_cam: (n, 4) weak-perspective cameras of the whole image (module docstring).
        K: (3, 3) the pinhole intrinsics, px.
        image_size: (H, W) px.
    """
    H, W = image_size
    sx, tx, ty = orig_cam[:, 0], orig_cam[:, 2], orig_cam[:, 3]
    k = sx * W / 2.0  # px per metre at the model's origin
    f = (K[0, 0] + K[1, 1]) / 2.0
    return np.stack([tx + (W / 2.0 - K[0, 2]) / k, ty + (H / 2.0 - K[1, 2]) / k, f / k], axis=1)


def wham_intrinsics(image_size: tuple[int, int]) -> np.ndarray:
    """WHAM's default camera for an (H, W) image: f = sqrt(W^2 + H^2), the principal point at the centre."""
    H, W = image_size
    f = float(np.hypot(W, H))
    return np.array([[f, 0.0, W / 2.0], [0.0, f, H / 2.0], [0.0, 0.0, 1.0]])


OWN_CAMERA: dict[str, Callable[[tuple[int, int]], np.ndarray]] = {"wham": wham_intrinsics, "phalp": phalp_intrinsics}
"""The formats whose translation comes with a camera of their own (a user's camera is optional), and that camera
for an (H, W) image."""


def import_smpl(
    fmt: str,
    path: str | os.PathLike[str],
    *,
    image_size: tuple[int, int],
    num_frames: int,
    fps: float,
    K: np.ndarray | None,
    person: str | int = "prominent",
) -> SmplImport:
    """Read one person's SMPL parameters from VIBE, PARE, WHAM or PHALP results (module docstring).

    Args:
        fmt: one of :data:`SMPL_FORMATS`.
        path: the results file.
        image_size: (H, W) of the video, px.
        num_frames: T, the video's frame count.
        fps: its frame rate.
        K: (3, 3) intrinsics; None: WHAM's or PHALP's own (for VIBE and PARE a K is required).
        person: see :func:`choose_person`.

    Raises:
        InputError: naming the file, for a bad file, format, person or frame index.
    """
    p = Path(path)
    if fmt not in SMPL_FORMATS:
        raise InputError(f"unknown SMPL results format {fmt!r}; choose from {list(SMPL_FORMATS)}")
    if K is None:
        if fmt not in OWN_CAMERA:
            raise InputError(f"{fmt} results have a weak-perspective camera: give a focal length (--focal-px, --fov)")
        K = OWN_CAMERA[fmt](image_size)
    results = read_joblib(p)
    if fmt == "phalp":
        results = phalp_tracks(results, p)
    if not isinstance(results, dict) or not all(isinstance(v, dict) for v in results.values()):
        raise InputError(f"{p}: expected {fmt}'s dictionary of tracks, each a dictionary of arrays")
    track = choose_person(results, person, image_size, K, p)
    one = results[track]
    frame_ids = _array(one, "frame_ids", p, track).astype(np.int64).ravel()
    n = len(frame_ids)
    if n == 0 or np.any(np.diff(frame_ids) <= 0) or frame_ids[0] < 0 or frame_ids[-1] >= num_frames:
        raise InputError(
            f"{p}: track {track}'s frame_ids must increase within the video's {num_frames} frames, "
            f"got {n} ids from {frame_ids.min() if n else '-'} to {frame_ids.max() if n else '-'}"
        )
    pose = axis_angle_pose(_array(one, "pose", p, track), p)
    betas = _array(one, "betas", p, track)
    betas = np.broadcast_to(betas, (n, betas.shape[-1])) if betas.ndim == 1 else betas
    if fmt == "wham":
        transl = _array(one, "trans", p, track).reshape(-1, 3)
    elif fmt == "phalp":
        transl = retarget_translation(_array(one, "trans", p, track).reshape(-1, 3), phalp_intrinsics(image_size), K)
    else:
        orig_cam = _array(one, "orig_cam", p, track)
        if orig_cam.shape != (n, 4):
            raise InputError(f"{p}: track {track}: 'orig_cam' must be ({n}, 4) [sx, sy, tx, ty] for its {n} "
                             f"frame_ids, got {orig_cam.shape}")
        if np.any(orig_cam[:, 0] <= 0):
            bad = np.flatnonzero(orig_cam[:, 0] <= 0)
            raise InputError(f"{p}: track {track}: 'orig_cam' scale sx must be positive, got {orig_cam[bad[0], 0]:g} "
                             f"in {len(bad)} rows (the first: {bad[0]})")
        transl = orig_cam_to_transl(orig_cam, K, image_size)
    for key, value in (("pose", pose), ("betas", betas), ("trans" if fmt in OWN_CAMERA else "orig_cam", transl)):
        if value.shape[0] != n:
            raise InputError(f"{p}: track {track}: {key!r} has {value.shape[0]} rows for {n} frame_ids")
    filled = fill_frames(frame_ids, {"rotations": pose, "betas": betas, "transl": transl}, num_frames)
    smpl = SmplSequence(
        global_orient=filled["rotations"][:, 0],
        body_pose=filled["rotations"][:, 1:],
        betas=filled["betas"],
        transl=filled["transl"],
        K=np.asarray(K, dtype=np.float64),
        fps=fps,
        flat_body_pose=True,
    )
    return SmplImport(smpl=smpl, track=track, tracks=sorted(results), filled=num_frames - n)
