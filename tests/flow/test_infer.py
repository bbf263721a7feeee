"""Whole-video flow inference, crop grids and forward-backward confidence."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from flowpose.errors import InputError, ShapeError
from flowpose.flow.classical import DISFlow
from flowpose.flow.crop import person_boxes
from flowpose.flow.infer import compute_video_flow, forward_backward_confidence, plan_grids
from flowpose.flow.registry import FLOW_BACKENDS
from tests.flow.texture import translating_video


class StandIn(nn.Module):
    """A deterministic stand-in with the network interface: flow is a fixed function of both images."""

    name = "stand-in"
    trainable = True

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def predict(self, image1: torch.Tensor, image2: torch.Tensor, *, iters: int = 12) -> torch.Tensor:
        self.calls.append(image1.shape[0])
        u = (image2 - image1).mean(1) / 10.0 + iters * 1e-3
        v = image1.mean(1) / 100.0
        return torch.stack([u, v], 1)


class LazyFrames:
    """A lazy reader: frames produced on demand, reads counted."""

    def __init__(self, frames: np.ndarray) -> None:
        self._frames = frames
        self.reads: list[int] = []

    def __len__(self) -> int:
        return len(self._frames)

    def __getitem__(self, t: int) -> np.ndarray:
        self.reads.append(t)
        return self._frames[t].copy()


@pytest.fixture(scope="module")
def video() -> np.ndarray:
    return translating_video(5, 96, (1.5, -1.0))


# ---- forward-backward confidence ---------------------------------------------------------------------------


def test_fb_consistent_flow_is_trusted() -> None:
    fwd = np.zeros((1, 16, 16, 2), np.float32)
    fwd[..., 0], fwd[..., 1] = 2.0, -1.0
    conf = forward_backward_confidence(fwd, -fwd)
    assert np.all(conf[:, 1:, :-2] > 0.999)  # targets inside the grid
    assert np.all(conf[:, :, -2:] == 0) and np.all(conf[:, 0, :] == 0)  # targets leave the grid


def test_fb_occluded_region_is_distrusted() -> None:
    """A 6x6 square moves 4 px right over a static background; the background it covers is occluded."""
    h = w = 24
    fwd = np.zeros((1, h, w, 2), np.float32)
    bwd = np.zeros((1, h, w, 2), np.float32)
    fwd[0, 8:14, 6:12, 0] = 4.0  # square at t: x 6..11
    bwd[0, 8:14, 10:16, 0] = -4.0  # square at t+1: x 10..15
    conf = forward_backward_confidence(fwd, bwd)[0]
    assert np.all(conf[8:14, 6:12] > 0.99)  # the square itself: consistent
    assert np.all(conf[8:14, 12:16] < 0.01)  # background covered at t+1: occluded
    assert np.all(conf[:6] > 0.99)  # untouched background


def test_fb_soft_test_is_half_on_the_hard_threshold() -> None:
    # f = (1, 0), b = (-0.5, 0): |f + b|^2 = 0.25, alpha (|f|^2 + |b|^2) = 0.01 * 1.25 = 0.0125,
    # so beta = 0.2375 puts every pixel exactly on the hard test's threshold.
    f = np.full((1, 4, 4, 2), [1.0, 0.0], np.float32)
    b = np.full((1, 4, 4, 2), [-0.5, 0.0], np.float32)
    conf = forward_backward_confidence(f, b, alpha=0.01, beta=0.2375)
    np.testing.assert_allclose(conf[0, :, :3], 0.5, atol=1e-5)
    assert np.all(conf[0, :, 3] == 0)  # target x + 1 leaves the grid
    looser = forward_backward_confidence(f, b, alpha=0.01, beta=0.2375 * 3)
    tighter = forward_backward_confidence(f, b, alpha=0.01, beta=0.2375 / 3)
    assert looser[0, 0, 0] > 0.95 and tighter[0, 0, 0] < 0.05  # r = 1/3 and r = 3 (approximately)


def test_fb_shape_errors() -> None:
    with pytest.raises(ShapeError, match=r"fwd must have shape \(P, h, w, 2\)"):
        forward_backward_confidence(np.zeros((2, 4, 4)), np.zeros((2, 4, 4)))
    with pytest.raises(ShapeError, match="bwd"):
        forward_backward_confidence(np.zeros((2, 4, 4, 2)), np.zeros((2, 4, 5, 2)))


# ---- grids ------------------------------------------------------------------------------------------


def test_plan_grids_full_and_downscaled() -> None:
    origins, scales, size = plan_grids(None, None, (40, 60), 3)
    assert size == (40, 60) and np.all(origins == 0) and np.all(scales == 1)
    origins, scales, size = plan_grids(None, 30, (40, 60), 3)
    assert size == (20, 30) and np.allclose(scales, 2.0) and np.allclose(origins, 0.5)
    _, _, size = plan_grids(np.array([[0, 0, 30, 30], [0, 0, 34, 34]]), None, (40, 60), 2)
    assert size == (32, 32)  # median side rounded up to a multiple of 8
    with pytest.raises(ShapeError, match=r"boxes must have shape \(3, 4\)"):
        plan_grids(np.zeros((2, 4)), 32, (40, 60), 3)
    with pytest.raises(InputError, match="x1 > x0"):
        plan_grids(np.array([[5, 0, 5, 10.0]]), 32, (40, 60), 1)
    with pytest.raises(InputError, match="work_size"):
        plan_grids(None, 0, (40, 60), 1)


# ---- compute_video_flow -----------------------------------------------------------------------------


def test_full_frame_translation(video: np.ndarray) -> None:
    field = compute_video_flow(DISFlow(), video)
    assert field.is_full_frame and field.flow.shape == (4, 96, 96, 2)
    interior = field.flow[:, 16:-16, 16:-16]
    assert np.abs(interior - [1.5, -1.0]).max() < 0.25
    assert field.confidence[:, 16:-16, 16:-16].min() > 0.9


def test_backward_flow_is_kept_on_request(video: np.ndarray) -> None:
    assert compute_video_flow(DISFlow(), video).reverse is None
    boxes = np.array([[12, 8, 84, 80], [16, 12, 88, 84], [10, 10, 82, 82], [14, 14, 86, 86]], np.float32)
    field = compute_video_flow(DISFlow(), video, boxes=boxes, work_size=48, keep_backward=True)
    back = field.reverse
    assert back is not None and back.flow.shape == field.flow.shape and back.reverse is None
    np.testing.assert_array_equal(back.origin, field.origin)
    interior = back.flow[:, 10:-10, 10:-10]
    assert np.abs(interior - [-1.5, 1.0]).max() < 0.3  # frame t+1 -> t: the motion reversed
    assert back.confidence[:, 10:-10, 10:-10].min() > 0.9


def test_crop_path_matches_full_frame(video: np.ndarray) -> None:
    boxes = np.array([[12, 8, 84, 80], [16, 12, 88, 84], [10, 10, 82, 82], [14, 14, 86, 86]], np.float32)
    full = compute_video_flow(DISFlow(), video)
    crop = compute_video_flow(DISFlow(), video, boxes=boxes, work_size=48)  # scale 1.5
    assert crop.flow.shape == (4, 48, 48, 2) and np.allclose(crop.scale, 1.5)
    np.testing.assert_allclose(crop.origin[0], [12.25, 8.25])
    # compare at interior full-frame points through each field's own sampling
    pts = torch.tensor(
        np.stack(np.meshgrid(np.arange(30, 66), np.arange(30, 66)), -1).reshape(1, -1, 2), dtype=torch.float32
    )
    pts = pts.expand(4, -1, -1).contiguous()
    f_full, _ = full.sample(pts)
    f_crop, c_crop = crop.sample(pts)
    assert (f_crop - f_full).abs().max() < 0.3
    assert (f_crop - torch.tensor([1.5, -1.0])).abs().max() < 0.3  # flow is in full-frame pixels
    assert c_crop.min() > 0.9


def test_downscaled_full_frame(video: np.ndarray) -> None:
    field = compute_video_flow(DISFlow(), video, work_size=64)
    assert field.flow.shape == (4, 64, 64, 2) and np.allclose(field.scale, 1.5)
    assert np.abs(field.flow[:, 12:-12, 12:-12] - [1.5, -1.0]).max() < 0.3


def test_crop_outside_image_gets_zero_confidence(video: np.ndarray) -> None:
    boxes = np.tile(np.array([-32, 0, 64, 96], np.float32), (4, 1))  # left third hangs off the image
    field = compute_video_flow(StandIn(), video, boxes=boxes, work_size=32, backward=False)
    assert np.all(field.confidence[:, :, :10] == 0) and np.all(field.confidence[:, :, 12:] == 1)


def test_batch_size_invariance_and_call_sizes(video: np.ndarray) -> None:
    boxes = person_boxes(np.tile([[20.0, 20.0], [70.0, 70.0]], (5, 1, 1)), None, (96, 96))
    runs = {}
    for bs in (1, 3, 8):
        model = StandIn()
        runs[bs] = compute_video_flow(model, video, boxes=boxes, work_size=32, batch_size=bs, iters=3)
        assert sum(model.calls) == 2 * 4 and max(model.calls) == 2 * min(bs, 4)  # fwd + bwd in one call
    for bs in (3, 8):
        np.testing.assert_allclose(runs[bs].flow, runs[1].flow, atol=1e-5)
        np.testing.assert_allclose(runs[bs].confidence, runs[1].confidence, atol=1e-5)


def test_pairs_are_in_order(video: np.ndarray) -> None:
    field = compute_video_flow(StandIn(), video, batch_size=3, iters=0, backward=False)
    expected_u = (video[1:].astype(np.float32) - video[:-1]).mean(-1) / 10.0
    np.testing.assert_allclose(field.flow[..., 0], expected_u, atol=1e-4)
    assert np.all(field.confidence == 1)


def test_lazy_frames_read_once(video: np.ndarray) -> None:
    lazy = LazyFrames(video)
    field = compute_video_flow(StandIn(), lazy, batch_size=2)
    eager = compute_video_flow(StandIn(), video, batch_size=2)
    np.testing.assert_array_equal(field.flow, eager.flow)
    assert sorted(lazy.reads) == list(range(5))


def test_input_errors(video: np.ndarray) -> None:
    with pytest.raises(InputError, match="at least 2 frames"):
        compute_video_flow(StandIn(), video[:1])
    with pytest.raises(InputError, match="batch_size"):
        compute_video_flow(StandIn(), video, batch_size=0)
    bad = list(video)
    bad[3] = bad[3][:50]
    with pytest.raises(ShapeError, match=r"frame 3 must have shape \(96, 96, 3\)"):
        compute_video_flow(StandIn(), bad)


def test_real_network_smoke(video: np.ndarray) -> None:
    model = FLOW_BACKENDS["raft-small"].build().eval()
    field = compute_video_flow(
        model, video[:3], boxes=np.tile([8.0, 8.0, 88.0, 88.0], (2, 1)), work_size=64, iters=2
    )
    assert field.flow.shape == (2, 64, 64, 2) and np.all(np.isfinite(field.flow))
    assert np.all((field.confidence >= 0) & (field.confidence <= 1))
