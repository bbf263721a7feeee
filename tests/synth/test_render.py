"""Tests of the renderer: exact flow (warp consistency, analytic motions), occlusion, masks, determinism."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError, ShapeError
from flowpose.synth.body import T_POSE
from flowpose.synth.render import RenderConfig, RenderedClip, camera_trajectory, render_clip

N = 80
F = 100.0
K = np.array([[F, 0.0, 40.0], [0.0, F, 40.0], [0.0, 0.0, 1.0]])  # principal point on a pixel centre
DEPTH = 3.0


def _turn(joints: np.ndarray, pivot: int, moving: list[int], rotvec: np.ndarray) -> np.ndarray:
    """Rotate joints ``moving`` about joint ``pivot`` by a rotation vector (radians)."""
    out = joints.copy()
    R = Rotation.from_rotvec(rotvec).as_matrix()
    out[moving] = (joints[moving] - joints[pivot]) @ R.T + joints[pivot]
    return out


def _swinging(num_frames: int) -> np.ndarray:
    """A T-pose that swings its arms, turns and walks sideways: a bit of every motion."""
    frames = []
    for t in range(num_frames):
        j = T_POSE + [0.0, 0.1, DEPTH]
        j = _turn(j, 11, [12, 13], [0.0, 0.12 * t, 0.08 * t])
        j = _turn(j, 15, [16], [0.0, 0.0, -0.15 * t])
        j = _turn(j, 0, list(range(17)), [0.0, 0.05 * t, 0.0])
        frames.append(j + [0.02 * t, 0.0, 0.0])
    return np.stack(frames)


def _warp_errors(clip: RenderedClip) -> tuple[float, float]:
    """Mean |I_t(x) - I_{t+1}(x + F_t(x))| (grey levels, bilinear) on valid interior body / background pixels.

    Interior: the 3x3 neighbourhood is of one class (body or background) at x in frame t and at the target's
    nearest pixel in frame t+1, so the comparison is not across a silhouette.
    """
    ys, xs = np.mgrid[0:N, 0:N].astype(np.float32)
    kernel = np.ones((3, 3), np.uint8)
    errors: dict[bool, list[np.ndarray]] = {True: [], False: []}
    for t in range(len(clip.flow)):
        mx, my = xs + clip.flow[t, ..., 0], ys + clip.flow[t, ..., 1]
        warped = cv2.remap(clip.frames[t + 1].astype(np.float32), mx, my, cv2.INTER_LINEAR)
        diff = np.abs(warped - clip.frames[t].astype(np.float32)).mean(-1)
        ti = np.clip(np.rint(my), 0, N - 1).astype(int), np.clip(np.rint(mx), 0, N - 1).astype(int)
        for body in (True, False):
            here = cv2.erode((clip.human_mask[t] == body).astype(np.uint8), kernel) > 0
            there = cv2.erode((clip.human_mask[t + 1] == body).astype(np.uint8), kernel) > 0
            keep = clip.flow_valid[t] & here & there[ti]
            errors[body].append(diff[keep])
    return float(np.concatenate(errors[True]).mean()), float(np.concatenate(errors[False]).mean())


def test_smoke_shapes_and_dtypes() -> None:
    clip = render_clip(_swinging(3), K, fps=30.0, config=RenderConfig(size=N))
    assert clip.frames.shape == (3, N, N, 3) and clip.frames.dtype == np.uint8
    assert clip.flow.shape == (2, N, N, 2) and clip.flow.dtype == np.float32
    assert clip.flow_valid.shape == (2, N, N) and clip.flow_valid.dtype == bool
    assert clip.human_mask.shape == (3, N, N) and clip.joints2d.shape == (3, 17, 2)
    assert clip.joints3d.dtype == np.float32 and clip.K.dtype == np.float32 and clip.fps == 30.0


def test_warp_by_gt_flow_reproduces_the_previous_frame() -> None:
    """(1) I_{t+1}(x + F_t(x)) = I_t(x) on valid interior pixels.

    Measured (80x80, s = 2, this motion): body 1.33, background 0.00 grey levels (static camera). The body's
    residual is bilinear interpolation of a texture whose finest wavelength is 5 px, the shading change of
    turning limbs, and uint8 rounding; the bound leaves ~50 % margin.
    """
    clip = render_clip(_swinging(4), K, fps=30.0, config=RenderConfig(size=N))
    body, background = _warp_errors(clip)
    print(f"warp error: body {body:.2f}, background {background:.2f} grey levels")
    assert body < 2.0
    assert background < 0.1
    zero = np.zeros_like(clip.flow)  # the check has teeth: without the flow the error is much larger
    body0, _ = _warp_errors(replace(clip, flow=zero))
    assert body0 > 3 * body


def test_translation_parallel_to_the_image_gives_constant_flow() -> None:
    """(2) A rigid shift (dX, dY) at constant depth moves a body point at depth Z by f (dX, dY) / Z pixels.

    Every body pixel's flow has the shift's direction exactly and a magnitude between those at the body's
    nearest and farthest depths; on the forearm's axis row (Y = 0, front at Z = 3 - r, by hand) it is exact.
    """
    dx, dy = 0.03, -0.02
    joints = np.stack([T_POSE + [-0.45 + dx * t, 0.46 + dy * t, DEPTH] for t in range(3)])
    clip = render_clip(joints, K, fps=30.0, config=RenderConfig(size=N))
    for t in range(2):
        body = clip.human_mask[t]
        flow = clip.flow[t][body].astype(np.float64)
        np.testing.assert_allclose(flow[:, 1] / flow[:, 0], dy / dx, rtol=1e-5)
        assert (F * dx / (DEPTH + 0.2) < flow[:, 0]).all() and (flow[:, 0] < F * dx / (DEPTH - 0.2)).all()
        assert np.abs(clip.flow[t][~body]).max() < 1e-9  # static camera, static background
        assert clip.flow_valid[t][body].mean() > 0.9
    on_axis = np.array([dx, dy]) * F / (DEPTH - 0.037)
    np.testing.assert_allclose(clip.flow[0, 40, 42:47], np.broadcast_to(on_axis, (5, 2)), atol=1e-5)


@pytest.mark.parametrize("axis", [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
def test_rotating_forearm_matches_the_analytic_rigid_motion(axis: list[float]) -> None:
    """(3) The forearm turns about the elbow; the flow of its front surface points is the rigid motion's.

    The left forearm lies on the optical axis' row (Y = 0) parallel to the image, so the ray through pixel
    (u, cy) hits its front at depth Z - r: X = (Z - r) ((u - cx) / f, 0, 1), by hand.
    """
    angle = 0.06
    rest = T_POSE + [-0.45, 0.46, DEPTH]  # left elbow at X = -0.02, wrist at X = 0.23, both Y = 0
    joints = np.stack([rest, _turn(rest, 12, [13], angle * np.asarray(axis))])
    clip = render_clip(joints, K, fps=30.0, config=RenderConfig(size=N))
    r = 0.037
    R = Rotation.from_rotvec(angle * np.asarray(axis)).as_matrix()
    for u in (42, 44, 46):  # projected elbow at u = 39.3 (upper arm's cap to 40.8), wrist at 47.7
        X = (DEPTH - r) * np.array([(u - 40.0) / F, 0.0, 1.0])
        moved = R @ (X - rest[12]) + rest[12]
        expected = F * moved[:2] / moved[2] + 40.0 - [u, 40.0]
        np.testing.assert_allclose(clip.flow[0, 40, u], expected, atol=1e-6)
        assert clip.flow_valid[0, 40, u] and clip.human_mask[0, 40, u]


def test_arm_passing_in_front_of_the_torso_makes_covered_pixels_invalid() -> None:
    """(4) Static torso, forearm sweeping down in front of the chest: the torso pixels it covers are invalid.

    A static pixel (flow exactly 0: torso, head, legs) is covered at t+1 when the point seen there at t+1
    moves on (non-zero flow t+1 -> t+2): the sweeping forearm.
    """
    frames = []
    for t in range(3):
        j = T_POSE + [0.0, 0.1, DEPTH]
        j[15] = j[14] + [0.0, 0.0, -0.28]  # right elbow forward, towards the camera
        j[16] = j[15] + [0.28, 0.0, 0.0]  # forearm across the chest
        frames.append(_turn(j, 15, [16], [0.0, 0.0, 0.3 * t]))
    clip = render_clip(np.stack(frames), K * [[1.5], [1.5], [1]], fps=30.0, config=RenderConfig(size=N))
    static = clip.human_mask[0] & (np.abs(clip.flow[0]).max(-1) == 0.0)
    covered = static & (np.abs(clip.flow[1]).max(-1) > 1e-3)
    assert covered.sum() >= 10
    assert not clip.flow_valid[0][covered].any()
    stays = static & ~cv2.dilate(covered.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert clip.flow_valid[0][stays].mean() > 0.99


def test_human_mask_contains_the_projected_joints() -> None:
    """(5) Every joint projects inside the body's mask; the body covers a plausible share of the image."""
    clip = render_clip(_swinging(3), K, fps=30.0, config=RenderConfig(size=N))
    for t in range(3):
        u, v = np.rint(clip.joints2d[t]).astype(int).T
        assert clip.human_mask[t, v, u].all()
        assert 0.05 < clip.human_mask[t].mean() < 0.5
    np.testing.assert_allclose(clip.joints3d[0], _swinging(1)[0], atol=1e-6)


