"""Tests of flowpose.estimate.looks, with a stand-in for MediaPipe that is not mirror-equivariant."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.estimate import people
from flowpose.estimate.looks import LOOKS, MIRROR, PELVIS, look_again, with_looks
from flowpose.estimate.mediapipe import EstimateConfig
from flowpose.joint_map import to_h36m17
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17, MEDIAPIPE33
from tests.estimate.fake_pose import BLUE, RED, FakePose, region, use_fake_mediapipe

BIAS_PX = 4.0
"""The stand-in puts every landmark this far right of where it belongs, in the image it is shown."""
WRIST_M = 0.06
"""... and the left wrist of the body it sees this far right of it in 3D."""
NAMES = MEDIAPIPE33.joint_names


def _layout() -> np.ndarray:
    """(33, 2) landmark positions in a unit box, a person facing the camera: their left on the image's right,
    each left-right pair at its own height."""
    bases = list(dict.fromkeys(n[2:] if n[:2] in ("l_", "r_") else n for n in NAMES))
    u = np.zeros((33, 2))
    for i, name in enumerate(NAMES):
        side = 0.95 if name.startswith("l_") else 0.05 if name.startswith("r_") else 0.5
        u[i] = side, (bases.index(name[2:] if side != 0.5 else name) + 1) / (len(bases) + 1)
    return u


HIPS = [NAMES.index("l_hip"), NAMES.index("r_hip")]
FOCAL_PX, DEPTH_M = 300.0, 4.0
SIZE_PX = np.array([79.0, 159.0])
"""The red body's layout spans this many pixels (its 80 x 160 px rectangle)."""


def _world() -> np.ndarray:
    """(33, 3) hip-centred metres of the layout, flat (image axes), as large as the red body seen 4 m away."""
    w = np.concatenate([_layout() * SIZE_PX * DEPTH_M / FOCAL_PX, np.zeros((33, 1))], -1)
    return w - w[HIPS].mean(0)


