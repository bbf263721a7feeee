"""Tests of flowpose.refinement.optimize: the pose stage on hand-built scenes, without rendering."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.spatial import cKDTree

from flowpose.camera import project_np
from flowpose.errors import InputError, ShapeError
from flowpose.flow.field import FlowField
from flowpose.metrics import accel_error, bone_length_std, mpjpe
from flowpose.pose import PoseSequence
from flowpose.refinement.objective import TERMS, fill_missing_joints
from flowpose.refinement.optimize import PoseStageResult, optimize_poses
from flowpose.refinement.pose_config import PoseStageConfig
from flowpose.skeleton import H36M17
from tests.refinement.test_objective import camera_pose

SIZE = 128
FPS = 30.0
K = np.array([[260.0, 0.0, 63.5], [0.0, 260.0, 63.5], [0.0, 0.0, 1.0]], np.float32)

# Rest pose of a stick figure in H36M-17 order, body frame (x left->right of the figure, y up, z towards
# camera), m.
REST = np.array(
    [
        [0.00, 0.95, 0.0],
        [-0.10, 0.95, 0.0],
        [-0.10, 0.52, 0.0],
        [-0.10, 0.10, 0.0],  # pelvis, r leg
        [0.10, 0.95, 0.0],
        [0.10, 0.52, 0.0],
        [0.10, 0.10, 0.0],  # l leg
        [0.00, 1.18, 0.0],
        [0.00, 1.42, 0.0],
        [0.00, 1.52, 0.0],
        [0.00, 1.68, 0.0],  # spine, thorax, neck, head
        [0.18, 1.40, 0.0],
        [0.20, 1.12, 0.0],
        [0.21, 0.86, 0.0],  # l arm
        [-0.18, 1.40, 0.0],
        [-0.20, 1.12, 0.0],
        [-0.21, 0.86, 0.0],  # r arm
    ],
    np.float32,
)
BONES = np.array(H36M17.bones)


def _rot_x(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def _rot_y(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def walking_figure(T: int = 60) -> np.ndarray:
    """(T, 17, 3) camera-frame joints of a stick figure that swings its limbs, turns and walks sideways, m."""
    t = np.arange(T, dtype=np.float64) / FPS
    phase = 2 * np.pi * 0.9 * t
    X = np.repeat(REST[None].astype(np.float64), T, 0)
    # Forward kinematics in the sagittal plane: each limb rotates about its top joint (rotation about x).
    for top, mid, end, sign in ((1, 2, 3, 1), (4, 5, 6, -1), (14, 15, 16, -1), (11, 12, 13, 1)):
        swing = sign * 0.5 * np.sin(phase)
        bend = (0.4 + 0.3 * np.sin(phase + sign)) * (1 if top in (1, 4) else -1)
        R1 = _rot_x(swing)
        X[:, mid] = X[:, top] + np.einsum("tij,j->ti", R1, REST[mid] - REST[top])
        X[:, end] = X[:, mid] + np.einsum("tij,j->ti", R1 @ _rot_x(bend), REST[end] - REST[mid])
    X[:, 9:11, 2] += 0.05 * np.sin(phase)[:, None]  # nodding head
    yaw = 0.8 * np.sin(2 * np.pi * 0.25 * t)
    X = np.einsum("tij,tkj->tki", _rot_y(yaw), X - REST[0]) + REST[0]
    # Body frame (y up) -> camera frame (y down), body centre 5.2 m in front of the camera, walking sideways.
    cam = np.stack(
        [X[..., 0] + 0.3 * np.sin(2 * np.pi * 0.3 * t)[:, None], 0.85 - X[..., 1], 5.2 - X[..., 2]], -1
    )
    return cam.astype(np.float32)


def rasterised_flow(X: np.ndarray, radius: float = 2.5, per_bone: int = 60) -> FlowField:
    """Exact full-frame forward flow of the figure, rasterised.

    Each pixel within ``radius`` of a projected bone takes the image motion of the nearest of ``per_bone``
    points sampled along the bones (confidence 1); other pixels get confidence 0.
    """
    s = np.linspace(0.0, 1.0, per_bone, dtype=np.float32)[:, None, None]
    dense = (X[:, BONES[:, 0]][:, None] + s * (X[:, BONES[:, 1]] - X[:, BONES[:, 0]])[:, None]).reshape(
        len(X), -1, 3
    )
    p = project_np(dense, K)
    ys, xs = np.mgrid[0:SIZE, 0:SIZE]
    pix = np.stack([xs.ravel(), ys.ravel()], -1)
    flow = np.zeros((len(X) - 1, SIZE, SIZE, 2), np.float32)
    conf = np.zeros((len(X) - 1, SIZE, SIZE), np.float32)
    for t in range(len(X) - 1):
        dist, idx = cKDTree(p[t]).query(pix, distance_upper_bound=radius)
        hit = np.isfinite(dist)
        flow[t].reshape(-1, 2)[hit] = (p[t + 1] - p[t])[idx[hit]]
        conf[t].reshape(-1)[hit] = 1.0
    return FlowField.full_frame(flow, conf)


def corrupt(
    X: np.ndarray, rng: np.random.Generator, slow_mm: float = 30.0, jitter_mm: float = 12.0
) -> np.ndarray:
    """Estimator-like noise: a slowly varying per-joint offset (sum of sinusoids) plus per-frame jitter."""
    T, J, _ = X.shape
    t = np.arange(T)[:, None, None, None]
    periods = rng.uniform(15, 60, size=(1, J, 3, 3))
    phases = rng.uniform(0, 2 * np.pi, size=(1, J, 3, 3))
    slow = (np.sin(2 * np.pi * t / periods + phases)).sum(-1) / np.sqrt(1.5)  # unit variance per coordinate
    noise = slow_mm * slow + jitter_mm * rng.standard_normal((T, J, 3))
    return (X + 1e-3 * noise).astype(np.float32)


EXACT_FLOW = PoseStageConfig(w_flow=1.0 / 0.2**2)
"""The rasterised flow is exact up to nearest-point splatting (~0.2 px): trusted at sigma = 0.2 px."""


@pytest.fixture(scope="module")
def scene() -> dict[str, np.ndarray | FlowField | PoseSequence]:
    gt = walking_figure(60)
    init = corrupt(gt, np.random.default_rng(0))
    return {"gt": gt, "init": init, "flow": rasterised_flow(gt), "seq": PoseSequence(init, K, fps=FPS)}


@pytest.fixture(scope="module")
def refined(scene) -> dict[str, PoseStageResult]:
    return {
        "no_flow": optimize_poses(scene["seq"], None, EXACT_FLOW),
        "flow": optimize_poses(scene["seq"], scene["flow"], EXACT_FLOW),
    }


# ------------------------------------------------------------------------------------------------ behaviour


def test_flow_helps(scene, refined):
    gt, init = scene["gt"], scene["init"]
    err = {"init": mpjpe(init, gt), **{k: mpjpe(r.joints3d, gt) for k, r in refined.items()}}
    acc = {"init": accel_error(init, gt), **{k: accel_error(r.joints3d, gt) for k, r in refined.items()}}
    print(f"MPJPE mm {err}; accel error mm/frame^2 {acc}")
    assert err["flow"] < 0.85 * err["no_flow"] < 0.85 * err["init"]
    assert acc["flow"] < 0.1 * acc["init"] and acc["no_flow"] < 0.1 * acc["init"]
    assert bone_length_std(refined["flow"].joints3d) < 0.05 * bone_length_std(init)
    assert bone_length_std(refined["flow"].joints3d) < 2.0


def test_result_and_losses(scene, refined):
    for result in refined.values():
        assert result.joints3d.shape == scene["gt"].shape and result.joints3d.dtype == np.float32
        assert set(result.losses) == {*TERMS, "total", *(f"init_{k}" for k in (*TERMS, "total"))}
        assert result.losses["total"] == pytest.approx(sum(result.losses[k] for k in TERMS))
        assert result.losses["total"] < 0.1 * result.losses["init_total"]
        assert 0 < result.steps and result.seconds > 0
    assert refined["no_flow"].losses["flow"] == 0.0 and refined["flow"].losses["init_flow"] > 0


def _clip(scene, T: int = 20) -> tuple[PoseSequence, FlowField]:
    flow = scene["flow"]
    return PoseSequence(scene["init"][:T], K, fps=FPS), FlowField.full_frame(
        flow.flow[: T - 1], flow.confidence[: T - 1]
    )


def test_deterministic(scene):
    seq, flow = _clip(scene)
    config = dataclasses.replace(EXACT_FLOW, max_steps=40)
    first, again = (optimize_poses(seq, flow, config, seed=3) for _ in range(2))
    np.testing.assert_array_equal(first.joints3d, again.joints3d)


def test_crop_flow_matches_full_frame(scene):
    # The same flow stored on 96x96 crops at (10, 12): sampling goes through the crop grid convention.
    seq, full = _clip(scene)
    crop = FlowField(
        full.flow[:, 12:108, 10:106],
        full.confidence[:, 12:108, 10:106],
        np.tile(np.float32([10, 12]), (full.num_pairs, 1)),
        np.ones(full.num_pairs, np.float32),
        full.image_size,
    )
    config = dataclasses.replace(EXACT_FLOW, max_steps=400)  # near convergence, so solver paths cannot differ
    expected = optimize_poses(seq, full, config).joints3d
    assert np.abs(optimize_poses(seq, crop, config).joints3d - expected).max() < 1e-3


def test_few_joints_seen_do_not_pull_the_body_toward_the_camera(scene):
    # The last 20 frames see the thorax, neck and shoulders alone, their 2D spread 1.6 times too wide about their
    # centre (a detector's error, large on a close-up camera): a nearer body would fit that 2D, and only the 3D
    # position term holds the depth there. Quadratic to 1 m (the default) it does; linear beyond 100 mm (the robust
    # scale of the other 3D terms) the body ran more than a metre toward the camera.
    K_close = np.array([[1500.0, 0.0, 960.0], [0.0, 1500.0, 540.0], [0.0, 0.0, 1.0]], np.float32)
    gt, init = scene["gt"], scene["init"].copy()
    x2d = project_np(init, K_close).astype(np.float32)
    conf = np.ones(init.shape[:2], np.float32)
    late, seen = slice(40, 60), np.isin(np.arange(17), [8, 9, 11, 14])
    centre = x2d[late][:, seen].mean(1, keepdims=True)
    x2d[late] = np.where(seen[None, :, None], centre + 1.6 * (x2d[late] - centre), np.nan)
    init[late] = np.where(seen[None, :, None], init[late], np.nan)
    conf[late] = np.where(seen, 1.0, 0.0)
    seq = PoseSequence(init, K_close, fps=FPS, joints2d=x2d, conf=conf)
    depth_error = {
        d: np.abs(optimize_poses(seq, None, dataclasses.replace(PoseStageConfig(), position_delta_mm=d)).joints3d[late, 0, 2]
                  - gt[late, 0, 2]).max()
        for d in (PoseStageConfig().position_delta_mm, 100.0)
    }
    print(f"largest pelvis depth error over the last 20 frames, m, by position_delta_mm: {depth_error}")
    assert depth_error[PoseStageConfig().position_delta_mm] < 0.3
    assert depth_error[100.0] > 0.8


def test_missing_joints_follow_the_flow(scene):
    # The left wrist is lost for 12 frames: gap-filled, then moved only by the flow, temporal and bone terms.
    gt, init = scene["gt"], scene["init"].copy()
    gap = slice(20, 32)
    init[gap, 13] = np.nan
    seq = PoseSequence(init, K, fps=FPS)
    filled, missing = fill_missing_joints(init, H36M17.parents)
    with_flow = optimize_poses(seq, scene["flow"], EXACT_FLOW).joints3d
    assert np.isfinite(with_flow).all() and missing[gap, 13].all()
    error = lambda X: np.linalg.norm(X[gap, 13] - gt[gap, 13], axis=-1).mean()  # noqa: E731
    assert error(with_flow) < 0.7 * error(filled)


def test_a_joint_observed_nowhere_stays_on_its_placement(scene):
    # No term sees a head top that is NaN in every frame (MediaPipe's, COCO's): free, it drifted in their null
    # space (5-10 cm off the neck on real video, with conf 0), and the flow at its bone's points pulled the neck.
    init = scene["init"].copy()
    init[:, 10] = np.nan
    result = optimize_poses(PoseSequence(init, K, fps=FPS), scene["flow"], EXACT_FLOW)
    np.testing.assert_array_equal(result.joints3d[:, 10], result.joints3d[:, 9])
    # Its 2D is an observation: then L_2D places it, away from the neck.
    x2d = project_np(scene["gt"], K).astype(np.float32)
    seen = optimize_poses(PoseSequence(init, K, joints2d=x2d, fps=FPS), scene["flow"], EXACT_FLOW).joints3d
    assert np.linalg.norm(seen[:, 10] - seen[:, 9], axis=-1).min() > 0.05


def test_zero_confidence_joint_is_not_pulled_by_its_estimate(scene):
    # The right knee's estimate is off by 40 cm in every other frame but has confidence 0 there.
    init, gt = scene["init"].copy(), scene["gt"]
    init[::2, 2, 0] += 0.4
    conf = np.ones(init.shape[:2], np.float32)
    conf[::2, 2] = 0.0
    result = optimize_poses(PoseSequence(init, K, conf=conf, fps=FPS), scene["flow"], EXACT_FLOW)
    assert np.linalg.norm(result.joints3d[::2, 2] - gt[::2, 2], axis=-1).mean() < 0.06


def test_no_flow_two_and_one_frames(scene):
    gt, init = scene["gt"], scene["init"]
    two = optimize_poses(PoseSequence(init[:2], K, fps=FPS), None, PoseStageConfig())
    assert two.joints3d.shape == (2, 17, 3) and np.isfinite(two.joints3d).all()
    assert bone_length_std(two.joints3d) < bone_length_std(init[:2])
    flow2 = FlowField.full_frame(scene["flow"].flow[:1], scene["flow"].confidence[:1])
    assert np.isfinite(optimize_poses(PoseSequence(init[:2], K, fps=FPS), flow2, EXACT_FLOW).joints3d).all()
    # One frame, keypoints agreeing with the estimate: nothing to change (only the 3D and 2D terms act).
    one = optimize_poses(PoseSequence(init[:1], K, fps=FPS), None, PoseStageConfig())
    np.testing.assert_allclose(one.joints3d, init[:1], atol=1e-6)
    # One frame with true 2D keypoints: the projection moves towards them.
    x2d = project_np(gt[:1], K).astype(np.float32)
    fitted = optimize_poses(PoseSequence(init[:1], K, joints2d=x2d, fps=FPS), None, PoseStageConfig(w_2d=1.0))
    assert (
        np.abs(project_np(fitted.joints3d, K) - x2d).mean()
        < 0.5 * np.abs(project_np(init[:1], K) - x2d).mean()
    )


@pytest.mark.parametrize(
    "options", [dict(optimizer="adam", lr=2.0, max_steps=150), dict(flow_through_location=True)], ids=str
)
def test_other_solver_options(scene, options):
    seq, flow = _clip(scene, 30)
    result = optimize_poses(seq, flow, dataclasses.replace(EXACT_FLOW, **options))
    assert result.losses["total"] < 0.2 * result.losses["init_total"]
    assert mpjpe(result.joints3d, scene["gt"][:30]) < 0.9 * mpjpe(seq.joints3d, scene["gt"][:30])


# ------------------------------------------------------------------------------------------------ inputs


def test_exceptions(scene):
    with pytest.raises(ShapeError, match="59 frame pairs for 60 frames"):
        optimize_poses(scene["seq"], FlowField.full_frame(scene["flow"].flow[:5]), PoseStageConfig())
    with pytest.raises(InputError, match="device 'nonsense' is not available"):
        optimize_poses(scene["seq"], None, PoseStageConfig(), device="nonsense")


def test_a_variable_frame_rate_is_refined_at_its_own_times():
    # A body crossing at 1.2 m/s and bobbing at 2 Hz, filmed with frames 1 or 3 frame-times of 30 fps apart (a
    # phone's variable rate), estimated exactly. At the frames' own times its acceleration is the bob's alone and
    # the refinement stays near it; taken as evenly spaced at the mean rate, the steady crossing itself speeds
    # up and slows down from frame to frame, and the acceleration prior pulls the poses off the truth.
    gaps = np.random.default_rng(0).choice([1, 3], 29)
    t = np.concatenate([[0], np.cumsum(gaps)]) / 30.0
    motion = np.stack([1.2 * t - 0.6, 0.05 * np.sin(4 * np.pi * t), 0 * t], -1)
    truth = (camera_pose(3.5)[None] + motion[:, None, :]).astype(np.float32)
    mean_rate = (len(t) - 1) / t[-1]
    even = optimize_poses(PoseSequence(truth, K, fps=mean_rate), None, PoseStageConfig()).joints3d
    own = optimize_poses(PoseSequence(truth, K, fps=mean_rate, times=t), None, PoseStageConfig()).joints3d
    error_even, error_own = (1000 * np.linalg.norm(X - truth, axis=-1).mean() for X in (even, own))  # mm
    assert error_own < 3.0 and error_own < 0.4 * error_even, (error_own, error_even)
