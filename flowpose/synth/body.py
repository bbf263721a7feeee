"""A body of rigid primitives (capsules and ellipsoids) driven by H36M-17 joints.

Each part is a convex solid fixed in its own local frame:

- origin at the part's ``parent`` joint, local ``z`` along the bone ``parent -> child``;
- local ``x`` either from a pair of ``side`` joints (hips or shoulders, orthogonalised against ``z``: the
  torso's frame is fully fixed by the joints), or, for limbs and head, carried through time by **parallel
  transport**: the frame of frame t+1 is the frame of frame t turned by the smallest rotation that takes the
  bone direction at t onto the bone direction at t+1 (Rodrigues, ``R = I + [v]x + [v]x^2 / (1 + c)`` with
  ``v = z_t x z_{t+1}``, ``c = z_t . z_{t+1}``). The twist of a limb about its own axis is thus smooth and
  only changes when the bone turns; the joints alone do not define it. At t = 0 the reference ``x`` is the
  camera axis least parallel to the bone (camera ``z``, else camera ``x``), orthogonalised. (Parallel
  transport drifts over long clips with much limb rotation (holonomy); that only turns the texture.)
- local ``y = z x x`` (right-handed).

The part's shape is fixed for the whole clip: axial extents are fractions of the bone's **median** length over
the clip, so every surface point has constant local coordinates and its 3D motion between two frames is the
exact rigid motion of its part (the basis of exact ground-truth flow). Where the input bone length varies the
part's far end drifts slightly off the child joint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from flowpose.errors import InputError, ShapeError
from flowpose.skeleton import H36M17

CAPSULE = 0
"""Shape code of a capsule: a cylinder of radius ``radii[0]`` from local z0 to z1 with hemispherical caps."""
ELLIPSOID = 1
"""Shape code of an ellipsoid: semi-axes (radii[0], radii[1], (z1 - z0) / 2), centre (0, 0, (z0 + z1) / 2)."""

_SHAPE_CODES = {"capsule": CAPSULE, "ellipsoid": ELLIPSOID}


@dataclass(frozen=True)
class PartSpec:
    """One rigid body part, attached to a bone of H36M-17.

    Attributes:
        name: part name, e.g. ``"l_forearm"``.
        shape: ``"capsule"`` or ``"ellipsoid"``.
        parent: joint index of the frame origin.
        child: joint index that the local z axis points to.
        radii: (x, y) cross-section semi-axes in metres (a capsule uses ``radii[0]``).
        axial: (start, end) along the bone as fractions of its length (0 = parent, 1 = child); may exceed
            [0, 1] (a hand beyond the wrist, a chest up to the shoulders).
        side: (a, b) joints whose difference ``a - b`` gives the local x axis, or None for parallel transport.
        group: clothing group used by the textures: ``"top"``, ``"bottom"`` or ``"skin"``.
    """

    name: str
    shape: Literal["capsule", "ellipsoid"]
    parent: int
    child: int
    radii: tuple[float, float]
    axial: tuple[float, float] = (0.0, 1.0)
    side: tuple[int, int] | None = None
    group: Literal["top", "bottom", "skin"] = "top"


_J = {name: i for i, name in enumerate(H36M17.joint_names)}

BODY_PARTS: tuple[PartSpec, ...] = (
    PartSpec("abdomen", "ellipsoid", _J["pelvis"], _J["spine"], (0.155, 0.11), (-0.45, 1.3),
             (_J["l_hip"], _J["r_hip"]), "bottom"),
    PartSpec("chest", "ellipsoid", _J["spine"], _J["thorax"], (0.175, 0.12), (-0.5, 1.3),
             (_J["l_shoulder"], _J["r_shoulder"])),
    PartSpec("neck", "capsule", _J["thorax"], _J["neck"], (0.05, 0.05), (0.0, 0.5), None, "skin"),
    PartSpec("head", "ellipsoid", _J["neck"], _J["head"], (0.08, 0.095), (-0.6, 1.1), None, "skin"),
    PartSpec("l_shoulder", "capsule", _J["thorax"], _J["l_shoulder"], (0.055, 0.055)),
    PartSpec("r_shoulder", "capsule", _J["thorax"], _J["r_shoulder"], (0.055, 0.055)),
    PartSpec("l_upper_arm", "capsule", _J["l_shoulder"], _J["l_elbow"], (0.045, 0.045)),
    PartSpec("r_upper_arm", "capsule", _J["r_shoulder"], _J["r_elbow"], (0.045, 0.045)),
    PartSpec("l_forearm", "capsule", _J["l_elbow"], _J["l_wrist"], (0.037, 0.037), (0.0, 1.0), None, "skin"),
    PartSpec("r_forearm", "capsule", _J["r_elbow"], _J["r_wrist"], (0.037, 0.037), (0.0, 1.0), None, "skin"),
    PartSpec("l_hand", "ellipsoid", _J["l_elbow"], _J["l_wrist"], (0.042, 0.025), (1.0, 1.65), None, "skin"),
    PartSpec("r_hand", "ellipsoid", _J["r_elbow"], _J["r_wrist"], (0.042, 0.025), (1.0, 1.65), None, "skin"),
    PartSpec("l_hip", "capsule", _J["pelvis"], _J["l_hip"], (0.075, 0.075), (0.0, 1.0), None, "bottom"),
    PartSpec("r_hip", "capsule", _J["pelvis"], _J["r_hip"], (0.075, 0.075), (0.0, 1.0), None, "bottom"),
    PartSpec("l_thigh", "capsule", _J["l_hip"], _J["l_knee"], (0.07, 0.07), (0.0, 1.0), None, "bottom"),
    PartSpec("r_thigh", "capsule", _J["r_hip"], _J["r_knee"], (0.07, 0.07), (0.0, 1.0), None, "bottom"),
    PartSpec("l_shin", "capsule", _J["l_knee"], _J["l_ankle"], (0.05, 0.05), (0.0, 1.0), None, "bottom"),
    PartSpec("r_shin", "capsule", _J["r_knee"], _J["r_ankle"], (0.05, 0.05), (0.0, 1.0), None, "bottom"),
)
"""The default human: torso of two ellipsoids, head ellipsoid, capsule limbs, ellipsoid hands. Radii in
metres for an adult; :func:`build_body` scales them by ``thickness``."""

T_POSE = np.array(
    [
        [0.0, 0.0, 0.0], [-0.13, 0.0, 0.0], [-0.13, 0.45, 0.0], [-0.13, 0.89, 0.0],
        [0.13, 0.0, 0.0], [0.13, 0.45, 0.0], [0.13, 0.89, 0.0], [0.0, -0.23, 0.0],
        [0.0, -0.48, 0.0], [0.0, -0.60, 0.0], [0.0, -0.71, 0.0], [0.15, -0.46, 0.0],
        [0.43, -0.46, 0.0], [0.68, -0.46, 0.0], [-0.15, -0.46, 0.0], [-0.43, -0.46, 0.0],
        [-0.68, -0.46, 0.0],
    ],
    dtype=np.float64,
)
"""(17, 3) metres: an H36M-17 T-pose in the OpenCV camera orientation (y down), pelvis at the origin, facing
the camera (the person's left is +x). Handy for tests and demos: add a translation to place it in front of a
camera."""


@dataclass(frozen=True)
class Body:
    """Shapes of the parts (fixed over the clip) and their rigid poses per frame.

    A local point ``p`` of part k is at ``rotation[t, k] @ p + origin[t, k]`` in frame t.

    Attributes:
        names: (P,) part names.
        groups: (P,) clothing groups (see :class:`PartSpec`).
        kind: (P,) int shape codes (:data:`CAPSULE`, :data:`ELLIPSOID`).
        radii: (P, 2) float64 cross-section semi-axes, metres.
        z0: (P,) float64 local axial start, metres.
        z1: (P,) float64 local axial end, metres.
        rotation: (T, P, 3, 3) float64 local -> input frame; columns are the local x, y, z axes.
        origin: (T, P, 3) float64 frame origins (the parent joints), metres.
    """

    names: tuple[str, ...]
    groups: tuple[str, ...]
    kind: np.ndarray
    radii: np.ndarray
    z0: np.ndarray
    z1: np.ndarray
    rotation: np.ndarray
    origin: np.ndarray

    @property
    def num_parts(self) -> int:
        """P."""
        return len(self.names)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _orthogonal_unit(ref: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Gram-Schmidt: the unit part of ``ref`` orthogonal to unit ``axis`` (both (..., 3))."""
    return _unit(ref - np.sum(ref * axis, axis=-1, keepdims=True) * axis)


def _initial_reference(axis: np.ndarray) -> np.ndarray:
    """(P, 3) a unit vector orthogonal to each unit axis: camera z, or camera x where z is nearly parallel."""
    ref = np.zeros_like(axis)
    use_z = np.abs(axis[:, 2]) < 0.9
    ref[use_z, 2] = 1.0
    ref[~use_z, 0] = 1.0
    return _orthogonal_unit(ref, axis)


def transport_frames(axes: np.ndarray) -> np.ndarray:
    """Carry a reference x axis along unit bone directions by parallel transport in time.

    Args:
        axes: (T, P, 3) unit bone directions (local z) per frame.

    Returns:
        (T, P, 3) unit x axes, orthogonal to ``axes``, turning only as much as the bones turn.
    """
    x = np.empty_like(axes)
    x[0] = _initial_reference(axes[0])
    for t in range(1, axes.shape[0]):
        z0, z1, x0 = axes[t - 1], axes[t], x[t - 1]
        v = np.cross(z0, z1)
        c = np.sum(z0 * z1, axis=-1, keepdims=True)
        # Rodrigues for the minimal rotation z0 -> z1: R x = x + v x x + v x (v x x) / (1 + c). A bone that
        # flips by ~180 degrees in one frame has no unique minimal rotation; the clamp keeps it finite and the
        # Gram-Schmidt below restores orthogonality.
        vx = np.cross(v, x0)
        rotated = x0 + vx + np.cross(v, vx) / np.maximum(1.0 + c, 1e-6)
        x[t] = _orthogonal_unit(rotated, z1)
    return x


def build_body(joints: np.ndarray, *, parts: tuple[PartSpec, ...] = BODY_PARTS,
               thickness: float = 1.0) -> Body:
    """Pose the body's parts on a joint trajectory.

    Args:
        joints: (T, 17, 3) H36M-17 joints in metres (any right-handed frame; the renderer uses the camera's).
        parts: the part list; :data:`BODY_PARTS` by default.
        thickness: factor on every part's radii (1 = adult).

    Returns:
        The :class:`Body` with shapes from median bone lengths and per-frame rigid frames.

    Raises:
        ShapeError: if ``joints`` is not (T, 17, 3).
        InputError: for non-finite joints, a zero-length bone, or a non-positive ``thickness``.

    Example:
        >>> body = build_body(T_POSE[None] + [0.0, 0.0, 4.0])
        >>> body.rotation.shape
        (1, 18, 3, 3)
    """
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (H36M17.num_joints, 3) or joints.shape[0] < 1:
        raise ShapeError("joints", "(T>=1, 17, 3)", joints.shape, "build_body")
    if not np.isfinite(joints).all():
        raise InputError("build_body: joints must be finite; got NaN or inf (fill missing joints first)")
    if not thickness > 0:
        raise InputError(f"build_body: thickness must be > 0, got {thickness}")
    parent = np.array([p.parent for p in parts])
    child = np.array([p.child for p in parts])
    bone = joints[:, child] - joints[:, parent]  # (T, P, 3)
    length = np.linalg.norm(bone, axis=-1)
    if (length < 1e-6).any():
        t, k = np.argwhere(length < 1e-6)[0]
        raise InputError(f"build_body: bone of part {parts[k].name!r} has zero length at frame {t}")
    z = bone / length[..., None]
    x = transport_frames(z)
    for k, part in enumerate(parts):
        if part.side is not None:
            x[:, k] = _orthogonal_unit(joints[:, part.side[0]] - joints[:, part.side[1]], z[:, k])
    y = np.cross(z, x)
    median_length = np.median(length, axis=0)
    axial = np.array([p.axial for p in parts], dtype=np.float64) * median_length[:, None]
    return Body(
        names=tuple(p.name for p in parts),
        groups=tuple(p.group for p in parts),
        kind=np.array([_SHAPE_CODES[p.shape] for p in parts]),
        radii=np.array([p.radii for p in parts], dtype=np.float64) * thickness,
        z0=axial[:, 0].copy(),
        z1=axial[:, 1].copy(),
        rotation=np.stack([x, y, z], axis=-1),
        origin=joints[:, parent].copy(),
    )
