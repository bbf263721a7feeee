"""Poses to BVH, for animation tools (Blender, MotionBuilder, Maya): a fixed-length skeleton and joint rotations.

The skeleton is Human3.6M-17 with each bone at its median length over the video, its rest pose the first
frame's (bone directions), Y up, centimetres. Per frame, each joint's global rotation turns its rest bones
onto the observed ones: with several children (pelvis, thorax) the best rotation of all of them (Kabsch;
exact while that part of the body is rigid); with one, the smallest turn from its parent's frame (no twist of
its own, which joint positions cannot tell). Leaves (feet, wrists, head top) are ``End Site``s. The camera frame (x right, y
down, z forward) becomes Y up by a half turn about x, or, with a calibrated camera's world frame, the capture's world
turned Y up (:mod:`flowpose.io.world_frame`). Joints must be finite (fill gaps first, e.g. with
:func:`flowpose.refinement.objective.fill_missing_joints`).

Reading the file back with :func:`flowpose.io.bvh.read_bvh` and :func:`flowpose.io.bvh.forward_kinematics`
gives the poses again, up to each bone's deviation from its median length.
"""

from __future__ import annotations

import os

import numpy as np
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError, ShapeError
from flowpose.io.atomic import atomic_path
from flowpose.io.world_frame import WorldFrame, y_up
from flowpose.skeleton import H36M17

CM_PER_M = 100.0
def _children(parents: tuple[int, ...]) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in parents]
    for j, p in enumerate(parents):
        if p >= 0:
            kids[p].append(j)
    return kids


def _kabsch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(T, K, 3) rest and observed directions -> (T, 3, 3) rotations R with R a ~ b."""
    H = np.einsum("tki,tkj->tij", a, b)
    U, _, Vt = np.linalg.svd(H)
    d = np.sign(np.linalg.det(np.einsum("tij,tjk->tik", Vt.transpose(0, 2, 1), U.transpose(0, 2, 1))))
    D = np.zeros_like(H)
    D[:, 0, 0] = D[:, 1, 1] = 1.0
    D[:, 2, 2] = d
    return np.einsum("tji,tjk,tlk->til", Vt, D, U)


def _smallest_turn(a: np.ndarray, b: np.ndarray) -> Rotation:
    """The smallest rotations turning unit vectors a (T, 3) onto b (T, 3)."""
    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1)
    c = np.clip((a * b).sum(-1), -1.0, 1.0)
    angle = np.arctan2(s, c)
    # For opposite vectors any perpendicular axis does: a x e_x, or a x e_y when a is along e_x.
    fallback = np.cross(a, np.array([1.0, 0.0, 0.0]))
    along_x = np.linalg.norm(fallback, axis=-1) < 1e-6
    fallback[along_x] = np.cross(a[along_x], np.array([0.0, 1.0, 0.0]))
    fallback /= np.linalg.norm(fallback, axis=-1, keepdims=True)
    axis = np.where((s > 1e-9)[:, None], axis / np.maximum(s, 1e-12)[:, None], fallback)
    return Rotation.from_rotvec(axis * angle[:, None])


def bvh_rotations(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rest offsets and per-frame local rotations of H36M-17 poses (module docstring).

    Args:
        joints: (T, 17, 3) Y-up positions, any unit, no NaN.

    Returns:
        offsets: (17, 3) rest offsets from each joint's parent (the root's is 0), median bone lengths.
        local: (T, 17, 3, 3) each joint's rotation in its parent's frame (identity for leaves).
    """
    parents = H36M17.parents
    kids = _children(parents)
    T = joints.shape[0]
    offsets = np.zeros((17, 3))
    for j in range(17):
        if parents[j] >= 0:
            bone = joints[:, j] - joints[:, parents[j]]
            length = np.median(np.linalg.norm(bone, axis=-1))
            offsets[j] = bone[0] / max(np.linalg.norm(bone[0]), 1e-12) * length  # the first frame's direction
    glob = np.tile(np.eye(3), (T, 17, 1, 1))
    for j in range(17):  # parents precede children in H36M-17's order
        # Children at zero length (a joint never observed, placed on its parent) tell no direction.
        bones = [c for c in kids[j] if np.linalg.norm(offsets[c]) > 1e-9]
        if not bones:
            if parents[j] >= 0:
                glob[:, j] = glob[:, parents[j]]
            continue
        observed = np.stack([joints[:, c] - joints[:, j] for c in bones], axis=1)
        observed /= np.maximum(np.linalg.norm(observed, axis=-1, keepdims=True), 1e-12)
        rest = np.stack([offsets[c] / np.linalg.norm(offsets[c]) for c in bones])[None].repeat(T, 0)
        if len(bones) >= 2:
            glob[:, j] = _kabsch(rest, observed)
        else:
            start = glob[:, parents[j]] if parents[j] >= 0 else np.tile(np.eye(3), (T, 1, 1))
            turned = np.einsum("tij,tj->ti", start, rest[:, 0])
            glob[:, j] = (_smallest_turn(turned, observed[:, 0]) * Rotation.from_matrix(start)).as_matrix()
    local = glob.copy()
    for j in range(17):
        if parents[j] >= 0:
            local[:, j] = np.einsum("tji,tjk->tik", glob[:, parents[j]], glob[:, j])
    return offsets, local


def write_bvh(path: str | os.PathLike[str], joints3d: np.ndarray, fps: float, frame: WorldFrame | None = None) -> None:
    """Write H36M-17 camera-frame poses (T, 17, 3) metres as a BVH file (module docstring), atomically; in
    ``frame``'s world where given.

    Raises:
        ShapeError: for joints that are not (T, 17, 3).
        InputError: for missing (non-finite) joints.
    """
    if joints3d.ndim != 3 or joints3d.shape[1:] != (17, 3):
        raise ShapeError("joints3d", "(T, 17, 3) Human3.6M-17", joints3d.shape)
    if not np.isfinite(joints3d).all():
        raise InputError("joints3d: missing joints; fill them before writing a BVH (an animation has no gaps)")
    world = y_up(joints3d, frame) * CM_PER_M
    offsets, local = bvh_rotations(world)
    kids = _children(H36M17.parents)
    lines = ["HIERARCHY"]
    order: list[int] = []

    def block(j: int, depth: int) -> None:
        pad = "  " * depth
        name = H36M17.joint_names[j]
        lines.append(f"{pad}{'ROOT' if depth == 0 else 'JOINT'} {name}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {' '.join(f'{v:.4f}' for v in offsets[j])}")
        channels = "6 Xposition Yposition Zposition" if depth == 0 else "3"
        lines.append(f"{pad}  CHANNELS {channels} Zrotation Yrotation Xrotation")
        order.append(j)
        for c in kids[j]:
            if kids[c]:
                block(c, depth + 1)
            else:
                end = " ".join(f"{v:.4f}" for v in offsets[c])
                lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET {end}", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    block(0, 0)
    T = world.shape[0]
    lines += ["MOTION", f"Frames: {T}", f"Frame Time: {1.0 / fps:.8f}"]
    euler = {j: Rotation.from_matrix(local[:, j]).as_euler("ZYX", degrees=True) for j in order}
    for t in range(T):
        values = list(world[t, 0])
        for j in order:
            values += list(euler[j][t])
        lines.append(" ".join(f"{v:.5f}" for v in values))
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
