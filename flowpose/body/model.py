"""The SMPL or SMPL-X body model, given by the user, loaded with ``smplx`` and evaluated on whole videos.

SMPL and SMPL-X are licensed (https://smpl.is.tue.mpg.de, https://smpl-x.is.tue.mpg.de): flowpose cannot ship
them, and never downloads them. The user passes the model file (``--body-model PATH``): the ``.pkl`` from the
site (the chumpy-free version, as ``smplx`` needs) or an ``.npz`` with the same arrays. Files are read without
running pickled code: a ``.pkl`` is unpickled with only NumPy arrays and SciPy sparse matrices allowed, an
``.npz`` without pickles, then the arrays are handed to :class:`smplx.SMPL`, whose buffers hold them. The joint
count tells the two apart (:mod:`flowpose.body.layouts`).

The model maps shape ``betas`` (B,), per-joint rotations (24 joints for SMPL, 55 for SMPL-X, the root's being
the global orientation), SMPL-X's expression and a translation to vertices (V, 3) and joints (J, 3) by linear
blend skinning (:meth:`BodyModel.__call__`), in the frame the rotations are given in (the camera frame for
estimators' outputs). SMPL-X's shape directions hold the expression directions after the shape ones (from
column 300 in files with 400 or more columns, else from column 10), as ``smplx.SMPLX`` reads them.
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
from scipy.spatial.transform import Rotation

from flowpose.body.layouts import HAND_KEYS, SMPLX, BodyLayout, layout_for_joints
from flowpose.body.params import SmplSequence
from flowpose.body.skinning import blend_skin
from flowpose.errors import InputError
from flowpose.io.npz import read_npz
from flowpose.pose import check_joints3d
from flowpose.reprs import short_repr

OBTAIN = (
    "SMPL and SMPL-X are licensed and not shipped with flowpose: register at https://smpl.is.tue.mpg.de (or "
    "https://smpl-x.is.tue.mpg.de), download the model (SMPL_NEUTRAL.pkl, chumpy-free, or SMPLX_NEUTRAL.npz) and "
    "pass its path with --body-model"
)
"""Where a user gets the model."""
REQUIRED = ("v_template", "shapedirs", "posedirs", "J_regressor", "kintree_table", "weights", "f")
"""The arrays of an SMPL model file."""
SMPLX_REQUIRED = ("hands_componentsl", "hands_componentsr", "hands_meanl", "hands_meanr")
"""The further arrays flowpose reads from an SMPL-X model file (the hands' PCA space and mean pose)."""
SMPLX_SHAPE_SPACE = 300
"""Shape directions before the expression ones in a full SMPL-X file (``smplx.SMPLX.SHAPE_SPACE_DIM``)."""

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
    """The arrays of an SMPL or SMPL-X model file (``.pkl`` or ``.npz``), read without running pickled code.

    Only the arrays flowpose uses are kept (:data:`REQUIRED`, and :data:`SMPLX_REQUIRED` for SMPL-X): an
    ``.npz`` from the SMPL-X site also stores pickled dictionaries, which are never loaded.

    Raises:
        InputError: for a missing file (with where to obtain SMPL), another suffix, missing arrays, or a joint
            count other than SMPL's 24 or SMPL-X's 55.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such body model file. {OBTAIN}")
    suffix = p.suffix.lower()
    if suffix not in (".npz", ".pkl"):
        raise InputError(f"{p}: expected an SMPL model file ending in .pkl or .npz, got {p.suffix!r}")
    wanted = (*REQUIRED, *SMPLX_REQUIRED)
    if suffix == ".npz":
        arrays: dict[str, object] = dict(read_npz(p, "SMPL model file", keys=wanted))
    else:
        try:
            arrays = _ArraysOnly(io.BytesIO(p.read_bytes()), encoding="latin1").load()
        except (pickle.UnpicklingError, EOFError, ValueError, OSError) as e:
            raise InputError(f"{p}: not a readable SMPL model file: {e}") from None
    if not isinstance(arrays, dict):
        raise InputError(f"{p}: expected a dictionary of arrays, got {type(arrays).__name__}")
    missing = [k for k in REQUIRED if k not in arrays]
    if missing:
        raise InputError(f"{p}: not an SMPL model file: missing {missing}")
    layout = layout_for_joints(np.asarray(arrays["kintree_table"]).shape[-1], str(p))
    if layout is SMPLX:
        missing = [k for k in SMPLX_REQUIRED if k not in arrays]
        if missing:
            raise InputError(f"{p}: an SMPL-X model file (55 joints) without {missing}")
    _check_shapes(arrays, p)
    return {k: v for k, v in arrays.items() if k in wanted}


def _check_shapes(arrays: dict[str, object], p: Path) -> None:
    """Refuse arrays that do not fit together: V vertices from ``v_template``, J joints from ``kintree_table``
    (a damaged or hand-edited file would otherwise fail deep inside the skinning)."""
    shape = {k: tuple(np.shape(v)) for k, v in arrays.items()}  # SciPy's sparse J_regressor too
    V, J = shape["v_template"][0] if shape["v_template"] else 0, shape["kintree_table"][-1]
    wanted: dict[str, tuple[str, tuple[int | None, ...]]] = {
        "v_template": ("(V, 3)", (V, 3)), "f": ("(F, 3) vertex indices", (None, 3)),
        "kintree_table": ("(2, J)", (2, J)), "J_regressor": ("(J, V)", (J, V)), "weights": ("(V, J)", (V, J)),
        "shapedirs": ("(V, 3, B)", (V, 3, None)), "posedirs": ("(V, 3, 9 (J - 1))", (V, 3, 9 * (J - 1))),
    }
    if all(k in arrays for k in SMPLX_REQUIRED):
        for side in "lr":
            wanted[f"hands_components{side}"] = ("(n, 45) PCA components", (None, 45))
            wanted[f"hands_mean{side}"] = ("(45,)", (45,))
    for key, (words, expected) in wanted.items():
        got = shape[key]
        if len(got) != len(expected) or any(e is not None and g != e for g, e in zip(got, expected)):
            raise InputError(f"{p}: not a consistent SMPL model file: {key} must be {words} with V = {V} vertices "
                             f"and J = {J} joints (from v_template and kintree_table), got {got}")
    faces = np.asarray(arrays["f"])
    if faces.size and (faces.min() < 0 or faces.max() >= V):
        raise InputError(f"{p}: not a consistent SMPL model file: f indexes vertices {faces.min()} to "
                         f"{faces.max()}, the model has {V}")


@dataclass(frozen=True)
class BodyOutput:
    """A body model evaluated on T frames: vertices (T, V, 3) and joints (T, J, 3), metres."""

    vertices: torch.Tensor
    joints: torch.Tensor

    __repr__ = short_repr


@dataclass(frozen=True)
class HandSpace:
    """SMPL-X's hand pose space: PCA components (2, 45, 45) (left, right; rows are components) and the mean
    hand pose (2, 45), axis-angle."""

    components: np.ndarray
    mean: np.ndarray

    __repr__ = short_repr


@dataclass(frozen=True)
class _Skin:
    """The model's arrays for the N vertices one call poses, laid out for its products (:meth:`BodyModel._skin`):
    ``template`` (3N,), ``shapedirs`` (B, 3N), ``posedirs`` (P, 3N) and ``expression_dirs`` (E, 3N) or None, each
    row laid out (3, N); ``weights`` (J, N) the skinning weights."""

    template: torch.Tensor
    shapedirs: torch.Tensor
    posedirs: torch.Tensor
    weights: torch.Tensor
    expression_dirs: torch.Tensor | None


JOINTS_ONLY = torch.zeros(1, dtype=torch.long)
"""The vertex set of a call that wants the joints alone (``vertex_ids=JOINTS_ONLY``): the joints do not depend on
the vertices posed (:meth:`BodyModel.__call__`), so one vertex is posed and skinned, not the whole mesh."""


def _joint_dirs(regressor: torch.Tensor, dirs: torch.Tensor) -> torch.Tensor:
    """(J, 3, K) how K blend directions (V, 3, K) move the regressed joints (regressor (J, V), float64)."""
    return torch.einsum("jv,vck->jck", regressor, dirs.double()).to(dirs.dtype)


class BodyModel:
    """An SMPL or SMPL-X model (:func:`load_body_model`), evaluated with rotation matrices on whole videos.

    Attributes:
        smpl: the :class:`smplx.SMPL` module whose buffers hold the model's arrays.
        source: the model file.
        layout: SMPL's or SMPL-X's joints.
        expression_dirs: (V, 3, E) SMPL-X's expression directions, or None.
        hands: SMPL-X's hand pose space, or None.
    """

    def __init__(self, smpl: torch.nn.Module, source: str, layout: BodyLayout,
                 expression_dirs: torch.Tensor | None = None, hands: HandSpace | None = None) -> None:
        self.smpl = smpl
        self.source = source
        self.layout = layout
        self.expression_dirs = expression_dirs
        self.hands = hands
        self._skins: dict[bytes | None, _Skin] = {}
        # The joint regression is linear: the rest joints of any shape and expression are the template's regressed
        # joints (J, 3) moved by the regressed shape (J, 3, B) and expression (J, 3, E) directions.
        regressor = smpl.J_regressor.double()
        self._joint_template = (regressor @ smpl.v_template.double()).to(smpl.v_template.dtype)
        self._joint_shapedirs = _joint_dirs(regressor, smpl.shapedirs)
        self._expression_joint_dirs = None if expression_dirs is None else _joint_dirs(regressor, expression_dirs)

    @property
    def num_joints(self) -> int:
        """J: 24 (SMPL) or 55 (SMPL-X)."""
        return self.layout.num_joints

    @property
    def num_expression(self) -> int:
        """E, SMPL-X's expression coefficients used (0 for SMPL)."""
        return 0 if self.expression_dirs is None else int(self.expression_dirs.shape[-1])

    def check_sequence(self, seq: SmplSequence, source: str | None = None) -> None:
        """Refuse a sequence of another model, or with more shape or expression coefficients than the model's.

        Args:
            seq: the parameters.
            source: the parameters' file, named first in messages; None: no file.

        Raises:
            InputError: saying what the sequence has and what the model expects.
        """
        named = "" if source is None else f"{source}: "
        if seq.layout is not self.layout:
            raise InputError(
                f"{named}the parameters are {seq.layout.title} (body_pose of {seq.layout.body_joints} joints), but "
                f"the body model {self.source} is {self.layout.title} ({self.num_joints} joints)"
            )
        if seq.betas.shape[-1] != self.num_betas:
            raise InputError(f"{named}betas: {seq.betas.shape[-1]} shape coefficients, the body model {self.source} "
                             f"uses {self.num_betas}")
        expression = seq.extras.get("expression")
        if expression is not None and expression.shape[1] > self.num_expression:
            raise InputError(f"{named}expression: {expression.shape[1]} coefficients, the body model {self.source} "
                             f"has {self.num_expression}")

    def pose_rotations(self, seq: SmplSequence) -> np.ndarray:
        """(T, J, 3, 3) every joint's rotation matrix: the root, the body and, for SMPL-X, the jaw, the eyes and
        the hands (PCA coefficients expanded, the mean hand added unless ``flat_hand_mean``).

        Raises:
            InputError: see :meth:`check_sequence`; PCA hand coefficients beyond the model's components.
        """
        self.check_sequence(seq)
        T = seq.num_frames
        parts = [seq.global_orient[:, None], seq.body_pose]
        for key, joints in self.layout.extra_pose:
            value = seq.extras.get(key)
            aa = np.zeros((T, 3 * joints)) if value is None else value.reshape(T, -1)
            if key in HAND_KEYS and self.hands is not None:
                hand = HAND_KEYS.index(key)
                if aa.shape[1] != 3 * joints:  # PCA coefficients
                    aa = aa @ self.hands.components[hand, : aa.shape[1]]
                if not seq.flat_hand_mean:
                    aa = aa + self.hands.mean[hand]
            parts.append(aa.reshape(T, joints, 3))
        aa = np.concatenate(parts, axis=1)
        return Rotation.from_rotvec(aa.reshape(-1, 3)).as_matrix().reshape(T, self.num_joints, 3, 3)

    def expression_of(self, seq: SmplSequence) -> torch.Tensor | None:
        """(T, E) float32 SMPL-X expression of ``seq`` (zero-padded to the model's E), or None without one."""
        expression = seq.extras.get("expression")
        if expression is None or self.num_expression == 0:
            return None
        padded = np.zeros((seq.num_frames, self.num_expression))
        padded[:, : expression.shape[1]] = expression
        return torch.as_tensor(padded, dtype=torch.float32)

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

    def parts(self) -> np.ndarray:
        """(V,) int64 the body part of each vertex: the joint whose skinning weight on it is the largest."""
        return self.smpl.lbs_weights.argmax(1).cpu().numpy()

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
        self,
        betas: torch.Tensor,
        rotations: torch.Tensor,
        transl: torch.Tensor,
        vertex_ids: torch.Tensor | None = None,
        expression: torch.Tensor | None = None,
    ) -> BodyOutput:
        """Vertices and joints of T frames, by linear blend skinning.

        The shape is blended once when the video has one (``betas`` of shape (B,)), not once per frame, and
        only the vertices asked for are posed and skinned: a cost of O(T x len(vertex_ids)) instead of O(T x V)
        when a term needs a subset (the rest joints, the regression of the whole rest mesh, come from the
        template's and the shape and expression directions' regressed joints, computed once: the regression is
        linear). The blend shapes and the blended transforms are each one matrix product over the frames, the
        vertices laid out (3, N) so that every product is contiguous. The kinematic chain is smplx's
        (:func:`smplx.lbs.batch_rigid_transform`); the result equals :func:`smplx.lbs.lbs` and, for SMPL-X,
        ``smplx.SMPLX``'s vertices (tests).

        Args:
            betas: (B,) one shape for the video, or (T, B).
            rotations: (T, J, 3, 3) rotation matrices: the global orientation, then the other joints
                (:meth:`pose_rotations`).
            transl: (T, 3) translation, metres.
            vertex_ids: (N,) int64 indices of the vertices wanted, or None for all V.
            expression: (T, E) SMPL-X expression coefficients, or None (a neutral face).

        Returns:
            :class:`BodyOutput` (vertices (T, N or V, 3)), differentiable in ``betas``, ``rotations``, ``transl``.
        """
        from smplx.lbs import batch_rigid_transform, blend_shapes

        s = self.smpl
        T = rotations.shape[0]
        dtype = s.shapedirs.dtype
        R = rotations.to(dtype)
        b = (betas[None] if betas.ndim == 1 else betas).to(dtype)
        rest_joints = (self._joint_template + blend_shapes(b, self._joint_shapedirs)).expand(T, -1, -1)
        skin = self._skin(vertex_ids)
        v_shaped = skin.template + b @ skin.shapedirs  # (1 or T, 3N), laid out (3, N)
        if expression is not None and skin.expression_dirs is not None:
            rest_joints = rest_joints + blend_shapes(expression.to(dtype), self._expression_joint_dirs)
            v_shaped = v_shaped + expression.to(dtype) @ skin.expression_dirs
        joints, A = batch_rigid_transform(R, rest_joints, s.parents)  # A: (T, J, 4, 4), rest joints removed
        eye = torch.eye(3, dtype=dtype, device=R.device)
        pose_feature = (R[:, 1:] - eye).reshape(T, -1)  # SMPL's pose blend shapes: linear in R - I
        N = skin.weights.shape[1]
        v_posed = (v_shaped + pose_feature @ skin.posedirs).view(T, 3, N)
        vertices = blend_skin(A[:, :, :3], skin.weights, v_posed)  # (T, 3, N)
        shift = transl.to(dtype)[:, None, :]
        return BodyOutput(vertices=vertices.transpose(1, 2) + shift, joints=joints + shift)

    def _skin(self, vertex_ids: torch.Tensor | None) -> _Skin:
        """The model's arrays for these vertices, laid out for :meth:`__call__`, made once per vertex set (the
        last few kept)."""
        key = None if vertex_ids is None else vertex_ids.cpu().numpy().astype(np.int64).tobytes()
        skin = self._skins.get(key)
        if skin is None:
            s = self.smpl
            V = self.num_vertices
            ids = torch.arange(V) if vertex_ids is None else vertex_ids.to(torch.int64).cpu()

            def rows(dirs: torch.Tensor) -> torch.Tensor:  # (V, 3, K) -> (K, 3N), laid out (3, N)
                return dirs[ids].permute(2, 1, 0).reshape(dirs.shape[-1], -1).contiguous()

            skin = _Skin(
                template=s.v_template[ids].T.reshape(-1).contiguous(),
                shapedirs=rows(s.shapedirs),
                posedirs=rows(s.posedirs.view(s.posedirs.shape[0], V, 3).permute(1, 2, 0)),
                weights=s.lbs_weights[ids].T.contiguous(),
                expression_dirs=None if self.expression_dirs is None else rows(self.expression_dirs),
            )
            if len(self._skins) >= 4:
                self._skins.clear()
            self._skins[key] = skin
        return skin