def test_deterministic() -> None:
    """(6) Same inputs and seed: identical bytes; another seed: other textures, same geometry."""
    joints = _swinging(2)
    config = RenderConfig(size=48, camera_motion=True)
    a = render_clip(joints, K * [[0.6], [0.6], [1]], fps=30.0, config=config, seed=5)
    b = render_clip(joints, K * [[0.6], [0.6], [1]], fps=30.0, config=config, seed=5)
    c = render_clip(joints, K * [[0.6], [0.6], [1]], fps=30.0, config=RenderConfig(size=48), seed=6)
    for name in ("frames", "joints3d", "joints2d", "K", "flow", "flow_valid", "human_mask"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), name
    assert not np.array_equal(a.frames, c.frames)


def test_camera_motion_moves_the_background_and_passes_the_warp_test() -> None:
    """(7) A moving camera gives non-zero background flow that still warps frame t+1 onto frame t.

    Measured: body 1.88, background 0.95 grey levels (bilinear interpolation of 5-px waves, ~1.75 px/frame).
    """
    still = np.stack([T_POSE + [0.0, 0.1, DEPTH]] * 4)
    config = RenderConfig(size=N, camera_motion=True, camera_pan_deg_per_s=30.0, camera_shift_m_per_s=0.5)
    clip = render_clip(still, K, fps=30.0, config=config, seed=2)
    background = ~clip.human_mask[:-1]
    assert np.linalg.norm(clip.flow, axis=-1)[background].mean() > 0.5
    body, bg = _warp_errors(clip)
    print(f"warp error with camera motion: body {body:.2f}, background {bg:.2f} grey levels")
    assert bg < 1.2 and body < 2.5
    # joints3d are in each frame's camera, and joints2d their projections
    pix = clip.joints3d.astype(np.float64) @ K.T
    np.testing.assert_allclose(clip.joints2d, pix[..., :2] / pix[..., 2:], atol=1e-3)
    assert not np.allclose(clip.joints3d[0], clip.joints3d[-1])


