"""Tests of flowpose.pose.PoseSequence: validation, per-frame K, confidences, copies and slicing."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from flowpose.errors import InputError, ShapeError
from flowpose.pose import PoseSequence

T, J = 6, 17
K = np.array([[500.0, 0.0, 320.0], [0.0, 500.0, 240.0], [0.0, 0.0, 1.0]])


def _joints(T: int = T) -> np.ndarray:
    """(T, 17, 3) joints 3 m in front of the camera; frame t is shifted by t cm along x."""
    rel = np.random.default_rng(0).uniform(-0.4, 0.4, (J, 3))
    return rel[None] + np.array([0.0, 0.0, 3.0]) + 0.01 * np.arange(T)[:, None, None] * np.array([1, 0, 0])


def _per_frame_K(T: int = T) -> np.ndarray:
    Ks = np.repeat(K[None], T, 0)
    Ks[:, 0, 0] += np.arange(T)  # a zoom: each frame's focal length differs
    return Ks


def _full(T: int = T) -> PoseSequence:
    rng = np.random.default_rng(1)
    return PoseSequence(
        joints3d=_joints(T),
        K=_per_frame_K(T),
        joints2d=rng.uniform(0, 480, (T, J, 2)),
        conf=rng.uniform(0, 1, (T, J)),
        fps=25.0,
    )


def test_fields_are_converted_to_float32() -> None:
    seq = _full()
    assert seq.num_frames == T and seq.num_joints == J and seq.skel.name == "h36m17"
    for a in (seq.joints3d, seq.K, seq.joints2d, seq.conf):
        assert a.dtype == np.float32


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"joints3d": np.zeros((T, J, 2))}, ShapeError, r"joints3d must have shape \(T, J, 3\) with T >= 1"),
        ({"joints3d": np.zeros((0, J, 3))}, ShapeError, r"got \(0, 17, 3\)"),
        ({"joints3d": np.zeros((T, 16, 3))}, InputError, "skeleton 'h36m17' has 17 joints, joints3d has 16"),
        ({"skeleton": "nope"}, InputError, "unknown skeleton 'nope'; choose from"),
        ({"K": np.eye(4)}, ShapeError, r"K must have shape \(3, 3\) or \(6, 3, 3\), got \(4, 4\)"),
        ({"K": np.zeros((3, 3))}, InputError, "K must be a pinhole camera matrix"),
        ({"joints2d": np.zeros((T, J, 3))}, ShapeError, r"joints2d must have shape \(6, 17, 2\)"),
        ({"conf": np.ones((T, 3))}, ShapeError, r"conf must have shape \(6, 17\), got \(6, 3\)"),
        ({"conf": np.full((T, J), 1.5)}, InputError, r"conf must lie in \[0, 1\]"),
        ({"fps": 0.0}, InputError, "fps must be a positive number, got 0.0"),
        ({"fps": float("nan")}, InputError, "fps must be a positive number"),
        ({"first_frame": -1}, InputError, "first_frame must be a frame number >= 0, got -1"),
        ({"first_frame": 2.0}, InputError, "first_frame must be a frame number >= 0, got 2.0"),
        ({"first_frame": True}, InputError, "first_frame must be a frame number >= 0, got True"),
        ({"times": np.arange(T - 1) / 30}, ShapeError, r"times must have shape \(6,\), got \(5,\)"),
        ({"times": np.array([0, 1, 1, 2, 3, 4]) / 30}, InputError, "times must be finite seconds that increase"),
        ({"times": np.array([0, 1, 2, np.nan, 4, 5]) / 30}, InputError, "times must be finite seconds"),
        # geometry: joints behind or on the camera, unit errors, infinities, cameras that are not pinholes
        ({"joints3d": _joints() * [1, 1, -1]}, InputError, r"in front of the camera .* frame 0 has z = -"),
        ({"joints3d": _joints() * [1, 1, 0]}, InputError, "in front of the camera"),
        ({"joints3d": _joints() * [1, 1, 1e-9]}, InputError, "in front of the camera"),
        ({"joints3d": _joints() * 1000.0}, InputError, "more than a body .* millimetres or centimetres"),
        ({"joints3d": _joints() * [1e6, 1e6, 1]}, InputError, "more than a body|beyond"),
        ({"joints3d": _joints() * 1e20}, InputError, r"beyond ±1e\+06 m"),
        ({"joints3d": np.full((T, J, 3), np.inf)}, InputError, "must be finite"),
        ({"joints2d": np.full((T, J, 2), np.inf)}, InputError, "joints2d must be finite"),
        ({"K": np.ones((3, 3))}, InputError, "pinhole camera matrix"),
        ({"K": np.diag([1e30, 1e30, 1.0])}, InputError, r"focal lengths in \(0, 1e\+06\]"),
        ({"K": np.diag([500.0, 500.0, 0.0])}, InputError, "pinhole camera matrix"),
    ],
)
def test_validation_errors(changes: dict, error: type, message: str) -> None:
    fields = {"joints3d": _joints(), "K": K, **changes}
    with pytest.raises(error, match=message):
        PoseSequence(**fields)


def test_validate_names_the_source() -> None:
    seq = PoseSequence(joints3d=_joints(), K=K)
    object.__setattr__(seq, "fps", -1.0)
    with pytest.raises(InputError, match=r"^poses\.npz: fps must be a positive number, got -1.0"):
        seq.validate("poses.npz")


def test_K_per_frame_repeats_a_shared_K_and_keeps_a_per_frame_one() -> None:
    shared = PoseSequence(joints3d=_joints(), K=K)
    Ks = shared.K_per_frame()
    assert Ks.shape == (T, 3, 3) and Ks.dtype == np.float32
    np.testing.assert_array_equal(Ks, np.repeat(K[None], T, 0))
    Ks[0, 0, 0] = 1.0  # a copy, not a broadcast view of the shared K
    assert shared.K[0, 0] == 500.0
    np.testing.assert_array_equal(_full().K_per_frame(), _per_frame_K().astype(np.float32))


def test_confidence_defaults_to_ones_and_zeroes_nan_joints() -> None:
    joints = _joints()
    joints[1, 4] = np.nan
    assert np.array_equal(PoseSequence(joints3d=_joints(), K=K).confidence(), np.ones((T, J), np.float32))
    seq = PoseSequence(joints3d=joints, K=K)
    expected = np.ones((T, J), np.float32)
    expected[1, 4] = 0.0
    np.testing.assert_array_equal(seq.confidence(), expected)

    conf = np.full((T, J), 0.5)
    conf[2, 7] = np.nan
    x2d = np.zeros((T, J, 2))
    x2d[3, 0, 1] = np.nan
    seq = PoseSequence(joints3d=joints, K=K, joints2d=x2d, conf=conf)
    expected = np.full((T, J), 0.5, np.float32)
    expected[1, 4] = expected[2, 7] = expected[3, 0] = 0.0  # NaN 3D joint, NaN confidence, NaN 2D keypoint
    np.testing.assert_array_equal(seq.confidence(), expected)
    assert np.isnan(seq.conf[2, 7])  # the stored confidences are left as given


def test_with_joints3d_replaces_only_the_joints() -> None:
    seq = _full()
    moved = seq.with_joints3d(seq.joints3d.astype(np.float64) + 1.0)
    assert moved.joints3d.dtype == np.float32
    np.testing.assert_allclose(moved.joints3d, seq.joints3d + 1.0)
    assert moved.K is seq.K and moved.joints2d is seq.joints2d and moved.conf is seq.conf
    assert moved.fps == 25.0
    with pytest.raises(InputError, match=r"joints3d must have shape \(6, 17, 3\), got \(6, 3, 3\)"):
        seq.with_joints3d(np.zeros((T, 3, 3)))


def test_joints_filled_in_by_with_joints3d_read_as_unmeasured() -> None:
    joints = _joints()
    joints[:, 10] = np.nan  # a head top no frame has
    joints[2, 5] = np.nan  # a knee missed once
    for conf in (None, np.full((T, 17), 0.9, np.float32)):  # a file may give NaN joints a confidence, or none
        seq = PoseSequence(joints3d=joints, K=K, conf=conf)
        filled = seq.with_joints3d(np.nan_to_num(joints, nan=1.0))
        expected = np.full((T, 17), 1.0 if conf is None else 0.9, np.float32)
        expected[:, 10] = expected[2, 5] = 0.0
        np.testing.assert_array_equal(filled.conf, expected)
        np.testing.assert_array_equal(filled.confidence(), expected)
        assert conf is None or seq.conf[2, 5] == np.float32(0.9)  # the input's own is not changed


def test_slice_cuts_every_per_frame_field() -> None:
    seq = _full()
    cut = seq.slice(2, 5)
    assert cut.num_frames == 3 and cut.fps == 25.0 and cut.skeleton == seq.skeleton
    np.testing.assert_array_equal(cut.joints3d, seq.joints3d[2:5])
    np.testing.assert_array_equal(cut.K, seq.K[2:5])  # a zoom: the per-frame K follows its frames
    np.testing.assert_array_equal(cut.joints2d, seq.joints2d[2:5])
    np.testing.assert_array_equal(cut.conf, seq.conf[2:5])
    assert np.shares_memory(cut.joints3d, seq.joints3d)  # views, no copies


def test_slice_keeps_a_shared_K_and_optional_fields() -> None:
    seq = PoseSequence(joints3d=_joints(), K=K)
    tail = seq.slice(4)
    assert tail.num_frames == 2 and tail.K.shape == (3, 3) and tail.joints2d is None and tail.conf is None
    np.testing.assert_array_equal(tail.joints3d, seq.joints3d[4:])
    whole = seq.slice(0, T)
    np.testing.assert_array_equal(whole.joints3d, seq.joints3d)


def test_slice_counts_its_first_frame_in_the_video() -> None:
    seq = PoseSequence(joints3d=_joints(), K=K, first_frame=np.int64(10))
    assert type(seq.first_frame) is int and seq.slice(2, 5).first_frame == 12 and seq.slice(0).first_frame == 10
    assert PoseSequence(joints3d=_joints(), K=K).slice(2).first_frame is None  # unknown stays unknown


def test_intervals_are_the_times_or_the_frame_rate() -> None:
    np.testing.assert_allclose(PoseSequence(joints3d=_joints(), K=K, fps=25.0).intervals(), np.full(T - 1, 0.04))
    times = np.array([0.0, 0.04, 0.08, 0.16, 0.2, 0.28]) + 12.0
    seq = PoseSequence(joints3d=_joints(), K=K, fps=25.0, times=times)
    assert seq.times.dtype == np.float64
    np.testing.assert_allclose(seq.intervals(), [0.04, 0.04, 0.08, 0.04, 0.08])
    np.testing.assert_array_equal(seq.slice(2, 5).times, times[2:5])  # the frames keep their own times
    np.testing.assert_allclose(seq.slice(2, 5).intervals(), [0.08, 0.04])


@pytest.mark.parametrize(("start", "stop"), [(-1, 3), (0, T + 1), (3, 3), (4, 2), (T, None)])
def test_slice_refuses_empty_or_out_of_range_frames(start: int, stop: int | None) -> None:
    with pytest.raises(InputError, match=r"not a non-empty range within the sequence's 6 frames; need 0 <="):
        _full().slice(start, stop)


def test_with_joints3d_checks_the_shape_only() -> None:
    """The optimiser's result is returned whatever its geometry; the entry checks guard inputs only."""
    seq = PoseSequence(joints3d=_joints(), K=K)
    near = seq.with_joints3d(_joints() * [1, 1, 0.001])  # closer than the 5 cm an input may be
    assert near.joints3d.dtype == np.float32 and near.K is seq.K
    with pytest.raises(ShapeError, match="joints3d"):
        seq.with_joints3d(_joints()[:, :16])


