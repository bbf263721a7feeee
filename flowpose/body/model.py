"""The SMPL body model, given by the user, loaded with ``smplx`` and evaluated on whole videos.

SMPL is licensed (https://smpl.is.tue.mpg.de): flowpose cannot ship it, and never downloads it. The user
passes the model file (``--body-model PATH``): the ``.pkl`` from the SMPL site (the chumpy-free version, as
``smplx`` needs) or an ``.npz`` with the same arrays. Files are read without running pickled code: a
``.pkl`` is unpickled with only NumPy arrays and SciPy sparse matrices allowed, then handed to
:class:`smplx.SMPL`.

The model maps shape ``betas`` (B,), per-joint rotations (24 joints, the root's being the global orientation)
and a translation to vertices (V, 3) and joints (24, 3) by linear blend skinning (:meth:`BodyModel.__call__`),
in the frame the rotations are given in (the camera frame for estimators' outputs).
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from flowpose.errors import InputError

SMPL_JOINTS = 24
"""Joints of SMPL (the root, then 23 body joints)."""
OBTAIN = (
    "SMPL is licensed and not shipped with flowpose: register at https://smpl.is.tue.mpg.de, download the "
    "model (SMPL_NEUTRAL.pkl, chumpy-free) and pass its path with --body-model"
)
"""Where a user gets the model."""
REQUIRED = ("v_template", "shapedirs", "posedirs", "J_regressor", "kintree_table", "weights", "f")
"""The arrays of an SMPL model file."""

_ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"), ("scipy.sparse._csc", "csc_matrix"), ("scipy.sparse.csc", "csc_matrix"),
    ("scipy.sparse._csr", "csr_matrix"), ("scipy.sparse.csr", "csr_matrix"), ("builtins", "object"),
    ("_codecs", "encode"),  # how protocol-2 pickles store bytes
}


class _ArraysOnly(pickle.Unpickler):
    """Unpickles NumPy arrays and SciPy sparse matrices, nothing that could run code."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        if module.startswith("chumpy"):
            raise InputError(
                "this SMPL file stores chumpy objects: use the chumpy-free model file from the SMPL site "
                "(or convert it to .npz)"
            )
        raise InputError(f"refusing to unpickle {module}.{name}: an SMPL model file holds arrays only")