def test_edge_supersampling_matches_full_supersampling() -> None:
    """Pixels at surface boundaries get the same s x s samples either way; elsewhere the centre sample of the
    band-limited texture is close to the s x s box average."""
    joints = _swinging(1)
    edges = render_clip(joints, K, fps=30.0, config=RenderConfig(size=N, supersample=2)).frames[0].astype(int)
    config = RenderConfig(size=N, supersample=2, supersample_edges_only=False)
    full = render_clip(joints, K, fps=30.0, config=config)
    one = render_clip(joints, K, fps=30.0, config=RenderConfig(size=N, supersample=1)).frames[0].astype(int)
    full_diff = np.abs(edges - full.frames[0].astype(int)).max(-1)
    one_diff = np.abs(one - full.frames[0].astype(int)).max(-1)
    boundary = one_diff > 20  # silhouettes: single samples differ much from the box average
    assert boundary.sum() > 20
    assert full_diff[boundary].max() <= 1  # the same sub-pixel samples, up to rounding
    assert full_diff.mean() < 2.0


def test_camera_trajectory_rates() -> None:
    """Static: identity. Moving: turns by the configured rate and moves its centre at the configured speed."""
    R, t = camera_trajectory(4, 2.0, RenderConfig(), np.random.default_rng(0))
    assert np.array_equal(R, np.broadcast_to(np.eye(3), (4, 3, 3))) and not t.any()
    config = RenderConfig(camera_motion=True, camera_pan_deg_per_s=6.0, camera_shift_m_per_s=0.2)
    R, t = camera_trajectory(3, 2.0, config, np.random.default_rng(0))  # 0, 0.5, 1 s
    np.testing.assert_allclose(np.rad2deg(Rotation.from_matrix(R[2]).magnitude()), 6.0)
    centre = -np.einsum("tji,tj->ti", R, t)  # C = -R^T t
    np.testing.assert_allclose(np.linalg.norm(centre[2] - centre[0]), 0.2)


def test_static_scene_has_zero_flow_and_is_valid_inside() -> None:
    clip = render_clip(np.stack([T_POSE + [0.0, 0.1, DEPTH]] * 2), K, fps=30.0, config=RenderConfig(size=32))
    assert np.abs(clip.flow).max() < 1e-9
    assert clip.flow_valid.all()
    assert np.array_equal(clip.frames[0], clip.frames[1])


def test_exceptions() -> None:
    joints = _swinging(2)
    with pytest.raises(ShapeError, match=r"joints_cam must have shape \(T>=1, 17, 3\), got \(2, 16, 3\)"):
        render_clip(joints[:, :16], K, fps=30.0)
    with pytest.raises(ShapeError, match=r"K must have shape \(3, 3\), got \(3, 4\)"):
        render_clip(joints, np.zeros((3, 4)), fps=30.0)
    with pytest.raises(InputError, match="in front of the camera"):
        render_clip(joints - [0.0, 0.0, DEPTH], K, fps=30.0)
    with pytest.raises(InputError, match="fps must be > 0, got 0"):
        render_clip(joints, K, fps=0.0)
    with pytest.raises(InputError, match="supersample must be >= 1, got 0"):
        RenderConfig(supersample=0)
    with pytest.warns(UserWarning, match="behind the background plane"):
        render_clip(joints, K, fps=30.0, config=RenderConfig(size=16, supersample=1, background_depth_m=2.9))
