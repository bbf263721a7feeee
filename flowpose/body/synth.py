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

from flowpose.body.layouts import SMPL, BodyLayout
from flowpose.body.model import BodyModel
from flowpose.body.params import SmplSequence
from flowpose.body.refine import h36m_matrix, model_h36m17, visible_vertices
from flowpose.camera import project_np
from flowpose.flow.field import FlowField
from flowpose.metrics import accel_error, mpjpe

SWINGING = {16: (0.0, 0.0, 0.9), 17: (0.0, 0.0, -0.9), 18: (0.0, 0.8, 0.0), 19: (0.0, -0.8, 0.0),
            1: (0.6, 0.0, 0.0), 2: (-0.6, 0.0, 0.0), 4: (0.7, 0.0, 0.0), 5: (0.7, 0.0, 0.0), 3: (0.0, 0.3, 0.0)}
"""Joint -> amplitude (axis-angle, radians) of its swing: shoulders, elbows, hips, knees, spine."""


def smpl_motion(
    num_frames: int, fps: float = 30.0, depth_m: float = 3.5, seed: int = 0, layout: BodyLayout = SMPL
) -> SmplSequence:
    """A body swinging its limbs at about 1 Hz while turning slowly and walking sideways, 3.5 m from a
    256x256 camera with f = 500 px (camera frame: y down, so the root is turned 180 degrees about x). For
    SMPL-X the fingers curl and open, the jaw moves and the expression changes, as (T, 45), (T, 3) and (T, 10)
    parameters with absolute hand poses."""
    rng = np.random.default_rng(seed)
    t = np.arange(num_frames) / fps
    body = np.zeros((num_frames, layout.body_joints, 3))
    for joint, amp in SWINGING.items():
        phase, freq = rng.uniform(0, 2 * np.pi), rng.uniform(0.8, 1.4)
        body[:, joint - 1] = np.sin(2 * np.pi * freq * t + phase)[:, None] * np.array(amp)
    turn = Rotation.from_rotvec(np.outer(0.6 * np.sin(2 * np.pi * 0.2 * t), [0.0, 1.0, 0.0]))
    root = (Rotation.from_rotvec([np.pi, 0.0, 0.0]) * turn).as_rotvec()
    transl = np.stack([0.4 * np.sin(2 * np.pi * 0.3 * t), 0.1 + 0 * t, depth_m + 0.2 * np.sin(2 * np.pi * 0.1 * t)], -1)
    K = np.array([[500.0, 0.0, 127.5], [0.0, 500.0, 127.5], [0.0, 0.0, 1.0]])
    betas = rng.normal(0, 0.5, 10)
    extras = {}
    if layout is not SMPL:
        curl = 0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t)  # fingers bend about the hand's forward axis
        hand = np.zeros((num_frames, 15, 3))
        hand[:, :, 2] = 0.8 * curl[:, None]
        extras = {"left_hand_pose": hand.reshape(num_frames, 45), "right_hand_pose": -hand.reshape(num_frames, 45),
                  "jaw_pose": np.outer(0.2 * curl, [1.0, 0.0, 0.0]),
                  "expression": np.sin(2 * np.pi * 0.5 * t[:, None] + rng.uniform(0, 2 * np.pi, 10))}
    return SmplSequence(global_orient=root, body_pose=body, betas=betas, transl=transl, K=K, fps=fps, extras=extras,
                        flat_hand_mean=True)


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
    J = seq.body_pose.shape[1]
    noise = rng.normal(0, errors.pose_noise_rad, (T, J, 3)) + rng.normal(0, errors.pose_bias_rad, (1, J, 3))
    body = (Rotation.from_rotvec(noise.reshape(-1, 3)) * Rotation.from_rotvec(seq.body_pose.reshape(-1, 3)))
    root = Rotation.from_rotvec(rng.normal(0, errors.root_noise_rad, (T, 3))) * Rotation.from_rotvec(seq.global_orient)
    transl = seq.transl.copy()
    transl[:, 2] += errors.depth_bias_m + rng.normal(0, errors.depth_noise_m, T)
    transl[:, :2] += rng.normal(0, errors.lateral_noise_m, (T, 2))
    return seq.with_body(
        global_orient=root.as_rotvec(),
        body_pose=body.as_rotvec().reshape(T, J, 3),
        betas=seq.betas + rng.normal(0, errors.betas_sd, seq.betas.shape),
        transl=transl,
    )


def body_of(seq: SmplSequence, model: BodyModel):
    """The model evaluated on ``seq``: :class:`~flowpose.body.model.BodyOutput`, vertices (T, V, 3) and joints
    (T, J, 3), metres, without gradients."""
    with torch.no_grad():
        return model(torch.as_tensor(seq.betas, dtype=torch.float32),
                     torch.as_tensor(model.pose_rotations(seq), dtype=torch.float32),
                     torch.as_tensor(seq.transl, dtype=torch.float32), expression=model.expression_of(seq))


def vertices_of(seq: SmplSequence, model: BodyModel) -> np.ndarray:
    """(T, V, 3) metres."""
    return body_of(seq, model).vertices.numpy()


def accel_error_mm(seq: SmplSequence, gt: SmplSequence, model: BodyModel) -> float:
    """The acceleration error of ``seq``'s joints against ``gt``'s (the model's joints as Human3.6M-17, not root
    aligned: :func:`flowpose.metrics.accel_error`), mm/frame²."""
    return accel_error(model_h36m17(model, seq), model_h36m17(model, gt))


def errors_mm(seq: SmplSequence, gt: SmplSequence, model: BodyModel) -> tuple[float, float]:
    """(MPJPE, PVE) of ``seq`` against ``gt``, mm, both with the roots aligned: MPJPE over the model's joints as
    Human3.6M-17 (:func:`flowpose.body.refine.h36m_matrix`), PVE over every vertex."""
    M = h36m_matrix(model.layout)
    (J, V), (Jg, Vg) = ((np.einsum("kj,tjc->tkc", M, out.joints.numpy()), out.vertices.numpy())
                        for out in (body_of(s, model) for s in (seq, gt)))
    pve = np.linalg.norm((V - J[:, :1]) - (Vg - Jg[:, :1]), axis=-1).mean() * 1000
    return mpjpe(J, Jg), float(pve)


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
