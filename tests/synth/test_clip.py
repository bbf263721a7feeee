"""Tests of the synthetic clip pipeline and `synthesize` (what `flowpose synth` writes)."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.io.groundtruth import load_gt
from flowpose.io.motion import Motion
from flowpose.io.poses import load_poses
from flowpose.io.video import open_video
from flowpose.synth.clip import SynthConfig, fit_distance, make_clip, synthesize
from flowpose.synth.placement import default_intrinsics, place_in_camera
from tests.conftest import swinging_motion


def test_whole_trajectory_fits_the_image():
    motion = swinging_motion(30)
    cfg = SynthConfig(size=64, fill=0.7)
    K = default_intrinsics(64, 64, cfg.fov_deg)
    cam = place_in_camera(motion.joints, distance_m=fit_distance(motion.joints, K, cfg))
    uv = (cam[..., :2] / cam[..., 2:]) * K[0, 0] + K[0, 2]
    assert uv.min() >= 0.5 * (1 - cfg.fill) * 64 - 1 and uv.max() <= 64 - 0.5 * (1 - cfg.fill) * 64 + 1


def test_make_clip_shapes(tiny_clip):
    r, est = tiny_clip.rendered, tiny_clip.estimate
    assert r.frames.shape == (8, 64, 64, 3) and r.flow.shape == (7, 64, 64, 2)
    assert est.joints3d.shape == (8, 17, 3) and est.joints2d.shape == (8, 17, 2)
    assert tiny_clip.gt.human_mask.any()


def test_synthesize_writes_the_three_files_byte_reproducibly(tmp_path):
    motion = swinging_motion(10)
    npz = tmp_path / "motion.npz"
    np.savez(npz, joints3d=motion.joints, fps=motion.fps)
    cfg = SynthConfig(frames=6, size=48, seed=1)
    a = synthesize(npz, tmp_path / "a", cfg)
    b = synthesize(npz, tmp_path / "b", cfg)
    for role in ("video", "poses", "gt"):
        assert a[role].read_bytes() == b[role].read_bytes(), role
    assert len(open_video(a["video"])) == 6
    assert load_poses(a["poses"]).num_frames == 6
    gt = load_gt(a["gt"])
    assert gt.flow.shape == (5, 48, 48, 2)
    c = synthesize(npz, tmp_path / "c", SynthConfig(frames=6, size=48, seed=2))
    assert c["poses"].read_bytes() != a["poses"].read_bytes()


def test_too_short_motion_is_refused():
    with pytest.raises(InputError, match="fewer than start 0 \\+ frames 50"):
        make_clip(swinging_motion(10), SynthConfig(frames=50, size=48))
    whole = make_clip(swinging_motion(10), SynthConfig(frames=50, size=48, shorter_ok=True))
    assert whole.rendered.joints3d.shape[0] == whole.estimate.num_frames == 10
    with pytest.raises(InputError, match="fewer than start 9 \\+ frames 50"):  # 2 frames at least, all the same
        make_clip(swinging_motion(10), SynthConfig(frames=50, start=9, size=48, shorter_ok=True))


@pytest.mark.parametrize(
    "kwargs, message",
    [({"frames": 1}, "at least 2"), ({"profile": "nope"}, "unknown estimator profile"), ({"size": 8}, "32 to 4096"),
     ({"size": 100_000}, "32 to 4096 pixels, got 100000"), ({"fps": 0.0}, r"fps must be in \(0, 1000\]"),
     ({"fps": 1e5}, r"in \(0, 1000\] frames per second, got 100000"),
     ({"pitch_deg": 70.0}, "pitch_deg must be within ±60 degrees, got 70.0"),
     ({"pitch_deg": float("nan")}, "pitch_deg must be within ±60 degrees, got nan")],
)
def test_config_validation(kwargs, message):
    with pytest.raises(InputError, match=message):
        SynthConfig(**kwargs)


def test_resamples_to_the_output_rate():
    m = swinging_motion(40, fps=60.0)
    clip = make_clip(Motion(m.joints, 60.0, "test"), SynthConfig(frames=10, size=48, fps=30.0))
    assert clip.rendered.frames.shape[0] == 10 and clip.rendered.fps == 30.0
