"""Crop boxes around the person and resampling onto crop grids."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError, ShapeError
from flowpose.flow import crop
from flowpose.flow.crop import box_to_grid, crop_to_grid, person_boxes


def _walker(T: int = 12, J: int = 17, seed: int = 0) -> np.ndarray:
    """(T, J, 2) joints of a figure 40x80 px walking right 4 px per frame, with jitter."""
    rng = np.random.default_rng(seed)
    base = np.stack([rng.uniform(0, 40, J), rng.uniform(0, 80, J)], -1) + [50, 60]
    return base + np.arange(T)[:, None, None] * np.array([4.0, 0.0]) + rng.normal(0, 1, (T, J, 2))


def _inside(points: np.ndarray, box: np.ndarray) -> bool:
    """Points (N, 2) inside the box's area [x0 - 0.5, x1 - 0.5] x [y0 - 0.5, y1 - 0.5]."""
    return bool(np.all((points >= box[:2] - 0.5) & (points <= box[2:] - 0.5)))


# ---- box_to_grid ------------------------------------------------------------------------------------------


def test_grid_of_square_box_hand_computed() -> None:
    origin, scale = box_to_grid(np.array([10, 20, 42, 52]), (16, 16))
    assert scale == 2.0
    assert origin.tolist() == [10.5, 20.5]  # corner + (scale - 1) / 2: the centre of the first 2x2 block
    origin1, scale1 = box_to_grid(np.array([10, 20, 26, 36]), (16, 16))
    assert scale1 == 1.0 and origin1.tolist() == [10.0, 20.0]  # scale 1: exactly the box's pixels


def test_grid_of_wide_box_is_centred() -> None:
    origin, scale = box_to_grid(np.array([0, 0, 64, 32]), (32, 32))  # wide box in a square grid
    assert scale == 2.0
    centre = origin + scale * (32 - 1) / 2
    assert centre.tolist() == [31.5, 15.5]  # the box's centre in pixel-centre coordinates


# ---- crop_to_grid ------------------------------------------------------------------------------------------


def test_crop_at_scale_one_is_slicing() -> None:
    img = np.random.default_rng(0).integers(0, 256, (30, 40, 3)).astype(np.uint8)
    out = crop_to_grid(img, np.array([5.0, 7.0]), 1.0, (10, 12))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, img[7:17, 5:17].astype(np.float32))


def test_crop_samples_linear_image_exactly() -> None:
    ys, xs = np.mgrid[0:64, 0:64].astype(np.float64)
    img = np.stack([xs, ys, 2 * xs + 3 * ys], -1)  # linear in x, y: bilinear sampling and blur are exact
    for origin, scale in [((10.3, 12.7), 0.5), ((4.25, 3.5), 1.5), ((8.0, 9.0), 2.5), ((12.5, 11.0), 4.5)]:
        out = crop_to_grid(img, np.array(origin), scale, (8, 8))
        gx = origin[0] + scale * np.arange(8)
        gy = origin[1] + scale * np.arange(8)
        np.testing.assert_allclose(out[..., 0], np.broadcast_to(gx, (8, 8)), atol=1e-4)
        np.testing.assert_allclose(out[..., 1], np.broadcast_to(gy[:, None], (8, 8)), atol=1e-4)
        np.testing.assert_allclose(out[..., 2], 2 * gx[None] + 3 * gy[:, None], atol=1e-3)


def test_crop_outside_image_repeats_edge() -> None:
    img = np.arange(16, dtype=np.float32).reshape(4, 4, 1).repeat(3, -1)
    out = crop_to_grid(img, np.array([-3.0, -2.0]), 1.0, (8, 10))
    assert out[0, 0, 0] == img[0, 0, 0] and out[-1, -1, 0] == img[-1, -1, 0]
    np.testing.assert_array_equal(out[2:6, 3:7, 0], img[..., 0])
    far = crop_to_grid(img, np.array([100.0, 100.0]), 1.0, (2, 2))  # entirely outside
    assert np.all(far == img[-1, -1, 0])


def test_crop_far_off_the_image_holds_only_the_image_and_matches_padding(monkeypatch: pytest.MonkeyPatch) -> None:
    img = np.random.default_rng(1).uniform(0, 255, (20, 30, 3)).astype(np.float32)
    pad = 720  # a whole number of blocks at every scale below (blocks lie on the image's pixel grid)
    padded = np.pad(img, ((pad, pad), (pad, pad), (0, 0)), mode="edge")  # what edge padding means
    for origin, scale in (((-300.0, -250.0), 6.0), ((-40.0, 10.0), 3.5), ((200.0, 150.0), 2.0), ((-5.0, -5.0), 30.0)):
        out = crop_to_grid(img, np.array(origin), scale, (16, 16))
        reference = crop_to_grid(padded, np.array(origin) + pad, scale, (16, 16))
        np.testing.assert_allclose(out, reference, atol=1e-3)
    held = []
    real_edge_padded = crop._edge_padded
    monkeypatch.setattr(crop, "_edge_padded", lambda *args: held.append(real_edge_padded(*args).shape) or real_edge_padded(*args))
    crop_to_grid(img, np.array([-5000.0, -4000.0]), 100.0, (16, 16))  # a 1,600 px grid around a 30 px image
    band = int(np.ceil(4.0 * 49.5)) + 2 + 2 * 50  # sigma (100 - 1) / 2, blocks of 50 px (and one for alignment)
    assert held[0][0] <= 20 + 2 * band and held[0][1] <= 30 + 2 * band