class _FakePose(FakePose):
    """One body per image, over the blue pixels if there are any (somebody in front), else over the red;
    ``BIAS_PX`` to the right (so the mirrored look errs the other way); visibility 0.1 for the left wrist; in 3D
    the layout (:func:`_world`) with the left wrist ``WRIST_M`` to the right."""

    def world(self, image: np.ndarray) -> np.ndarray:
        w = _world()
        w[NAMES.index("l_wrist"), 0] += WRIST_M
        return w

    def landmarks(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        body = region(image, BLUE) or region(image, RED)
        if body is None:
            return None
        x0, y0, x1, y1 = body
        points = np.array([x0, y0]) + _layout() * np.array([x1 - 1 - x0, y1 - 1 - y0]) + [BIAS_PX, 0.0]
        return points, np.array([0.1 if n == "l_wrist" else 0.9 for n in NAMES])


@pytest.fixture
def fake_mediapipe(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_mediapipe(monkeypatch, _FakePose)


def _frames(T: int = 3, blue: bool = False) -> list[np.ndarray]:
    frames = []
    for t in range(T):
        frame = np.full((240, 320, 3), 128, np.uint8)
        frame[40:200, 60 + 5 * t:140 + 5 * t] = RED
        if blue:  # somebody in front of them, to their left
            frame[10:235, 110:300] = BLUE
        frames.append(frame)
    return frames


def _poses(frames: list[np.ndarray]) -> PoseSequence:
    """The red person's poses as a first look would give them: exact keypoints, the layout's 3D 4 m away that
    projects onto them."""
    T = len(frames)
    x33 = np.zeros((T, 33, 2))
    for t, f in enumerate(frames):
        x0, y0, x1, y1 = region(f, RED)
        x33[t] = np.array([x0, y0]) + _layout() * np.array([x1 - 1 - x0, y1 - 1 - y0])
    x = to_h36m17(x33, MEDIAPIPE33.name, missing="nan").astype(np.float32)
    K = np.array([[FOCAL_PX, 0, 160], [0, FOCAL_PX, 120], [0, 0, 1]], np.float32)
    centre = (x33[:, HIPS].mean(1) - [160.0, 120.0]) * DEPTH_M / FOCAL_PX  # (T, 2): the hips where they are seen
    X33 = _world()[None] + np.concatenate([centre, np.full((T, 1), DEPTH_M)], -1)[:, None]
    X = to_h36m17(X33, MEDIAPIPE33.name, missing="nan")
    return PoseSequence(joints3d=X.astype(np.float32), K=K, joints2d=x,
                        conf=np.full((T, 17), 0.9, np.float32))


def test_mirror_swaps_left_and_right_only() -> None:
    assert (MIRROR[MIRROR] == np.arange(33)).all()
    assert NAMES[MIRROR[NAMES.index("l_shoulder")]] == "r_shoulder"
    assert NAMES[MIRROR[NAMES.index("r_foot_index")]] == "l_foot_index"
    assert MIRROR[NAMES.index("nose")] == NAMES.index("nose")


def _relative(X: np.ndarray) -> np.ndarray:
    return np.asarray(X, np.float64) - np.asarray(X, np.float64)[:, PELVIS:PELVIS + 1]


L_WRIST, R_WRIST = H36M17.joint_names.index("l_wrist"), H36M17.joint_names.index("r_wrist")


@pytest.mark.parametrize("mirrored", [False, True])
def test_a_look_is_read_back_into_the_frame_and_the_body(fake_mediapipe: None, mirrored: bool) -> None:
    frames = _frames()
    first = _poses(frames)
    look = look_again(frames, first, pad=0.25, mirrored=mirrored)
    assert look.found.all()
    # The stand-in's bias is to the right of the image it sees, so to the left once mirrored back; the left
    # shoulder stays on the image's right (labels swapped back), every joint at its own height. It is unsure of
    # the left wrist of the image it sees, and puts that wrist to the right in 3D: the right wrist, once
    # mirrored back, and to the left.
    biased = R_WRIST if mirrored else L_WRIST
    seen = np.isfinite(first.joints2d[0]).all(-1)
    seen[biased] = False
    assert seen.sum() >= 14
    shift = look.joints2d[:, seen] - first.joints2d[:, seen]
    sign = -1.0 if mirrored else 1.0
    assert np.allclose(shift[..., 0], sign * BIAS_PX, atol=1.0) and np.allclose(shift[..., 1], 0.0, atol=1.0)
    assert np.isnan(look.joints2d[:, biased]).all()  # too unsure: left out of the 2D
    moved = look.relative - _relative(first.joints3d)
    assert np.allclose(moved[:, biased], [sign * WRIST_M, 0.0, 0.0], atol=1e-6)
    others = [j for j in range(17) if j != biased and np.isfinite(moved[0, j]).all()]
    assert len(others) >= 14 and np.allclose(moved[:, others], 0.0, atol=1e-6)


def test_one_look_averages_the_3d_and_takes_its_2d(fake_mediapipe: None) -> None:
    frames = _frames()
    first = _poses(frames)
    out, found = with_looks(frames, first, 1)
    assert LOOKS[0] == (0.25, True) and found == len(frames)
    moved = _relative(out.joints3d) - _relative(first.joints3d)
    assert np.allclose(moved[:, R_WRIST], [-WRIST_M / 2, 0.0, 0.0], atol=1e-5)  # the mean of the two looks
    rest = [j for j in range(17) if j != R_WRIST and np.isfinite(moved[0, j]).all()]
    assert np.allclose(moved[:, rest], 0.0, atol=1e-5)
    shift = out.joints2d - first.joints2d
    assert np.allclose(shift[:, rest, 0], -BIAS_PX, atol=1.0)  # the mirrored look's 2D
    assert np.allclose(shift[:, R_WRIST], 0.0)  # no look sure of it: the first look's
    assert np.array_equal(out.conf, first.conf) and np.array_equal(out.K, first.K)
    assert np.isnan(out.joints3d[:, H36M17.index("head")]).all()  # a joint the first look lacks stays missing
    # Placed by the 2D: the pelvis projects where its keypoint is, to a pixel.
    pelvis = out.joints3d[:, PELVIS] @ np.asarray(out.K, np.float64).T
    assert np.allclose(pelvis[:, :2] / pelvis[:, 2:], out.joints2d[:, PELVIS], atol=1.0)


def test_two_looks_cancel_what_mirroring_turns_over(fake_mediapipe: None) -> None:
    frames = _frames()
    first = _poses(frames)
    out, _ = with_looks(frames, first, 2)
    moved = _relative(out.joints3d) - _relative(first.joints3d)
    assert np.allclose(moved[:, R_WRIST, 0], -WRIST_M / 3, atol=1e-5)  # the first look, mirrored, as it is
    assert np.allclose(moved[:, L_WRIST, 0], WRIST_M / 3, atol=1e-5)
    rest = [j for j in range(17) if j not in (L_WRIST, R_WRIST) and np.isfinite(moved[0, j]).all()]
    assert np.allclose(out.joints2d[:, rest], first.joints2d[:, rest], atol=1.0)  # +bias and -bias averaged


def test_somebody_else_in_the_crop_is_not_taken(fake_mediapipe: None) -> None:
    frames = _frames(blue=True)
    first = _poses(frames)
    out, found = with_looks(frames, first, 2)
    assert found == 0
    np.testing.assert_array_equal(out.joints2d, first.joints2d)
    np.testing.assert_array_equal(out.joints3d, first.joints3d)


class _TurningFakePose(_FakePose):
    """:class:`_FakePose` that takes the body for one facing away: left and right exchanged, in 2D and 3D."""

    def world(self, image: np.ndarray) -> np.ndarray:
        return super().world(image)[MIRROR]

    def landmarks(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        found = super().landmarks(image)
        return None if found is None else (found[0][MIRROR], found[1][MIRROR])


def test_a_look_that_turns_the_person_round_is_not_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    # The first look's labels are the track's (relabelled where MediaPipe turned the person round); a look that
    # exchanges left and right again would undo that.
    use_fake_mediapipe(monkeypatch, _TurningFakePose)
    frames = _frames()
    first = _poses(frames)
    out, found = with_looks(frames, first, 2)
    assert found == 0
    np.testing.assert_array_equal(out.joints2d, first.joints2d)
    np.testing.assert_array_equal(out.joints3d, first.joints3d)


def test_looks_out_of_range_a_frame_count_mismatch_and_poses_without_2d_are_refused() -> None:
    frames = _frames(2)
    with pytest.raises(ValueError, match="looks must lie in 0 to 6, got 7"):
        with_looks(frames, _poses(frames), 7)
    assert with_looks(frames, _poses(frames), 0)[1] == 0
    with pytest.raises(ValueError, match="2 frames for 3 poses"):
        look_again(frames, _poses(_frames(3)), pad=0.25, mirrored=True)
    with pytest.raises(ValueError, match="no 2D keypoints"):
        look_again(frames, replace(_poses(frames), joints2d=None), pad=0.25, mirrored=True)
    with pytest.raises(InputError, match="looks must lie in 0 to 6, got -1"):
        EstimateConfig(looks=-1)


def test_estimate_poses_takes_more_looks_on_request(fake_mediapipe: None) -> None:
    frames = _frames(4)
    plain = people.estimate_poses(frames, EstimateConfig(people=1))
    looked = people.estimate_poses(frames, EstimateConfig(people=1, looks=2))
    shoulder = H36M17.joint_names.index("l_shoulder")
    shift = looked.joints2d[:, shoulder, 0] - plain.joints2d[:, shoulder, 0]
    assert np.allclose(shift, -BIAS_PX, atol=1.0)  # +bias in the first look, the mean of +bias and -bias after
    moved = _relative(looked.joints3d) - _relative(plain.joints3d)
    # The first look puts the left wrist +W to the right, the mirrored look the right wrist -W, the plain look as
    # the first: each wrist's mean moves by -W/3 from the first look's.
    assert np.allclose(moved[:, [L_WRIST, R_WRIST], 0], -WRIST_M / 3, atol=1e-4)
