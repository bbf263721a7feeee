"""Tests for flowpose.io.datasets.sintel: MPI-Sintel's layout, and shared/'s human subset."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.io.datasets import load_sintel_pair, sintel_human_pairs
from flowpose.io.flo import write_flo
from tests.conftest import shared_path


def _sintel_tree(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    H, W = 8, 12
    rgb = [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(2)]
    flow = rng.normal(0, 2, (H, W, 2)).astype(np.float32)
    occ, inv = np.zeros((H, W), np.uint8), np.zeros((H, W), np.uint8)
    occ[:2], inv[:, :3] = 255, 255
    base = tmp_path / "MPI-Sintel" / "training"
    for sub in ("clean/alley_1", "final/alley_1", "flow/alley_1", "occlusions/alley_1", "invalid/alley_1"):
        (base / sub).mkdir(parents=True)
    for k, image in enumerate(rgb, start=1):
        for p in ("clean", "final"):
            cv2.imwrite(str(base / p / "alley_1" / f"frame_{k:04d}.png"), image[..., ::-1])  # cv2 writes BGR
    write_flo(base / "flow/alley_1/frame_0001.flo", flow)
    cv2.imwrite(str(base / "occlusions/alley_1/frame_0001.png"), occ)
    cv2.imwrite(str(base / "invalid/alley_1/frame_0001.png"), inv)
    return tmp_path / "MPI-Sintel", np.stack(rgb), flow, (occ == 0) & (inv == 0)


def test_sintel_pair_in_the_official_layout(tmp_path: Path) -> None:
    root, rgb, flow, valid = _sintel_tree(tmp_path)
    image1, image2, got_flow, got_valid = load_sintel_pair(root, "alley_1", 1, pass_="final")
    np.testing.assert_array_equal(image1, rgb[0])  # RGB, not OpenCV's BGR
    np.testing.assert_array_equal(image2, rgb[1])
    assert image1.dtype == np.uint8 and image1.shape == (8, 12, 3)
    np.testing.assert_array_equal(got_flow, flow)
    np.testing.assert_array_equal(got_valid, valid)
    assert got_valid.dtype == bool and got_valid.sum() == 6 * 9
    counted = load_sintel_pair(root, "alley_1", 1, count_occluded=True).valid
    assert counted.sum() == 8 * 9  # only the invalid columns are left out


def test_sintel_pair_without_flow_and_errors(tmp_path: Path) -> None:
    root, rgb, _, _ = _sintel_tree(tmp_path)
    test_dir = root / "test" / "clean" / "cave_3"
    test_dir.mkdir(parents=True)
    for k in (1, 2):
        cv2.imwrite(str(test_dir / f"frame_{k:04d}.png"), rgb[k - 1])
    pair = load_sintel_pair(root, "cave_3", 1, split="test")
    assert pair.flow is None and pair.valid is None
    with pytest.raises(InputError, match="no such Sintel scene"):
        load_sintel_pair(root, "bamboo_9", 1)
    with pytest.raises(InputError, match="frame_0003.png: no such image file"):
        load_sintel_pair(root, "alley_1", 2)
    with pytest.raises(InputError, match="pass_ must be one of"):
        load_sintel_pair(root, "alley_1", 1, pass_="albedo")
    broken = root / "training" / "clean" / "alley_1" / "frame_0002.png"
    broken.write_bytes(b"\x89PNG broken")
    with pytest.raises(InputError, match=f"{broken}: not a readable image"):
        load_sintel_pair(root, "alley_1", 1)


@pytest.mark.needs_shared
def test_shared_sintel_human_pairs() -> None:
    root = shared_path("data", "sintel_human")
    pairs = sintel_human_pairs(root, pass_="final")
    assert list(pairs) == [
        "alley_1/frame_0001", "alley_1/frame_0002", "alley_1/frame_0003", "cave_2/frame_0002",
        "market_5/frame_0002",
    ]
    for name, (image1, image2, flow, valid) in pairs.items():
        assert image1.shape == image2.shape == (436, 1024, 3) and flow.shape == (436, 1024, 2)
        assert (valid is None) == (name in ("alley_1/frame_0001", "alley_1/frame_0003"))
    # The flow is forward (frame t -> t+1): warping frame t+1 back by it matches frame t far better.
    image1, image2, flow, valid = pairs["cave_2/frame_0002"]
    assert 0.5 < valid.mean() < 1.0
    ys, xs = np.mgrid[:436, :1024].astype(np.float32)
    warped = cv2.remap(image2, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR).astype(float)
    assert np.abs(warped - image1)[valid].mean() < 0.5 * np.abs(image2.astype(float) - image1)[valid].mean()