def test_crop_equals_bilinear_sampling_of_the_whole_blurred_band() -> None:
    """Only the pixels either side of the grid's rows and columns are sampled; below ``SHRINK_FROM`` the result is
    that of sampling the whole edge-padded, blurred band (the definition), for any image, channels, grid, scale and
    place."""
    import cv2
    import torch

    from flowpose.flow.field import sample_grid

    rng = np.random.default_rng(5)
    for _ in range(200):
        H, W = (int(v) for v in rng.integers(1, 50, 2))
        C = int(rng.choice([1, 2, 3, 5]))
        img = rng.integers(0, 256, (H, W, C)).astype(np.uint8)
        h, w = (int(v) for v in rng.integers(1, 16, 2))
        scale = float(rng.choice([1.0, rng.uniform(0.2, crop.SHRINK_FROM - 0.01)]))  # the Gaussian alone
        origin = rng.uniform(-30, max(H, W) + 30, 2)
        sigma = max(0.0, (scale - 1) / 2)
        lo = np.floor(origin).astype(int) - 40  # a band wider than the crop needs: the same values inside it
        hi = np.ceil(origin + scale * (np.array([w, h]) - 1)).astype(int) + 41
        ys, xs = np.clip(np.arange(lo[1], hi[1]), 0, H - 1), np.clip(np.arange(lo[0], hi[0]), 0, W - 1)
        band = img[ys[:, None], xs[None, :]].astype(np.float32)
        if sigma > 0:
            band = cv2.GaussianBlur(band, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REPLICATE).reshape(band.shape)
        gx, gy = origin[0] - lo[0] + scale * np.arange(w), origin[1] - lo[1] + scale * np.arange(h)
        grid = torch.from_numpy(np.stack(np.meshgrid(gx, gy), -1).reshape(1, -1, 2))
        reference = sample_grid(torch.from_numpy(band).permute(2, 0, 1)[None].double(), grid).reshape(h, w, C)
        np.testing.assert_allclose(crop_to_grid(img, origin, scale, (h, w)), reference.numpy(), atol=1e-3)


