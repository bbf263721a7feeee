"""A small stand-in body model in SMPL's file format, for tests and benchmarks without the licensed SMPL.

It has SMPL's 24 joints and kinematic tree and every array of an SMPL file: a template of rings of vertices
around the joints and along the bones of a T-pose, a joint regressor (each joint is the mean of its ring, so
the regressed rest joints are exact), skinning weights (a bone's vertices follow its parent joint, blending
towards the child near its end), ten shape directions (height, girth, and smooth random ones), pose blend
shapes (small, random) and triangles joining consecutive rings. It is not a human body and must never be
used as one; it exercises every code path a real SMPL file does.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from flowpose.skeleton import SMPL24

REST_JOINTS = np.array(
    [
        [0.0, 0.0, 0.0], [0.06, -0.09, 0.0], [-0.06, -0.09, 0.0], [0.0, 0.11, 0.0],
        [0.1, -0.47, 0.0], [-0.1, -0.47, 0.0], [0.0, 0.24, 0.0], [0.1, -0.87, -0.03],
        [-0.1, -0.87, -0.03], [0.0, 0.29, 0.0], [0.12, -0.92, 0.1], [-0.12, -0.92, 0.1],
        [0.0, 0.5, 0.0], [0.08, 0.4, 0.0], [-0.08, 0.4, 0.0], [0.0, 0.6, 0.03],
        [0.18, 0.42, 0.0], [-0.18, 0.42, 0.0], [0.44, 0.42, 0.0], [-0.44, 0.42, 0.0],
        [0.7, 0.42, 0.0], [-0.7, 0.42, 0.0], [0.78, 0.42, 0.0], [-0.78, 0.42, 0.0],
    ]
)
"""(24, 3) T-pose joints, metres, y up, facing +z, SMPL order."""


def _ring(centre: np.ndarray, axis: np.ndarray, radius: float, n: int) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    helper = np.array([0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(axis, helper)
    u /= np.linalg.norm(u)
    v = np.cross(axis, u)
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return centre + radius * (np.cos(a)[:, None] * u + np.sin(a)[:, None] * v)


def standin_arrays(rings_per_bone: int = 3, ring_size: int = 8, seed: int = 0) -> dict[str, np.ndarray]:
    """The arrays of the stand-in model (module docstring).

    Args:
        rings_per_bone: rings along each bone, besides the ring at each joint.
        ring_size: vertices per ring.
        seed: of the random shape and pose directions.

    Returns:
        SMPL's arrays: ``v_template`` (V, 3), ``shapedirs`` (V, 3, 10), ``posedirs`` (V, 3, 207),
        ``J_regressor`` (24, V), ``kintree_table`` (2, 24), ``weights`` (V, 24), ``f`` (F, 3).
    """
    rng = np.random.default_rng(seed)
    parents = SMPL24.parents
    J = len(parents)
    verts, weights, rings = [], [], {}
    radius = 0.05

    def add(points: np.ndarray, w: np.ndarray) -> list[int]:
        start = sum(len(v) for v in verts)
        verts.append(points)
        weights.append(np.repeat(w[None], len(points), 0))
        return list(range(start, start + len(points)))

    for j in range(J):  # a ring around each joint, following that joint
        p = parents[j]
        axis = REST_JOINTS[j] - REST_JOINTS[p] if p >= 0 else np.array([0.0, 1.0, 0.0])
        w = np.zeros(J)
        w[j] = 1.0
        rings[(j, 0.0)] = add(_ring(REST_JOINTS[j], axis, radius, ring_size), w)
    faces = []
    for j in range(1, J):
        p = parents[j]
        axis = REST_JOINTS[j] - REST_JOINTS[p]
        chain = [rings[(p, 0.0)]]
        for k in range(1, rings_per_bone + 1):
            s = k / (rings_per_bone + 1)
            w = np.zeros(J)
            w[p], w[j] = 1.0 - 0.5 * s, 0.5 * s  # the bone follows its parent, blending towards the child
            chain.append(add(_ring(REST_JOINTS[p] + s * axis, axis, radius, ring_size), w))
        chain.append(rings[(j, 0.0)])
        for a, b in zip(chain[:-1], chain[1:]):
            for i in range(ring_size):
                i2 = (i + 1) % ring_size
                faces += [(a[i], b[i], b[i2]), (a[i], b[i2], a[i2])]
    v = np.concatenate(verts)
    V = len(v)
    regressor = np.zeros((J, V))
    for j in range(J):
        regressor[j, rings[(j, 0.0)]] = 1.0 / ring_size
    shapedirs = np.zeros((V, 3, 10))
    shapedirs[:, 1, 0] = 0.05 * v[:, 1]  # beta 0: taller
    shapedirs[:, 0, 1] = 0.03 * v[:, 0]  # beta 1: wider
    smooth = rng.normal(0, 0.01, (J, 3, 8))  # betas 2-9: smooth per-joint offsets, spread by the skinning
    shapedirs[:, :, 2:] = np.einsum("vj,jck->vck", np.concatenate(weights), smooth)
    kintree = np.array([[4294967295 if p < 0 else p for p in parents], list(range(J))], dtype=np.int64)
    return {
        "v_template": v,
        "shapedirs": shapedirs,
        "posedirs": rng.normal(0, 1e-3, (V, 3, 9 * (J - 1))),
        "J_regressor": regressor,
        "kintree_table": kintree,
        "weights": np.concatenate(weights),
        "f": np.asarray(faces, dtype=np.int64),
    }


def write_standin(
    path: str | os.PathLike[str], rings_per_bone: int = 3, ring_size: int = 8, seed: int = 0
) -> Path:
    """Write the stand-in model as an SMPL-format ``.pkl`` (or ``.npz``) file (arguments: :func:`standin_arrays`)."""
    p = Path(path)
    arrays = standin_arrays(rings_per_bone, ring_size, seed)
    if p.suffix.lower() == ".npz":
        np.savez(p, **arrays)
    else:
        p.write_bytes(pickle.dumps(arrays, protocol=2))
    return p
