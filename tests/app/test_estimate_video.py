"""Tests of flowpose.app.estimate_video on real multi-person video (MediaPipe; skipped where not installed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.app.estimate_video import EstimateVideoJob, default_output, estimate_video
from flowpose.estimate.mediapipe import EstimateConfig
from flowpose.io.poses import load_poses
from tests.conftest import shared_path


def test_default_outputs() -> None:
    assert default_output(Path("x/clip.mp4"), False) == Path("x/clip.poses.npz")
    assert default_output(Path("x/clip.mp4"), True) == Path("x/clip.people")


@pytest.mark.slow
@pytest.mark.needs_shared
def test_every_person_of_a_real_multi_person_clip(tmp_path: Path) -> None:
    pytest.importorskip("mediapipe")
    video = shared_path("data", "video", "pose2sim_multiperson", "videos", "cam01.mp4")
    job = EstimateVideoJob(video=video, config=EstimateConfig(people=3), out=tmp_path / "all", all_people=True,
                           progress=False, num_frames=20)
    output = estimate_video(job)
    names = sorted(p.name for p in output.written.iterdir())
    assert "people.png" in names and "person0.poses.npz" in names and "person1.poses.npz" in names
    # The most prominent person (the woman in front) is followed in every frame, and is one person: her box
    # never jumps between frames.
    first = output.people.tracks[0]
    assert len(first.frames) == 20
    centres = np.array([[(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] for b in first.boxes()])
    assert np.linalg.norm(np.diff(centres, axis=0), axis=-1).max() < 0.1 * 1088
    one = estimate_video(EstimateVideoJob(video=video, out=tmp_path / "p.npz", progress=False, num_frames=20))
    assert one.chosen == 0 and load_poses(tmp_path / "p.npz").num_frames == 20