def test_a_large_scale_crop_is_block_means_then_the_rest_of_the_gaussian() -> None:
    """From ``SHRINK_FROM`` on: means over f x f blocks on the image's pixel grid (f = floor(scale / 2)), then the
    Gaussian that brings the variance to ((scale - 1) / 2)^2, then bilinear sampling at the block pixels' centres;
    written here on the edge-padded image as a whole."""
    import cv2
    import torch

    from flowpose.flow.field import sample_grid

    rng = np.random.default_rng(6)
    for _ in range(60):
        H, W = (int(v) for v in rng.integers(5, 60, 2))
        img = rng.integers(0, 256, (H, W, 3)).astype(np.uint8)
        h, w = (int(v) for v in rng.integers(1, 12, 2))
        scale = float(rng.uniform(crop.SHRINK_FROM, 9.0))
        f = int(scale // 2)
        origin = rng.uniform(-20, max(H, W) + 20, 2)
        pad = f * 60  # whole blocks, far more than the filter reaches
        padded = np.pad(img, ((pad, pad), (pad, pad), (0, 0)), mode="edge").astype(np.float64)
        blocks = padded[: padded.shape[0] // f * f, : padded.shape[1] // f * f]
        blocks = blocks.reshape(blocks.shape[0] // f, f, blocks.shape[1] // f, f, 3).mean((1, 3)).astype(np.float32)
        rest = np.sqrt(((scale - 1) / 2) ** 2 - (f * f - 1) / 12) / f
        blocks = cv2.GaussianBlur(blocks, (0, 0), sigmaX=rest, borderType=cv2.BORDER_REPLICATE)
        # Image x lies at padded x + pad; block k is centred at padded f k + (f - 1) / 2.
        gx = (origin[0] + pad + scale * np.arange(w) - (f - 1) / 2) / f
        gy = (origin[1] + pad + scale * np.arange(h) - (f - 1) / 2) / f
        grid = torch.from_numpy(np.stack(np.meshgrid(gx, gy), -1).reshape(1, -1, 2))
        reference = sample_grid(torch.from_numpy(blocks).permute(2, 0, 1)[None].double(), grid).reshape(h, w, 3)
        np.testing.assert_allclose(crop_to_grid(img, origin, scale, (h, w)), reference.numpy(), atol=2e-3)


def test_downscaled_crop_is_antialiased() -> None:
    stripes = np.zeros((64, 64, 3), np.float32)
    stripes[:, ::2] = 255.0  # period 2: pure aliasing when subsampled at scale 4
    out = crop_to_grid(stripes, np.array([1.5, 1.5]), 4.0, (15, 15))
    assert np.all(np.abs(out - 127.5) < 20)


# ---- person_boxes ------------------------------------------------------------------------------------------


def test_boxes_cover_joints_of_both_frames_and_are_square() -> None:
    joints = _walker()
    boxes = person_boxes(joints, None, (240, 320), pad=0.0, min_side=1)
    assert boxes.shape == (11, 4) and boxes.dtype == np.float32
    np.testing.assert_array_equal(boxes, np.round(boxes))
    np.testing.assert_array_equal(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    for t in range(11):
        assert _inside(joints[t], boxes[t]) and _inside(joints[t + 1], boxes[t])


def test_padding_and_min_side() -> None:
    joints = _walker()
    tight = person_boxes(joints, None, (240, 320), pad=0.0, min_side=1)
    padded = person_boxes(joints, None, (240, 320), pad=0.25, min_side=1)
    ratio = (padded[:, 2] - padded[:, 0]) / (tight[:, 2] - tight[:, 0])
    assert np.all(np.abs(ratio - 1.5) < 0.05)
    big = person_boxes(joints, None, (240, 320), pad=0.0, min_side=200)
    assert np.all(big[:, 2] - big[:, 0] >= 200)


def test_temporal_window_stabilises_side() -> None:
    joints = _walker()
    joints[5] = (joints[5] - joints[5].mean(0)) * 1.6 + joints[5].mean(0)  # one frame with a spread-out pose
    raw = person_boxes(joints, None, (240, 320), window=1, pad=0.0, min_side=1)
    smooth = person_boxes(joints, None, (240, 320), window=5, pad=0.0, min_side=1)
    side_raw, side_smooth = raw[:, 2] - raw[:, 0], smooth[:, 2] - smooth[:, 0]
    assert np.abs(np.diff(side_smooth)).max() < np.abs(np.diff(side_raw)).max()
    for t in range(11):  # still covering
        assert _inside(joints[t], smooth[t]) and _inside(joints[t + 1], smooth[t])


def test_invalid_joints_ignored_and_gaps_filled() -> None:
    joints = _walker()
    conf = np.ones(joints.shape[:2])
    reference = person_boxes(joints, conf, (240, 320), pad=0.0, min_side=1, window=1)
    outliers = joints.copy()
    outliers[3, 0] = [1000.0, -500.0]
    conf_out = conf.copy()
    conf_out[3, 0] = 0.0  # zero confidence: ignored
    outliers[4, 1] = np.nan  # NaN: ignored
    boxes = person_boxes(outliers, conf_out, (240, 320), pad=0.0, min_side=1, window=1)
    assert np.all(boxes[:, 2] < 400) and np.all(boxes[:, 1] > -100)
    # a frame without any valid joint takes its extent from its neighbours
    conf_gap = conf.copy()
    conf_gap[6] = 0.0
    gap = person_boxes(joints, conf_gap, (240, 320), pad=0.0, min_side=1, window=1)
    assert np.all(np.isfinite(gap))
    assert np.abs(gap[5:7] - reference[5:7]).max() <= 4  # joints 4 px/frame: interpolation is close


def test_keypoint_far_off_the_image_does_not_make_the_box_unbounded() -> None:
    joints = _walker()
    joints[5, 3] = [1e6, -1e6]  # an outlier, or a wrong camera
    boxes = person_boxes(joints, None, (240, 320), pad=0.25)
    assert np.abs(boxes).max() <= 3 * 320 * 1.5 + 320  # clipped to [-W, 2W] x [-H, 2H] before padding


def test_no_valid_joint_gives_whole_frame() -> None:
    joints = np.full((4, 17, 2), np.nan)
    boxes = person_boxes(joints, None, (240, 320))
    np.testing.assert_array_equal(boxes, np.tile([0, 0, 320, 240], (3, 1)))


def test_exceptions() -> None:
    with pytest.raises(ShapeError, match=r"joints2d must have shape \(T, J, 2\) with T >= 2"):
        person_boxes(np.zeros((1, 17, 2)), None, (10, 10))
    with pytest.raises(ShapeError, match="conf"):
        person_boxes(np.zeros((3, 17, 2)), np.ones((3, 16)), (10, 10))
    with pytest.raises(InputError, match="window >= 1"):
        person_boxes(np.zeros((3, 17, 2)), None, (10, 10), window=0)
