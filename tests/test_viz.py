"""Overlay video: Middlebury flow colours, skeleton drawing, flow panels and the written mp4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.camera import project_np
from flowpose.errors import InputError, ShapeError
from flowpose.flow.field import FlowField
from flowpose.io.video import open_video
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17
from flowpose.viz import (
    FILLED_COLOR,
    INIT_COLOR,
    MIN_DISPLAY_HEIGHT,
    REFINED_COLOR,
    color_wheel,
    draw_skeleton,
    flow_panel,
    flow_to_color,
    overlay_frames,
    robust_max_flow,
    write_overlay,
)


def test_color_wheel() -> None:
    wheel = color_wheel()
    assert wheel.shape == (55, 3) and wheel.min() >= 0 and wheel.max() <= 1
    np.testing.assert_allclose(wheel[0], [1, 0, 0])  # starts at red
    np.testing.assert_allclose(wheel[15], [1, 1, 0])  # 15 steps to yellow
    np.testing.assert_allclose(wheel[21], [0, 1, 0])  # 6 more to green
    assert (wheel.min(-1) == 0).all()  # every hue is fully saturated
    step = np.abs(np.diff(np.vstack([wheel, wheel[:1]]), axis=0)).max()
    assert step <= 1 / 4 + 1e-12  # smooth around the wheel (the 4-step green-cyan segment is the steepest)


def test_flow_to_color_cardinal_directions_hand_computed() -> None:
    # pos = (atan2(-v, -u) / pi + 1) / 2 * 54 on the 55-step wheel.
    flow = np.array([[[0.0, 1.0], [-1.0, 0.0], [1.0, 0.0], [0.0, -1.0]]])
    rgb = flow_to_color(flow, max_flow=1.0)[0].tolist()
    assert rgb[0] == [255, 230, 0]  # down: pos 13.5, between yellowish 13/15 and 14/15 of red->yellow
    assert rgb[1] == [0, 209, 255]  # left: pos 27, cyan->blue step 2 of 11: G = 255 (1 - 2/11)
    assert rgb[2] == [255, 0, 0]  # right: atan2(-0.0, -1) = -pi, pos 0: the wheel starts at red
    assert rgb[3] == [88, 0, 255]  # up: pos 40.5, blue->magenta step 4.5 of 13: R = 255 * 4.5 / 13


def test_flow_to_color_saturation_and_range() -> None:
    flow = np.array([[[0.0, 0.0], [0.0, 0.5], [0.0, 1.0], [0.0, 2.0], [np.nan, 0.0]]])
    rgb = flow_to_color(flow, max_flow=1.0)[0].astype(int)
    assert rgb[0].tolist() == [255, 255, 255]  # still: white
    np.testing.assert_allclose(rgb[1], np.round(255 - 0.5 * (255 - rgb[2])), atol=1)  # halfway to full colour
    np.testing.assert_allclose(rgb[3], np.round(0.75 * rgb[2]), atol=1)  # beyond the normaliser: darkened
    assert rgb[4].tolist() == [0, 0, 0]  # invalid: black
    auto = flow_to_color(flow[:, :4])  # default normaliser: the largest vector is at full saturation
    assert auto[0, 3].min() == 0 and auto[0, 3].max() == 255


def test_flow_to_color_exception() -> None:
    with pytest.raises(ShapeError, match=r"flow must have shape \(H, W, 2\)"):
        flow_to_color(np.zeros((4, 4, 3)))


def test_draw_skeleton_lines_and_nan() -> None:
    img = np.zeros((32, 32, 3), np.uint8)
    joints = np.array([[4.0, 16.0], [28.0, 16.0], [np.nan, np.nan]])
    draw_skeleton(img, joints, [(0, 1), (1, 2)], (0, 255, 0), thickness=1)
    assert (img[16, 8:24, 1] > 100).all() and (img[..., [0, 2]] == 0).all()
    assert (img[:10, :, 1] == 0).all()  # nothing drawn toward the NaN joint


def test_flow_panel_pastes_crop_in_place() -> None:
    frame = np.full((64, 64, 3), 200, np.uint8)
    flow = FlowField(
        np.tile([1.0, 0.0], (1, 8, 8, 1)),
        np.ones((1, 8, 8)),
        np.array([[20.0, 10.0]]),
        np.array([2.0]),
        (64, 64),
    )
    panel = flow_panel(frame, flow, 0, max_flow=1.0)
    red = flow_to_color(np.array([[[1.0, 0.0]]]), 1.0)[0, 0]
    # Grid pixel (0, 0) sits at (20, 10) and cells are 2 px: the crop covers x 19.5..35.5, y 9.5..25.5.
    np.testing.assert_array_equal(panel[14, 26], red)
    assert (panel[50, 50] == 60).all()  # outside the crop: the dimmed frame


def _scene(T: int = 4, size: int = 48) -> tuple[np.ndarray, PoseSequence, PoseSequence, FlowField]:
    rng = np.random.default_rng(0)
    f = 1.5 * size
    K = np.array([[f, 0, (size - 1) / 2], [0, f, (size - 1) / 2], [0, 0, 1]])
    j = rng.uniform(-0.25, 0.25, (T, 17, 3)) + [0.0, 0.1, 2.0]
    init = PoseSequence(joints3d=j, K=K)
    refined = PoseSequence(joints3d=j + [0.15, 0.0, 0.0], K=K)  # ~10% of the frame to the right
    frames = np.full((T, size, size, 3), 30, np.uint8)
    flow = FlowField.full_frame(np.tile([2.0, -1.0], (T - 1, size, size, 1)))
    return frames, init, refined, flow


def test_overlay_frames_draw_both_skeletons_and_the_flow() -> None:
    frames, init, refined, flow = _scene(size=96)
    out = list(overlay_frames(frames, init, refined, flow, max_height=96))  # 96 px: drawn at frame size
    assert len(out) == 4 and out[0].shape == (96, 192, 3)
    left = out[0][:, :96].reshape(-1, 3)
    for color in (INIT_COLOR, REFINED_COLOR):
        assert (np.abs(left.astype(int) - color).max(-1) == 0).sum() > 20  # the skeleton's own colour
    # Where the refined skeleton's pelvis is drawn, it covers the initial one (drawn first).
    u, v = np.round(project_np(refined.joints3d[0, :1], refined.K)[0]).astype(int)
    if v > 40:  # below the legend
        assert out[0][v, u].tolist() == list(REFINED_COLOR)
    # The right panel shows the flow's colour away from labels and the key.
    colour = flow_to_color(np.array([[[2.0, -1.0]]]), robust_max_flow(flow))[0, 0]
    np.testing.assert_array_equal(out[0][50, 96 + 10], colour)
    np.testing.assert_array_equal(out[3][50, 96 + 10], colour)  # last frame: the last pair's flow


def test_a_frame_with_nothing_observed_is_drawn_grey_and_said() -> None:
    frames, init, refined, flow = _scene(size=96)
    conf = np.ones((4, 17), np.float32)
    conf[2] = 0.0  # frame 2 filled in from the others
    filled = PoseSequence(joints3d=refined.joints3d, K=refined.K, conf=conf)
    out = list(overlay_frames(frames, init, filled, flow, max_height=96))
    counts = [[(np.abs(o[:, :96].reshape(-1, 3).astype(int) - c).max(-1) == 0).sum() for c in (REFINED_COLOR, FILLED_COLOR)]
              for o in out]
    assert counts[2][0] == 0 and counts[2][1] > 20, counts  # grey, and no sky blue: not even the legend
    # elsewhere sky blue, and grey only where white text's anti-aliased edge over the dark frame passes through it
    assert all(c[0] > 20 and c[1] < counts[2][1] / 10 for i, c in enumerate(counts) if i != 2), counts


def test_write_overlay_roundtrip(tmp_path: Path) -> None:
    frames, init, refined, flow = _scene()
    assert write_overlay(tmp_path / "o.mp4", frames, init, refined, flow, fps=10.0) == 4
    with open_video(tmp_path / "o.mp4") as video:
        # Small frames are enlarged to MIN_DISPLAY_HEIGHT for legibility, side by side.
        assert len(video) == 4 and video.size == (MIN_DISPLAY_HEIGHT, 2 * MIN_DISPLAY_HEIGHT)
        assert video.fps == pytest.approx(10.0)


def test_write_overlay_downscales_tall_frames(tmp_path: Path) -> None:
    frames, init, refined, flow = _scene(T=2, size=64)
    write_overlay(tmp_path / "o.mp4", frames, init, refined, flow, fps=5.0, max_height=32)
    with open_video(tmp_path / "o.mp4") as video:
        assert video.size == (32, 64)


def test_write_overlay_exception(tmp_path: Path) -> None:
    frames, init, refined, flow = _scene()
    with pytest.raises(InputError, match="overlay needs T frames, T poses and T-1 flow pairs; got 3 frames"):
        write_overlay(tmp_path / "o.mp4", frames[:3], init, refined, flow, fps=10.0)
    assert not (tmp_path / "o.mp4").exists()
    assert H36M17.num_joints == init.num_joints
