"""A synthetic SMPL clip: a smooth motion of a body model, its exact mesh flow, and an estimator's errors.

The flow is the image motion of the visible vertices (visibility as in :func:`flowpose.body.refine.visible_vertices`),
splatted into full-frame flow fields (forward t -> t+1 at the vertices' pixels in frame t, backward at their
pixels in frame t+1) with confidence 1 where a vertex landed and 0 elsewhere: the exact flow of the mesh, as
far as a vertex covers it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from flowpose.body.model import BodyModel
from flowpose.body.params import SmplSequence
from flowpose.body.refine import visible_vertices
from flowpose.camera import project_np
from flowpose.flow.field import FlowField

SWINGING = {16: (0.0, 0.0, 0.9), 17: (0.0, 0.0, -0.9), 18: (0.0, 0.8, 0.0), 19: (0.0, -0.8, 0.0),
            1: (0.6, 0.0, 0.0), 2: (-0.6, 0.0, 0.0), 4: (0.7, 0.0, 0.0), 5: (0.7, 0.0, 0.0), 3: (0.0, 0.3, 0.0)}
"""Joint -> amplitude (axis-angle, radians) of its swing: shoulders, elbows, hips, knees, spine."""


def smpl_motion(num_frames: int, fps: float = 30.0, depth_m: float = 3.5, seed: int = 0) -> SmplSequence:
    """A body swinging its limbs at about 1 Hz while turning slowly and walking sideways, 3.5 m from a
    256x256 camera with f = 500 px (camera frame: y down, so the root is turned 180 degrees about x)."""
    rng = np.random.default_rng(seed)
    t = np.arange(num_frames) / fps
    body = np.zeros((num_frames, 23, 3))
    for joint, amp in SWINGING.items():
        phase, freq = rng.uniform(0, 2 * np.pi), rng.uniform(0.8, 1.4)
        body[:, joint - 1] = np.sin(2 * np.pi * freq * t + phase)[:, None] * np.array(amp)
    turn = Rotation.from_rotvec(np.outer(0.6 * np.sin(2 * np.pi * 0.2 * t), [0.0, 1.0, 0.0]))
    root = (Rotation.from_rotvec([np.pi, 0.0, 0.0]) * turn).as_rotvec()
    transl = np.stack([0.4 * np.sin(2 * np.pi * 0.3 * t), 0.1 + 0 * t, depth_m + 0.2 * np.sin(2 * np.pi * 0.1 * t)], -1)
    K = np.array([[500.0, 0.0, 127.5], [0.0, 500.0, 127.5], [0.0, 0.0, 1.0]])
    return SmplSequence(global_orient=root, body_pose=body, betas=rng.normal(0, 0.5, 10), transl=transl, K=K,
                        fps=fps)


@dataclass(frozen=True)
class EstimatorErrors:
    """A single-image SMPL estimator's errors: white per-frame pose noise, a per-joint bias, a wrong shape, and
    depth noise (radians, shape standard deviations, metres)."""

    pose_noise_rad: float = 0.08
    pose_bias_rad: float = 0.05
    root_noise_rad: float = 0.03
    betas_sd: float = 0.5
    depth_noise_m: float = 0.05
    depth_bias_m: float = 0.1
    lateral_noise_m: float = 0.01


def perturb(seq: SmplSequence, errors: EstimatorErrors = EstimatorErrors(), seed: int = 1) -> SmplSequence:
    """The sequence as an estimator would give it (rotations perturbed by composition, not by adding vectors)."""
    rng = np.random.default_rng(seed)
    T = seq.num_frames
    noise = rng.normal(0, errors.pose_noise_rad, (T, 23, 3)) + rng.normal(0, errors.pose_bias_rad, (1, 23, 3))
    body = (Rotation.from_rotvec(noise.reshape(-1, 3)) * Rotation.from_rotvec(seq.body_pose.reshape(-1, 3)))
    root = Rotation.from_rotvec(rng.normal(0, errors.root_noise_rad, (T, 3))) * Rotation.from_rotvec(seq.global_orient)
    transl = seq.transl.copy()
    transl[:, 2] += errors.depth_bias_m + rng.normal(0, errors.depth_noise_m, T)
    transl[:, :2] += rng.normal(0, errors.lateral_noise_m, (T, 2))
    return SmplSequence(
        global_orient=root.as_rotvec(),
        body_pose=body.as_rotvec().reshape(T, 23, 3),
        betas=seq.betas + rng.normal(0, errors.betas_sd, seq.betas.shape),
        transl=transl,
        K=seq.K,
        fps=seq.fps,
        flat_body_pose=seq.flat_body_pose,
    )


def vertices_of(seq: SmplSequence, model: BodyModel) -> np.ndarray:
    """(T, V, 3) metres."""
    with torch.no_grad():
        out = model(torch.as_tensor(seq.betas, dtype=torch.float32),
                    torch.as_tensor(seq.rotations(), dtype=torch.float32),
                    torch.as_tensor(seq.transl, dtype=torch.float32))
    return out.vertices.numpy()


def mesh_flow(
    vertices: np.ndarray, K: np.ndarray, image_size: tuple[int, int], splat: int = 1
) -> tuple[FlowField, FlowField]:
    """The exact forward and backward flow of a mesh (module docstring).

    Args:
        vertices: (T, V, 3) camera frame, metres.
        K: (3, 3) px.
        image_size: (H, W).
        splat: a vertex covers the (2 splat + 1)^2 pixels around it.

    Returns:
        (forward, backward) full-frame flow fields of T - 1 pairs.
    """
    H, W = image_size
    p = project_np(vertices, K)
    vis = visible_vertices(p, vertices[..., 2], 4.0, 0.03)
    T = vertices.shape[0]
    fields = []
    for src, dst in ((slice(0, T - 1), slice(1, T)), (slice(1, T), slice(0, T - 1))):
        flow = np.zeros((T - 1, H, W, 2), np.float32)
        conf = np.zeros((T - 1, H, W), np.float32)
        for k, (a, b, v, z) in enumerate(zip(p[src], p[dst], vis[src], vertices[src][..., 2])):
            idx = np.flatnonzero(v)
            idx = idx[np.argsort(-z[idx])]  # nearer vertices last: they win a shared pixel
            x, y = np.round(a[idx, 0]).astype(int), np.round(a[idx, 1]).astype(int)
            for dy in range(-splat, splat + 1):
                for dx in range(-splat, splat + 1):
                    xx, yy = x + dx, y + dy
                    ok = (xx >= 0) & (xx < W) & (yy >= 0) & (yy < H)
                    flow[k, yy[ok], xx[ok]] = (b[idx] - a[idx])[ok]
                    conf[k, yy[ok], xx[ok]] = 1.0
        fields.append(FlowField.full_frame(flow, conf))
    return fields[0], fields[1]
