"""Tests of flowpose.camera_checks: a pose file's camera and 2D against the video's frames."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from flowpose.camera import intrinsics_from_fov, project_np
from flowpose.camera_checks import off_image_note, scaled_camera_note
from flowpose.pose import PoseSequence

K = intrinsics_from_fov(640, 480, 60.0)


def _body(T: int = 6, J: int = 17, seed: int = 0) -> np.ndarray:
    rel = np.random.default_rng(seed).uniform(-0.4, 0.4, (T, J, 3)) * np.array([1.0, 2.0, 0.5])
    return rel - rel[:, :1]


def test_off_image_note() -> None:
    T = 6
    seq = PoseSequence(joints3d=_body(T) + [0, 0, 4], K=K)
    assert off_image_note(seq, (480, 640), "p.npz") is None
    shifted = seq.with_joints3d(seq.joints3d + np.array([40.0, 0.0, 0.0], np.float32))  # 40 m to the right
    note = off_image_note(shifted, (480, 640), "p.npz")
    assert note is not None and note.startswith("p.npz: in 6 of its 6 frames no joint lies inside the 640x480")
    half = seq.with_joints3d(np.concatenate([seq.joints3d[:3], shifted.joints3d[3:]]))
    assert off_image_note(half, (480, 640), "p.npz") is None  # half the frames in view: a person leaving it
    keypoints = replace(shifted, joints2d=project_np(seq.joints3d, K).astype(np.float32))
    assert off_image_note(keypoints, (480, 640), "p.npz") is None  # keypoints in view are what the crops follow


def test_a_camera_of_smaller_frames_is_told() -> None:
    def poses(cx: float, cy: float) -> PoseSequence:
        K = np.array([[500.0, 0.0, cx], [0.0, 500.0, cy], [0.0, 0.0, 1.0]])
        return PoseSequence(np.ones((2, 17, 3)) + [0.0, 0.0, 3.0], K)

    note = scaled_camera_note(poses(480.0, 270.0), (1080, 1920), "p.npz")  # estimated at 960x540
    assert note == ("p.npz: its camera K has its principal point at (480, 270), the centre of about 960x540 "
                    "frames, not of the video's 1920x1080: poses made from frames scaled by 0.5? flowpose reads K and "
                    "2D in the video's pixels: rescale them (without joints2d, passing the video's camera will do: "
                    "--intrinsics, --focal-px)")
    assert "about 640x360 frames" in scaled_camera_note(poses(319.5, 179.5), (1080, 1920), "p.npz")
    assert scaled_camera_note(poses(959.5, 539.5), (1080, 1920), "p.npz") is None  # the video's own centre
    assert scaled_camera_note(poses(1100.0, 600.0), (1080, 1920), "p.npz") is None  # calibrated off centre, but near
    assert scaled_camera_note(poses(480.0, 540.0), (1080, 1920), "p.npz") is None  # off centre by no single scale



def test_a_camera_of_the_frames_turned_on_their_side_is_told() -> None:
    def poses(cx: float, cy: float) -> PoseSequence:
        K = np.array([[900.0, 0.0, cx], [0.0, 900.0, cy], [0.0, 0.0, 1.0]])
        return PoseSequence(np.ones((2, 17, 3)) + [0.0, 0.0, 3.0], K)

    # A portrait phone video (1088x1920, upright) whose poses were made from its frames as stored, landscape.
    note = scaled_camera_note(poses(959.5, 543.5), (1920, 1088), "p.npz")
    assert note == ("p.npz: its camera K has its principal point at (960, 544), the centre of about 1920x1088 frames: "
                    "the video's 1088x1920 frames turned by 90 degrees? flowpose reads K and 2D in the pixels of its "
                    "frames as it decodes them, upright (1088x1920; a video's rotation metadata applied): make the "
                    "poses from those frames")
    # A 4K landscape video with poses of portrait 1080p frames: turned, and scaled.
    assert "about 1080x1920 frames: the video's 3840x2160 frames turned by 90 degrees and scaled by 0.5?" in (
        scaled_camera_note(poses(539.5, 959.5), (2160, 3840), "p.npz"))
    assert scaled_camera_note(poses(543.5, 959.5), (1920, 1088), "p.npz") is None  # upright: its own centre


def test_a_camera_normalised_by_the_image_size_is_told() -> None:
    K_px = np.array([[1400.0, 0.0, 959.5], [0.0, 1400.0, 539.5], [0.0, 0.0, 1.0]])
    normalised = np.diag([1 / 1920, 1 / 1080, 1.0]) @ K_px  # principal point (0.5, 0.5), as some datasets keep K
    note = scaled_camera_note(PoseSequence(np.ones((2, 17, 3)) + [0.0, 0.0, 3.0], normalised), (1080, 1920), "p.npz")
    assert note == ("p.npz: its camera K has its principal point at (0.5, 0.5): normalised by the image's size? "
                    "flowpose reads K in the video's pixels: multiply fx and cx by its width (1920), fy and cy by its "
                    "height (1080), or pass the video's camera (--intrinsics, --focal-px)")
