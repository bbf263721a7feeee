"""SMPL and SMPL-X parameter sequences: the generic file format, and rotations between axis-angle, matrices and 6D.

The file (``.npz`` or ``.json``) holds, in the camera frame (x right, y down, z forward):

- ``global_orient`` (T, 3): the root's rotation, axis-angle, radians;
- ``body_pose`` (T, 69) or (T, 23, 3) for SMPL, (T, 63) or (T, 21, 3) for SMPL-X: the body joints' rotations
  relative to their parents, axis-angle;
- ``betas`` (B,) or (T, B): shape;
- ``transl`` (T, 3): translation, metres;
- ``K`` (3, 3) or (T, 3, 3): intrinsics, px; optional ``fps``, and ``times`` (T,) seconds, each frame's time (a
  video of a variable frame rate; flowpose writes it for such a video).

An SMPL-X file may also hold, each optional (zero when absent, as in ``smplx.SMPLX``):

- ``jaw_pose``, ``leye_pose``, ``reye_pose`` (T, 3) axis-angle;
- ``left_hand_pose``, ``right_hand_pose``: (T, 45) or (T, 15, 3) axis-angle, or (T, n < 45) PCA coefficients
  of the model file's hand components (45 PCA coefficients cannot be told from axis-angle and are read as
  axis-angle);
- ``flat_hand_mean`` (bool): False (``smplx``'s default) when the hand poses are relative to the model's mean
  hand pose, True when they are absolute;
- ``expression`` (T, E): expression coefficients.

flowpose refines the root, the body and the translation; the jaw, eyes, hands and expression are kept as given.
Refined sequences are written with the same keys and layouts as the input (a (T, 69) body pose stays (T, 69)),
plus ``written_by = "flowpose"``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from flowpose.body.layouts import HAND_KEYS, SMPL, SMPLX, BodyLayout, layout_for_body_pose
from flowpose.errors import InputError, ShapeError
from flowpose.io.atomic import atomic_path
from flowpose.io.npz import read_npz
from flowpose.io.poses import WRITER, check_readable, read_json
from flowpose.pose import check_intrinsics, checked_times
from flowpose.reprs import short_repr

KEYS = ("global_orient", "body_pose", "betas", "transl", "K")
"""The required keys of an SMPL parameter file."""
EXTRA_KEYS = (*(key for key, _ in SMPLX.extra_pose), "expression")
"""The optional keys of an SMPL-X parameter file, kept as given (module docstring)."""


@dataclass(frozen=True)
class SmplSequence:
    """An SMPL or SMPL-X parameter sequence (module docstring).

    Attributes:
        global_orient: (T, 3) axis-angle, radians.
        body_pose: (T, 23, 3) (SMPL) or (T, 21, 3) (SMPL-X) axis-angle, radians.
        betas: (B,) or (T, B).
        transl: (T, 3) metres.
        K: (3, 3) or (T, 3, 3) px.
        fps: frames per second.
        flat_body_pose: the file stored ``body_pose`` as (T, 69) or (T, 63) (written back the same way).
        extras: SMPL-X's optional parameters (:data:`EXTRA_KEYS`), each (T, ...), as the file stored them.
        flat_hand_mean: SMPL-X's hand poses are absolute (True) or relative to the model's mean hand (False).
        times: (T,) seconds, each frame's presentation time, for a video of a variable frame rate; None when the
            frames are evenly spaced at ``fps``.
    """

    global_orient: np.ndarray
    body_pose: np.ndarray
    betas: np.ndarray
    transl: np.ndarray
    K: np.ndarray
    fps: float = 30.0
    flat_body_pose: bool = False
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    flat_hand_mean: bool = False
    times: np.ndarray | None = None

    __repr__ = short_repr

    def __post_init__(self) -> None:
        T = self.global_orient.shape[0]
        if self.body_pose.ndim != 3 or self.body_pose.shape[0] != T or self.body_pose.shape[2] != 3:
            raise ShapeError("body_pose", f"({T}, 23, 3) or ({T}, 21, 3)", self.body_pose.shape)
        layout = layout_for_body_pose(self.body_pose.shape[1], "body_pose")
        for name, shape in (("global_orient", (T, 3)), ("transl", (T, 3))):
            if getattr(self, name).shape != shape:
                raise ShapeError(name, str(shape), getattr(self, name).shape)
        if self.extras and layout is not SMPLX:
            raise InputError(f"{sorted(self.extras)}: SMPL-X parameters, but body_pose has SMPL's 23 joints")
        for key, value in self.extras.items():
            _check_extra(key, value, T)
        if self.betas.ndim not in (1, 2) or (self.betas.ndim == 2 and self.betas.shape[0] != T):
            raise ShapeError("betas", f"(B,) or ({T}, B)", self.betas.shape)
        if self.K.shape not in ((3, 3), (T, 3, 3)):
            raise ShapeError("K", f"(3, 3) or ({T}, 3, 3)", self.K.shape)
        for name in ("global_orient", "body_pose", "betas", "transl", "K"):
            if not np.isfinite(getattr(self, name)).all():
                raise InputError(f"{name} must be finite (SMPL parameters have no missing values)")
        check_intrinsics(self.K)
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise InputError(f"fps must be a positive number, got {self.fps}")
        if self.times is not None:
            object.__setattr__(self, "times", checked_times(self.times, T))

    @property
    def num_frames(self) -> int:
        """T."""
        return int(self.global_orient.shape[0])

    @property
    def layout(self) -> BodyLayout:
        """:data:`~flowpose.body.layouts.SMPL` or :data:`~flowpose.body.layouts.SMPLX`, by the body pose."""
        return SMPL if self.body_pose.shape[1] == SMPL.body_joints else SMPLX

    def rotations(self) -> np.ndarray:
        """(T, 1 + body joints, 3, 3) rotation matrices: the global orientation, then the body joints (every
        joint of SMPL; SMPL-X's face and hands: :meth:`flowpose.body.model.BodyModel.pose_rotations`)."""
        aa = np.concatenate([self.global_orient[:, None], self.body_pose], axis=1)
        return Rotation.from_rotvec(aa.reshape(-1, 3)).as_matrix().reshape(self.num_frames, -1, 3, 3)

    def K_per_frame(self) -> np.ndarray:
        """(T, 3, 3)."""
        return self.K if self.K.ndim == 3 else np.broadcast_to(self.K, (self.num_frames, 3, 3)).copy()

    def frames(self, start: int, stop: int) -> SmplSequence:
        """Frames ``[start, stop)`` of the sequence (every per-frame array sliced; one shape or camera kept).

        Raises:
            InputError: unless 0 <= start < stop <= T.
        """
        if not 0 <= start < stop <= self.num_frames:
            raise InputError(f"SmplSequence.frames: expected 0 <= start < stop <= {self.num_frames}, got {start}, {stop}")
        cut = slice(start, stop)
        return replace(
            self, global_orient=self.global_orient[cut], body_pose=self.body_pose[cut],
            betas=self.betas[cut] if self.betas.ndim == 2 else self.betas, transl=self.transl[cut],
            K=self.K[cut] if self.K.ndim == 3 else self.K, extras={k: v[cut] for k, v in self.extras.items()},
            times=None if self.times is None else self.times[cut],
        )

    def with_body(self, global_orient: np.ndarray, body_pose: np.ndarray, betas: np.ndarray,
                  transl: np.ndarray) -> SmplSequence:
        """The same sequence (camera, layouts, SMPL-X's face and hands) with a new root, body, shape and place."""
        return SmplSequence(global_orient=global_orient, body_pose=body_pose, betas=betas, transl=transl, K=self.K,
                            fps=self.fps, flat_body_pose=self.flat_body_pose, extras=self.extras,
                            flat_hand_mean=self.flat_hand_mean, times=self.times)


def _check_extra(key: str, value: np.ndarray, T: int) -> None:
    """Check one SMPL-X parameter's shape and values (module docstring)."""
    if key not in EXTRA_KEYS:
        raise InputError(f"{key}: not an SMPL-X parameter; expected one of {list(EXTRA_KEYS)}")
    if key == "expression":
        ok = value.ndim == 2 and value.shape[0] == T
        expected = f"({T}, E)"
    elif key in HAND_KEYS:
        ok = value.shape in ((T, 15, 3), (T, 45)) or (value.ndim == 2 and value.shape[0] == T and value.shape[1] < 45)
        expected = f"({T}, 45), ({T}, 15, 3) or ({T}, n < 45) PCA coefficients"
    else:
        ok = value.shape in ((T, 3), (T, 1, 3))
        expected = f"({T}, 3)"
    if not ok:
        raise ShapeError(key, expected, value.shape)
    if not np.isfinite(value).all():
        raise InputError(f"{key} must be finite (SMPL-X parameters have no missing values)")


def axis_angle_of(rotations: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 3) axis-angle, radians."""
    shape = rotations.shape[:-2]
    return Rotation.from_matrix(rotations.reshape(-1, 3, 3)).as_rotvec().reshape(*shape, 3)


def rotation_6d(matrices: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) -> (..., 6): the first two columns (Zhou et al. 2019's continuous representation)."""
    return torch.cat([matrices[..., :, 0], matrices[..., :, 1]], dim=-1)


def matrix_from_6d(r6: torch.Tensor) -> torch.Tensor:
    """(..., 6) -> (..., 3, 3) rotation matrices by Gram-Schmidt (the inverse of :func:`rotation_6d`)."""
    a, b = r6[..., :3], r6[..., 3:]
    x = torch.nn.functional.normalize(a, dim=-1)
    y = torch.nn.functional.normalize(b - (x * b).sum(-1, keepdim=True) * x, dim=-1)
    z = torch.cross(x, y, dim=-1)
    return torch.stack([x, y, z], dim=-1)


def load_smpl(path: str | os.PathLike[str]) -> SmplSequence:
    """Read an SMPL parameter file (module docstring).

    Raises:
        InputError: naming the file, for a missing or unreadable file, missing keys or bad shapes.
    """
    p = check_readable(path, (".npz", ".json"), "SMPL parameter file")
    data = read_npz(p, "SMPL parameter file") if p.suffix.lower() == ".npz" else read_json(p, "SMPL parameter file")
    if not isinstance(data, dict):
        raise InputError(f"{p}: expected an object with keys {list(KEYS)}")
    missing = [k for k in KEYS if k not in data]
    if missing and "joints3d" in data:
        raise InputError(f"{p}: joints (joints3d), not SMPL parameters (an SMPL parameter file has {list(KEYS)}): "
                         "refine them with --poses; export them with export bvh")
    if missing:
        raise InputError(f"{p}: missing {missing} (an SMPL parameter file has {list(KEYS)})")
    try:
        arrays = {k: np.asarray(data[k], np.float64) for k in KEYS}
    except (TypeError, ValueError) as e:
        raise InputError(f"{p}: parameters must be numbers: {e}") from None
    body = arrays["body_pose"]
    T = arrays["global_orient"].shape[0] if arrays["global_orient"].ndim == 2 else -1
    flat = body.ndim == 2 and body.shape[1] in (3 * SMPL.body_joints, 3 * SMPLX.body_joints)
    try:
        extras = {k: np.asarray(data[k], np.float64) for k in EXTRA_KEYS if k in data}
        return SmplSequence(
            global_orient=arrays["global_orient"],
            body_pose=body.reshape(T, -1, 3) if flat else body,
            betas=arrays["betas"],
            transl=arrays["transl"],
            K=arrays["K"],
            fps=float(np.asarray(data.get("fps", 30.0))),
            flat_body_pose=flat,
            extras=extras,
            flat_hand_mean=bool(np.asarray(data.get("flat_hand_mean", False))),
            times=None if data.get("times") is None else np.asarray(data["times"], np.float64),
        )
    except (InputError, ValueError, TypeError) as e:
        raise InputError(f"{p}: {e}") from None


def save_smpl(seq: SmplSequence, path: str | os.PathLike[str]) -> None:
    """Write an SMPL parameter file (``.npz`` or ``.json``) with the input's layouts, atomically."""
    p = Path(path)
    arrays = {
        "global_orient": seq.global_orient,
        "body_pose": seq.body_pose.reshape(seq.num_frames, -1) if seq.flat_body_pose else seq.body_pose,
        "betas": seq.betas,
        "transl": seq.transl,
        "K": seq.K,
        **seq.extras,
    }
    flags = {"flat_hand_mean": seq.flat_hand_mean} if seq.layout is SMPLX else {}
    if seq.times is not None:
        arrays["times"] = seq.times
    with atomic_path(p) as tmp:
        if p.suffix.lower() == ".json":
            doc = {k: np.asarray(v).tolist() for k, v in arrays.items()}
            tmp.write_text(json.dumps({**doc, **flags, "fps": seq.fps, "written_by": WRITER}))
        else:
            np.savez(tmp, **arrays, **flags, fps=seq.fps, written_by=WRITER)
