"""SMPL parameter sequences: the generic file format, and rotations between axis-angle, matrices and 6D.

The file (``.npz`` or ``.json``) holds, in the camera frame (x right, y down, z forward):

- ``global_orient`` (T, 3): the root's rotation, axis-angle, radians;
- ``body_pose`` (T, 69) or (T, 23, 3): the 23 body joints' rotations relative to their parents, axis-angle;
- ``betas`` (B,) or (T, B): shape;
- ``transl`` (T, 3): translation, metres;
- ``K`` (3, 3) or (T, 3, 3): intrinsics, px; optional ``fps``.

Refined sequences are written with the same keys and layouts as the input (a (T, 69) body pose stays (T, 69)),
plus ``written_by = "flowpose"``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError, ShapeError
from flowpose.io.atomic import atomic_path
from flowpose.io.poses import WRITER, check_readable, read_json, read_npz
from flowpose.pose import check_intrinsics

KEYS = ("global_orient", "body_pose", "betas", "transl", "K")
"""The required keys of an SMPL parameter file."""


@dataclass(frozen=True)
class SmplSequence:
    """An SMPL parameter sequence (module docstring).

    Attributes:
        global_orient: (T, 3) axis-angle, radians.
        body_pose: (T, 23, 3) axis-angle, radians.
        betas: (B,) or (T, B).
        transl: (T, 3) metres.
        K: (3, 3) or (T, 3, 3) px.
        fps: frames per second.
        flat_body_pose: the file stored ``body_pose`` as (T, 69) (written back the same way).
    """

    global_orient: np.ndarray
    body_pose: np.ndarray
    betas: np.ndarray
    transl: np.ndarray
    K: np.ndarray
    fps: float = 30.0
    flat_body_pose: bool = False

    def __post_init__(self) -> None:
        T = self.global_orient.shape[0]
        for name, shape in (("global_orient", (T, 3)), ("body_pose", (T, 23, 3)), ("transl", (T, 3))):
            if getattr(self, name).shape != shape:
                raise ShapeError(name, str(shape), getattr(self, name).shape)
        if self.betas.ndim not in (1, 2) or (self.betas.ndim == 2 and self.betas.shape[0] != T):
            raise ShapeError("betas", f"(B,) or ({T}, B)", self.betas.shape)
        if self.K.shape not in ((3, 3), (T, 3, 3)):
            raise ShapeError("K", f"(3, 3) or ({T}, 3, 3)", self.K.shape)
        for name in ("global_orient", "body_pose", "betas", "transl", "K"):
            if not np.isfinite(getattr(self, name)).all():
                raise InputError(f"{name} must be finite (SMPL parameters have no missing values)")
        check_intrinsics(self.K)

    @property
    def num_frames(self) -> int:
        """T."""
        return int(self.global_orient.shape[0])

    def rotations(self) -> np.ndarray:
        """(T, 24, 3, 3) rotation matrices: the global orientation, then the body joints."""
        aa = np.concatenate([self.global_orient[:, None], self.body_pose], axis=1)
        return Rotation.from_rotvec(aa.reshape(-1, 3)).as_matrix().reshape(self.num_frames, 24, 3, 3)

    def K_per_frame(self) -> np.ndarray:
        """(T, 3, 3)."""
        return self.K if self.K.ndim == 3 else np.broadcast_to(self.K, (self.num_frames, 3, 3)).copy()


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
    if missing:
        raise InputError(f"{p}: missing {missing} (an SMPL parameter file has {list(KEYS)})")
    try:
        arrays = {k: np.asarray(data[k], np.float64) for k in KEYS}
    except (TypeError, ValueError) as e:
        raise InputError(f"{p}: parameters must be numbers: {e}") from None
    body = arrays["body_pose"]
    T = arrays["global_orient"].shape[0] if arrays["global_orient"].ndim == 2 else -1
    flat = body.ndim == 2 and body.shape[1] == 69
    try:
        return SmplSequence(
            global_orient=arrays["global_orient"],
            body_pose=body.reshape(T, 23, 3) if flat else body,
            betas=arrays["betas"],
            transl=arrays["transl"],
            K=arrays["K"],
            fps=float(np.asarray(data.get("fps", 30.0))),
            flat_body_pose=flat,
        )
    except (InputError, ValueError) as e:
        raise InputError(f"{p}: {e}") from None


def save_smpl(seq: SmplSequence, path: str | os.PathLike[str]) -> None:
    """Write an SMPL parameter file (``.npz`` or ``.json``) with the input's layouts, atomically."""
    p = Path(path)
    arrays = {
        "global_orient": seq.global_orient,
        "body_pose": seq.body_pose.reshape(seq.num_frames, 69) if seq.flat_body_pose else seq.body_pose,
        "betas": seq.betas,
        "transl": seq.transl,
        "K": seq.K,
    }
    with atomic_path(p) as tmp:
        if p.suffix.lower() == ".json":
            doc = {k: np.asarray(v).tolist() for k, v in arrays.items()}
            tmp.write_text(json.dumps({**doc, "fps": seq.fps, "written_by": WRITER}))
        else:
            np.savez(tmp, **arrays, fps=seq.fps, written_by=WRITER)
