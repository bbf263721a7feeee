"""Fixtures of the command-line tests: the tiny clip, and a private copy of it per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from flowpose.camera import project_np
from flowpose.io.poses import save_poses
from flowpose.io.video_writer import write_video
from flowpose.pose import PoseSequence
from tests.cli.common import SIZE, T, body


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 frames 64x64 of a moving texture, with its sidecar poses ``video.poses.npz``."""
    root = tmp_path_factory.mktemp("clip")
    rng = np.random.default_rng(1)
    texture = (rng.uniform(0, 255, (SIZE + 2 * T, SIZE + 2 * T, 3))).astype(np.uint8)
    frames = np.stack([texture[8 : 8 + SIZE, 2 * t : 2 * t + SIZE] for t in range(T)])
    write_video(root / "video.mp4", frames, fps=10.0)
    K = np.array([[80.0, 0, 31.5], [0, 80.0, 31.5], [0, 0, 1]])
    j = body(T)
    x2d = project_np(j, K) + rng.normal(0, 0.5, (T, 17, 2))
    save_poses(
        PoseSequence(joints3d=j, K=K, joints2d=x2d, conf=np.full((T, 17), 0.9), fps=10.0),
        root / "video.poses.npz",
    )
    return root


@pytest.fixture
def work(clip: Path, tmp_path: Path) -> Path:
    """A private copy of the clip, so that each test sees exactly what it made."""
    for f in clip.iterdir():
        shutil.copy2(f, tmp_path / f.name)
    return tmp_path