def read_model_arrays(path: str | os.PathLike[str]) -> dict[str, object]:
    """The arrays of an SMPL model file (``.pkl`` or ``.npz``), read without running pickled code.

    Raises:
        InputError: for a missing file (with where to obtain SMPL), another suffix, or missing arrays.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such body model file. {OBTAIN}")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npz":
            with np.load(p, allow_pickle=False) as data:
                arrays: dict[str, object] = {k: data[k] for k in data.files}
        elif suffix == ".pkl":
            arrays = _ArraysOnly(io.BytesIO(p.read_bytes()), encoding="latin1").load()
        else:
            raise InputError(f"{p}: expected an SMPL model file ending in .pkl or .npz")
    except (pickle.UnpicklingError, EOFError, ValueError, OSError) as e:
        raise InputError(f"{p}: not a readable SMPL model file: {e}") from None
    if not isinstance(arrays, dict):
        raise InputError(f"{p}: expected a dictionary of arrays, got {type(arrays).__name__}")
    missing = [k for k in REQUIRED if k not in arrays]
    if missing:
        raise InputError(f"{p}: not an SMPL model file: missing {missing}")
    J = np.asarray(arrays["kintree_table"]).shape[-1]
    if J != SMPL_JOINTS:
        raise InputError(f"{p}: {J} joints; flowpose reads SMPL (24 joints), not SMPL-X or SMPL+H yet")
    return arrays


@dataclass(frozen=True)
class BodyOutput:
    """A body model evaluated on T frames: vertices (T, V, 3) and joints (T, 24, 3), metres."""

    vertices: torch.Tensor
    joints: torch.Tensor


class BodyModel:
    """An SMPL model (:func:`load_body_model`), evaluated with rotation matrices on whole videos."""

    def __init__(self, smpl: torch.nn.Module, source: str) -> None:
        self.smpl = smpl
        self.source = source

    @property
    def num_betas(self) -> int:
        """B, the shape coefficients used."""
        return int(self.smpl.shapedirs.shape[-1])

    @property
    def num_vertices(self) -> int:
        """V."""
        return int(self.smpl.v_template.shape[0])

    @property
    def faces(self) -> np.ndarray:
        """(F, 3) int64 triangles."""
        return self.smpl.faces_tensor.cpu().numpy()

    def spread_vertices(self, count: int) -> np.ndarray:
        """``count`` template vertices spread evenly over the body (farthest-point sampling from vertex 0).

        Returns:
            (min(count, V),) int64 vertex indices, in the order they were picked.
        """
        points = self.smpl.v_template.detach().cpu().numpy().astype(np.float64)
        count = min(count, len(points))
        picked = np.zeros(count, dtype=np.int64)
        distance = np.linalg.norm(points - points[0], axis=1)
        for k in range(1, count):
            picked[k] = int(np.argmax(distance))
            distance = np.minimum(distance, np.linalg.norm(points - points[picked[k]], axis=1))
        return picked

    def __call__(
        self, betas: torch.Tensor, rotations: torch.Tensor, transl: torch.Tensor, vertex_ids: torch.Tensor | None = None
    ) -> BodyOutput:
        """Vertices and joints of T frames, by linear blend skinning.

        The shape is blended once when the video has one (``betas`` of shape (B,)), not once per frame, and
        only the vertices asked for are posed and skinned: a cost of O(T x len(vertex_ids)) instead of
        O(T x V) when a term needs a subset (the joints come from the whole rest-pose mesh either way). The
        kinematic chain is smplx's (:func:`smplx.lbs.batch_rigid_transform`); the result equals
        :func:`smplx.lbs.lbs` (test).

        Args:
            betas: (B,) one shape for the video, or (T, B).
            rotations: (T, 24, 3, 3) rotation matrices: the global orientation, then the 23 body joints.
            transl: (T, 3) translation, metres.
            vertex_ids: (N,) int64 indices of the vertices wanted, or None for all V.

        Returns:
            :class:`BodyOutput` (vertices (T, N or V, 3)), differentiable in ``betas``, ``rotations``, ``transl``.
        """
        from smplx.lbs import batch_rigid_transform, blend_shapes, vertices2joints

        s = self.smpl
        T = rotations.shape[0]
        dtype = s.shapedirs.dtype
        R = rotations.to(dtype)
        b = (betas[None] if betas.ndim == 1 else betas).to(dtype)
        v_shaped = s.v_template + blend_shapes(b, s.shapedirs)  # (1 or T, V, 3)
        rest_joints = vertices2joints(s.J_regressor, v_shaped).expand(T, -1, -1)
        joints, A = batch_rigid_transform(R, rest_joints, s.parents)  # A: (T, 24, 4, 4), rest joints removed
        weights, posedirs = s.lbs_weights, s.posedirs.view(s.posedirs.shape[0], -1, 3)
        if vertex_ids is not None:
            v_shaped, weights, posedirs = v_shaped[:, vertex_ids], weights[vertex_ids], posedirs[:, vertex_ids]
        eye = torch.eye(3, dtype=dtype, device=R.device)
        pose_feature = (R[:, 1:] - eye).reshape(T, -1)  # SMPL's pose blend shapes: linear in R - I
        N = v_shaped.shape[1]
        v_posed = v_shaped + (pose_feature @ posedirs.reshape(posedirs.shape[0], -1)).view(T, N, 3)
        G = (A[:, :, :3, :].reshape(T, -1, 12).transpose(1, 2) @ weights.T).view(T, 3, 4, N)  # per-vertex (3, 4)
        vertices = (G[:, :, :3] * v_posed.transpose(1, 2)[:, None]).sum(2) + G[:, :, 3]  # (T, 3, N)
        shift = transl.to(dtype)[:, None, :]
        return BodyOutput(vertices=vertices.transpose(1, 2) + shift, joints=joints + shift)


def load_body_model(path: str | os.PathLike[str], num_betas: int = 10) -> BodyModel:
    """Load a user's SMPL model file (module docstring).

    Args:
        path: the ``.pkl`` or ``.npz`` file.
        num_betas: shape coefficients to use (at most the file's).

    Raises:
        InputError: see :func:`read_model_arrays`.
    """
    import smplx
    from smplx.utils import Struct

    arrays = read_model_arrays(path)
    arrays["shapedirs"] = np.asarray(arrays["shapedirs"])[:, :, :num_betas]
    with contextlib.redirect_stdout(io.StringIO()):  # smplx prints a note about the number of betas
        smpl = smplx.SMPL(model_path=str(path), data_struct=Struct(**arrays), num_betas=num_betas,
                          create_betas=False, create_global_orient=False, create_body_pose=False,
                          create_transl=False)
    return BodyModel(smpl.eval(), str(path))