def test_joints_all_behind_the_camera_suggest_a_z_backward_frame() -> None:
    with pytest.raises(InputError, match=r"frame 0 has z = -3\.4 m; every joint is behind it: is z backward, as in "
                                         r"OpenGL's camera frame .*--axes RUB"):
        PoseSequence(_joints() * [1, -1, -1], np.diag([500.0, 500.0, 1.0]))
    some = _joints()
    some[2, 4, 2] = -0.5  # one joint behind: a bad value, not a convention
    with pytest.raises(InputError, match=r"frame 2 has z = -0\.5 m$"):
        PoseSequence(some, np.diag([500.0, 500.0, 1.0]))


def _warn_here() -> None:
    warnings.warn("shown once at this place", UserWarning, stacklevel=1)


def test_validating_a_frame_with_no_observed_joint_lets_a_warning_shown_once_stay_shown_once() -> None:
    joints = _joints()
    joints[2] = np.nan  # no joint observed in frame 2: left out of the body's median
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # once per place, as Python shows a user's warnings
        _warn_here()
        PoseSequence(joints3d=joints, K=K)  # must not reset the registry of places already warned from
        _warn_here()
    assert [str(w.message) for w in caught] == ["shown once at this place"]
    far = joints.copy()
    far[4, 3] += 100.0  # the median still judges the other frames
    with pytest.raises(InputError, match="frame 4"):
        PoseSequence(joints3d=far, K=K)


def test_lens_distortion_is_checked_and_kept() -> None:
    K = np.array([[500.0, 0, 32], [0, 500.0, 32], [0, 0, 1]])
    seq = PoseSequence(np.ones((3, 17, 3)), K, dist=[-0.2, 0.05, 0, 0])
    assert seq.dist.dtype == np.float64 and seq.dist.tolist() == [-0.2, 0.05, 0.0, 0.0]
    assert seq.slice(1, 3).dist.tolist() == seq.dist.tolist()
    assert seq.with_joints3d(np.ones((3, 17, 3)) * 2).dist is seq.dist
    with pytest.raises(InputError, match=r"dist \(lens distortion\) needs one K for all frames, got K of shape \(3, 3, 3\)"):
        PoseSequence(np.ones((3, 17, 3)), np.stack([K] * 3), dist=[-0.2, 0.05, 0, 0])
    with pytest.raises(InputError, match="lens distortion must be 4, 5, 8, 12 or 14 finite numbers .* got 2: "):
        PoseSequence(np.ones((3, 17, 3)), K, dist=[-0.2, 0.05])
    with pytest.raises(InputError, match="lens distortion must be numbers, got "):
        PoseSequence(np.ones((3, 17, 3)), K, dist=["a", {}])
