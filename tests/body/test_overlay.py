"""Tests of flowpose.body.overlay."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flowpose.body.overlay import draw_mesh, write_mesh_overlay
from flowpose.io.video import open_video

K = np.array([[100.0, 0.0, 32.0], [0.0, 100.0, 32.0], [0.0, 0.0, 1.0]])


def _square(z: float, half: float) -> tuple[np.ndarray, np.ndarray]:
    """Two triangles facing the camera (normal toward -z), a square of side 2 half at depth z."""
    v = np.array([[-half, -half, z], [half, -half, z], [half, half, z], [-half, half, z]])
    faces = np.array([[0, 2, 1], [0, 3, 2]])
    return v, faces


def test_the_nearest_surface_is_drawn_and_back_faces_are_not() -> None:
    black = np.zeros((64, 64, 3), np.uint8)
    far, faces = _square(4.0, 1.2)  # 60 px across: nearly the whole frame
    near, _ = _square(0.0, 0.1)
    c, s_ = np.cos(np.pi / 3), np.sin(np.pi / 3)  # turned 60 degrees about y: shaded at cos 60 = 0.5
    near = near @ np.array([[c, 0, s_], [0, 1, 0], [-s_, 0, c]]).T + [0, 0, 2.0]
    vertices = np.concatenate([near, far])  # the near square listed first: order must not matter
    both = np.concatenate([faces, faces + 4])
    out = draw_mesh(black, vertices, both, K, (200, 0, 0), alpha=1.0)
    assert abs(int(out[5, 5, 0]) - 200) <= 4  # the far square, facing the camera
    assert abs(int(out[32, 32, 0]) - 200 * (0.25 + 0.75 * 0.5)) <= 4  # the near, turned square covers it
    two = draw_mesh(black, vertices, both[::-1], K, (200, 0, 0), alpha=1.0)
    np.testing.assert_array_equal(out, two)  # drawn far to near, whatever the faces' order
    red = draw_mesh(black, vertices, faces, K, (0, 200, 0), alpha=1.0)
    assert red[32, 32, 1] > 0 and red[5, 5].sum() == 0  # only the near square's pixels
    flipped = draw_mesh(black, far, faces[:, ::-1], K, (200, 0, 0), alpha=1.0)
    assert flipped.sum() == 0  # facing away: culled
    behind = draw_mesh(black, far * [1, 1, -1], faces, K, (200, 0, 0), alpha=1.0)
    assert behind.sum() == 0


def test_overlay_video_has_both_meshes_side_by_side(tmp_path: Path) -> None:
    v, faces = _square(3.0, 0.3)
    frames = [np.full((64, 64, 3), 40, np.uint8)] * 3
    n = write_mesh_overlay(tmp_path / "o.mp4", frames, np.stack([v] * 3), np.stack([v + [0.5, 0, 0]] * 3), faces, K,
                           fps=10.0)
    assert n == 3
    with open_video(tmp_path / "o.mp4") as reader:
        assert len(reader) == 3 and reader.size == (64, 128)
