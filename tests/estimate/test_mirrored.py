"""Tests of flowpose.estimate.mirrored, with a stand-in for MediaPipe that is not mirror-equivariant."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from flowpose.estimate import people
from flowpose.estimate.mediapipe import EstimateConfig
from flowpose.estimate.mirrored import MIRROR, second_look
from flowpose.joint_map import to_h36m17
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17, MEDIAPIPE33
from tests.estimate.fake_pose import BLUE, RED, FakePose, region, use_fake_mediapipe

BIAS_PX = 4.0
"""The stand-in puts every landmark this far right of where it belongs, in the image it is shown."""
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


class _FakePose(FakePose):
    """One body per image, over the blue pixels if there are any (somebody in front), else over the red;
    ``BIAS_PX`` to the right (so the mirrored look errs the other way); visibility 0.1 for the left wrist."""

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
    """The red person's poses as a first look would give them (exact keypoints, no bias)."""
    T = len(frames)
    x33 = np.zeros((T, 33, 2))
    for t, f in enumerate(frames):
        x0, y0, x1, y1 = region(f, RED)
        x33[t] = np.array([x0, y0]) + _layout() * np.array([x1 - 1 - x0, y1 - 1 - y0])
    x = to_h36m17(x33, MEDIAPIPE33.name, missing="nan").astype(np.float32)
    K = np.array([[300.0, 0, 160], [0, 300, 120], [0, 0, 1]], np.float32)
    return PoseSequence(joints3d=np.ones((T, 17, 3), np.float32), K=K, joints2d=x,
                        conf=np.full((T, 17), 0.9, np.float32))


def test_mirror_swaps_left_and_right_only() -> None:
    assert (MIRROR[MIRROR] == np.arange(33)).all()
    assert NAMES[MIRROR[NAMES.index("l_shoulder")]] == "r_shoulder"
    assert NAMES[MIRROR[NAMES.index("r_foot_index")]] == "l_foot_index"
    assert MIRROR[NAMES.index("nose")] == NAMES.index("nose")


@pytest.mark.parametrize("look_mirrored", [False, True])
def test_second_look_reads_the_mirrored_crop_back(fake_mediapipe: None, look_mirrored: bool) -> None:
    frames = _frames()
    first = _poses(frames)
    out, looked = second_look(frames, first, mirrored=look_mirrored)
    assert looked == len(frames)
    # The stand-in's bias is to the right of the image it sees, so to the left once mirrored back; the left
    # shoulder stays on the image's right (labels swapped back), every joint at its own height.
    # The stand-in is unsure of the left wrist of the image it sees: the right wrist once mirrored back.
    wrist = H36M17.joint_names.index("r_wrist" if look_mirrored else "l_wrist")
    seen = np.isfinite(first.joints2d[0]).all(-1)
    seen[wrist] = False
    assert seen.sum() >= 14
    shift = out.joints2d[:, seen] - first.joints2d[:, seen]
    expected = -BIAS_PX if look_mirrored else BIAS_PX
    assert np.allclose(shift[..., 0], expected, atol=1.0) and np.allclose(shift[..., 1], 0.0, atol=1.0)
    assert np.isnan(out.joints2d[:, wrist]).all()  # too unsure in the second look: unobserved in 2D
    assert np.array_equal(out.joints3d, first.joints3d) and np.array_equal(out.conf, first.conf)
    assert not np.isnan(first.joints2d[:, wrist]).any()  # the input is not changed


def test_somebody_else_in_the_crop_is_not_taken(fake_mediapipe: None) -> None:
    frames = _frames(blue=True)
    first = _poses(frames)
    out, looked = second_look(frames, first)
    assert looked == 0
    np.testing.assert_array_equal(out.joints2d, first.joints2d)


def test_a_frame_count_mismatch_and_poses_without_2d_are_refused() -> None:
    frames = _frames(2)
    with pytest.raises(ValueError, match="2 frames for 3 poses"):
        second_look(frames, _poses(_frames(3)))
    with pytest.raises(ValueError, match="no 2D keypoints"):
        second_look(frames, replace(_poses(frames), joints2d=None))


def test_estimate_poses_takes_the_mirrored_2d_on_request(fake_mediapipe: None) -> None:
    frames = _frames(4)
    plain = people.estimate_poses(frames, EstimateConfig(people=1))
    looked = people.estimate_poses(frames, EstimateConfig(people=1, mirrored_2d=True))
    shoulder = H36M17.joint_names.index("l_shoulder")
    shift = looked.joints2d[:, shoulder, 0] - plain.joints2d[:, shoulder, 0]
    assert np.allclose(shift, -2 * BIAS_PX, atol=1.0)  # +bias in the first look, -bias in the mirrored one
    np.testing.assert_array_equal(looked.joints3d, plain.joints3d)
