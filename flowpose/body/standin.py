"""A small stand-in body model in SMPL's (or SMPL-X's) file format, for tests and benchmarks without the licensed
models.

It has SMPL's 24 joints (or SMPL-X's 55: the jaw, the eyes and two hands of 15 joints added) and kinematic tree,
and every array of an SMPL file: a template of rings of vertices
around the joints and along the bones of a T-pose, a joint regressor (each joint is the mean of its ring, so
the regressed rest joints are exact), skinning weights (a bone's vertices follow its parent joint, blending
towards the child near its end), ten shape directions (height, girth, and smooth random ones), pose blend
shapes (small, random) and triangles joining consecutive rings. The SMPL-X stand-in adds what an SMPL-X file
has besides: ten expression directions (moving the head and jaw rings) after the ten shape directions, hand
pose PCA components and means, and face landmarks, so that ``smplx.SMPLX`` loads it. It is not a human body and
must never be used as one; it exercises every code path a real model file does.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from flowpose.body.layouts import SMPL, SMPLX, BodyLayout

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


def _smplx_rest_joints() -> np.ndarray:
    """(55, 3) SMPL-X's T-pose joints: SMPL's first 22, the jaw and eyes before the head, five fingers a hand."""
    head = REST_JOINTS[15]
    face = [head + [0.0, -0.06, 0.06], head + [0.03, 0.02, 0.08], head + [-0.03, 0.02, 0.08]]
    hands = []
    for side in (1.0, -1.0):  # left hand at +x, then the right
        wrist = REST_JOINTS[20 if side > 0 else 21]
        for dz, length in ((0.03, 0.08), (0.01, 0.09), (-0.03, 0.07), (-0.01, 0.08), (0.05, 0.04)):
            base = wrist + [side * length, 0.0, dz]  # index, middle, pinky, ring, thumb
            hands += [base, base + [side * 0.025, 0.0, 0.0], base + [side * 0.05, 0.0, 0.0]]
    return np.concatenate([REST_JOINTS[:22], np.array(face), np.array(hands)])


SMPLX_SMALL_JOINT = 22
"""SMPL-X's joints from this index on (the face and the fingers) get thin rings."""


def _ring(centre: np.ndarray, axis: np.ndarray, radius: float, n: int) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    helper = np.array([0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(axis, helper)
    u /= np.linalg.norm(u)
    v = np.cross(axis, u)
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return centre + radius * (np.cos(a)[:, None] * u + np.sin(a)[:, None] * v)


def standin_arrays(
    rings_per_bone: int = 3, ring_size: int = 8, seed: int = 0, layout: BodyLayout = SMPL
) -> dict[str, np.ndarray]:
    """The arrays of the stand-in model (module docstring).

    Args:
        rings_per_bone: rings along each bone, besides the ring at each joint.
        ring_size: vertices per ring.
        seed: of the random shape and pose directions.
        layout: :data:`~flowpose.body.layouts.SMPL` or :data:`~flowpose.body.layouts.SMPLX`.

    Returns:
        SMPL's arrays: ``v_template`` (V, 3), ``shapedirs`` (V, 3, 10), ``posedirs`` (V, 3, 9 (J - 1)),
        ``J_regressor`` (J, V), ``kintree_table`` (2, J), ``weights`` (V, J), ``f`` (F, 3). SMPL-X's also:
        ``shapedirs`` (V, 3, 20) (ten shape, then ten expression directions), ``hands_componentsl`` and
        ``hands_componentsr`` (45, 45), ``hands_meanl`` and ``hands_meanr`` (45,), ``lmk_faces_idx`` (51,)
        and ``lmk_bary_coords`` (51, 3).
    """
    rng = np.random.default_rng(seed)
    parents = layout.parents
    rest = REST_JOINTS if layout is SMPL else _smplx_rest_joints()
    J = len(parents)
    verts, weights, rings = [], [], {}
    radii = np.where((layout is SMPLX) & (np.arange(J) >= SMPLX_SMALL_JOINT), 0.008, 0.05)

    def add(points: np.ndarray, w: np.ndarray) -> list[int]:
        start = sum(len(v) for v in verts)
        verts.append(points)
        weights.append(np.repeat(w[None], len(points), 0))
        return list(range(start, start + len(points)))

    for j in range(J):  # a ring around each joint, following that joint
        p = parents[j]
        axis = rest[j] - rest[p] if p >= 0 else np.array([0.0, 1.0, 0.0])
        w = np.zeros(J)
        w[j] = 1.0
        rings[(j, 0.0)] = add(_ring(rest[j], axis, radii[j], ring_size), w)
    faces = []
    for j in range(1, J):
        p = parents[j]
        axis = rest[j] - rest[p]
        radius = radii[j]
        chain = [rings[(p, 0.0)]]
        for k in range(1, rings_per_bone + 1):
            s = k / (rings_per_bone + 1)
            w = np.zeros(J)
            w[p], w[j] = 1.0 - 0.5 * s, 0.5 * s  # the bone follows its parent, blending towards the child
            chain.append(add(_ring(rest[p] + s * axis, axis, radius, ring_size), w))
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
    arrays = {
        "v_template": v,
        "shapedirs": shapedirs,
        "posedirs": rng.normal(0, 1e-3, (V, 3, 9 * (J - 1))),
        "J_regressor": regressor,
        "kintree_table": kintree,
        "weights": np.concatenate(weights),
        "f": np.asarray(faces, dtype=np.int64),
    }
    if layout is SMPLX:
        face = np.concatenate(weights)[:, [15, 22]].sum(1)  # the head's and the jaw's vertices
        expression = face[:, None, None] * rng.normal(0, 0.005, (V, 3, 10))
        arrays["shapedirs"] = np.concatenate([shapedirs, expression], axis=-1)
        for side in "lr":
            arrays[f"hands_components{side}"] = np.linalg.qr(rng.normal(size=(45, 45)))[0].T
            arrays[f"hands_mean{side}"] = rng.normal(0, 0.1, 45)
        arrays["lmk_faces_idx"] = rng.integers(0, len(faces), 51)
        bary = rng.uniform(0.1, 1.0, (51, 3))
        arrays["lmk_bary_coords"] = bary / bary.sum(1, keepdims=True)
    return arrays


def write_standin(
    path: str | os.PathLike[str], rings_per_bone: int = 3, ring_size: int = 8, seed: int = 0, layout: BodyLayout = SMPL
) -> Path:
    """Write the stand-in model as an SMPL- (or SMPL-X-) format ``.pkl`` or ``.npz`` file (arguments:
    :func:`standin_arrays`)."""
    p = Path(path)
    arrays = standin_arrays(rings_per_bone, ring_size, seed, layout)
    if p.suffix.lower() == ".npz":
        np.savez(p, **arrays)
    else:
        p.write_bytes(pickle.dumps(arrays, protocol=2))
    return p