def load_body_model(
    path: str | os.PathLike[str], num_betas: int = 10, num_expression: int = 10, asked_by: str | None = None
) -> BodyModel:
    """Load a user's SMPL or SMPL-X model file (module docstring).

    Args:
        path: the ``.pkl`` or ``.npz`` file.
        num_betas: shape coefficients to use (at most the file's).
        num_expression: SMPL-X's expression coefficients to use (at most the file's; ignored for SMPL).
        asked_by: the file whose coefficients these are, for messages.

    Raises:
        InputError: see :func:`read_model_arrays`; more coefficients asked for than the file has.
    """
    import smplx
    from smplx.utils import Struct

    by = "" if asked_by is None else f" by {asked_by}"
    arrays = read_model_arrays(path)
    layout = layout_for_joints(np.asarray(arrays["kintree_table"]).shape[-1], str(path))
    shapedirs = np.asarray(arrays["shapedirs"])
    expression_dirs = hands = None
    if layout is SMPLX:
        shape_space = SMPLX_SHAPE_SPACE if shapedirs.shape[-1] >= SMPLX_SHAPE_SPACE + 100 else 10
        expression = shapedirs[:, :, shape_space: shape_space + num_expression]
        if expression.shape[-1] < num_expression:
            raise InputError(f"{path}: {expression.shape[-1]} expression directions, {num_expression} asked for{by}")
        expression_dirs = torch.as_tensor(expression, dtype=torch.float32)
        shapedirs = shapedirs[:, :, :shape_space]
        hands = HandSpace(components=np.stack([np.asarray(arrays["hands_componentsl"], np.float64),
                                               np.asarray(arrays["hands_componentsr"], np.float64)]),
                          mean=np.stack([np.asarray(arrays["hands_meanl"], np.float64),
                                         np.asarray(arrays["hands_meanr"], np.float64)]))
    if shapedirs.shape[-1] < num_betas:
        raise InputError(f"{path}: {shapedirs.shape[-1]} shape directions, {num_betas} betas asked for{by}")
    arrays["shapedirs"] = shapedirs[:, :, :num_betas]
    with contextlib.redirect_stdout(io.StringIO()):  # smplx prints a note about the number of betas
        smpl = smplx.SMPL(model_path=str(path), data_struct=Struct(**arrays), num_betas=num_betas,
                          create_betas=False, create_global_orient=False, create_body_pose=False,
                          create_transl=False)
    return BodyModel(smpl.eval(), str(path), layout, expression_dirs, hands)


def load_body_model_for(
    path: str | os.PathLike[str], seq: SmplSequence, source: str | None = None
) -> BodyModel:
    """Load the model file for ``seq``'s shape and expression coefficients, and check the two belong together
    (``source``: the parameters' file, for messages).

    Raises:
        InputError: see :func:`load_body_model` and :meth:`BodyModel.check_sequence`.
    """
    expression = seq.extras.get("expression")
    model = load_body_model(path, num_betas=seq.betas.shape[-1],
                            num_expression=10 if expression is None else max(expression.shape[1], 1), asked_by=source)
    model.check_sequence(seq, source)
    return model


def model_joints(model: BodyModel, seq: SmplSequence) -> np.ndarray:
    """(T, J, 3) float32 metres: the model's joints for the parameters, camera frame (J: the model's joints, 24 for
    SMPL, 55 for SMPL-X; the first 22 are the same body joints in both)."""
    with torch.no_grad():
        out = model(torch.as_tensor(seq.betas, dtype=torch.float32),
                    torch.as_tensor(model.pose_rotations(seq), dtype=torch.float32),
                    torch.as_tensor(seq.transl, dtype=torch.float32),
                    vertex_ids=JOINTS_ONLY, expression=model.expression_of(seq))
    return out.joints.numpy()


def check_in_front(model: BodyModel, seq: SmplSequence, source: str) -> np.ndarray:
    """Refuse parameters that put the model's joints behind the camera, or nearer than the pose stage allows
    (:func:`flowpose.pose.check_joints3d`): their projection, and every image term, would be meaningless.

    Returns:
        The joints checked (:func:`model_joints`).

    Raises:
        InputError: naming ``source`` and the first such frame.
    """
    joints = model_joints(model, seq)
    check_joints3d(joints, f"{source}: the body model's ")
    return joints
