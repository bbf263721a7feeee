"""DIS optical flow behind the flow-network interface."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from flowpose.errors import InputError, ShapeError
from flowpose.flow.classical import DIS_PRESETS, DISFlow, rgb_to_gray_u8
from tests.flow.texture import sinusoid_texture


def _pair(shift: tuple[float, float], size: int = 96) -> tuple[torch.Tensor, torch.Tensor]:
    a = sinusoid_texture(size, size)
    b = sinusoid_texture(size, size, shift)
    to_t = lambda im: torch.from_numpy(im).permute(2, 0, 1)[None].float()  # noqa: E731
    return to_t(a), to_t(b)


@pytest.mark.parametrize("preset", list(DIS_PRESETS))
def test_recovers_translation_in_interior(preset: str) -> None:
    shift = (2.5, -1.5)
    i1, i2 = _pair(shift)
    flow = DISFlow(preset).predict(i1, i2)
    interior = flow[0, :, 16:-16, 16:-16]
    assert torch.allclose(interior[0], torch.tensor(2.5), atol=0.5)
    assert torch.allclose(interior[1], torch.tensor(-1.5), atol=0.5)


def test_the_default_is_subpixel_accurate_on_average() -> None:
    i1, i2 = _pair((1.25, 0.75))
    flow = DISFlow().predict(i1, i2)[0, :, 16:-16, 16:-16].mean((1, 2))
    assert torch.allclose(flow, torch.tensor([1.25, 0.75]), atol=0.1)


def test_fine_searches_at_the_crop_s_own_resolution() -> None:
    """On a small image with pixel-scale texture (a limb on a 128 px crop), "fine" (the default) beats OpenCV's
    "medium", whose patch search stops at half resolution."""
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.uniform(0, 255, (80, 80)).astype(np.float32), (0, 0), 0.8)
    shift = (1.5, -1.0)
    moved = cv2.warpAffine(base, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]), (80, 80),
                           flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    to_t = lambda im: torch.from_numpy(np.repeat(im[8:72, 8:72, None], 3, -1)).permute(2, 0, 1)[None]  # noqa: E731
    errors = {}
    for preset in ("medium", "fine"):
        flow = DISFlow(preset).predict(to_t(base), to_t(moved))[0, :, 12:-12, 12:-12].numpy()
        errors[preset] = float(np.hypot(flow[0] - shift[0], flow[1] - shift[1]).mean())
    assert DISFlow().preset == "fine"
    assert errors["fine"] < 0.5 * errors["medium"] and errors["fine"] < 0.02


def test_interface_batch_shape_device_and_iters_ignored() -> None:
    i1, i2 = _pair((1.0, 0.0), size=48)
    dis = DISFlow()
    assert dis.name == "dis" and dis.trainable is False
    batch1, batch2 = torch.cat([i1, i2]), torch.cat([i2, i1])
    out = dis.predict(batch1, batch2, iters=3)
    assert out.shape == (2, 2, 48, 48) and out.dtype == torch.float32
    assert torch.equal(out, dis.predict(batch1, batch2, iters=30))
    assert torch.equal(out, dis(batch1, batch2))
    # the reverse pair moves the other way
    assert out[0, 0, 12:-12, 12:-12].mean() > 0.5 and out[1, 0, 12:-12, 12:-12].mean() < -0.5
    assert list(dis.parameters()) == [] and not dis.eval().training


def test_gray_conversion_bt601() -> None:
    img = torch.zeros(3, 1, 3)
    img[:, 0, 0] = torch.tensor([255.0, 0, 0])
    img[:, 0, 1] = torch.tensor([0, 255.0, 0])
    img[:, 0, 2] = torch.tensor([300.0, 300.0, 300.0])  # clipped to white
    gray = rgb_to_gray_u8(img)
    assert gray.dtype == np.uint8
    assert gray[0].tolist() == [76, 150, 255]  # round(0.299*255), round(0.587*255)


def test_exceptions() -> None:
    with pytest.raises(InputError, match="preset must be one of"):
        DISFlow("slow")
    dis = DISFlow()
    with pytest.raises(ShapeError, match=r"\(N, 3, H, W\)"):
        dis.predict(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))
    with pytest.raises(ShapeError, match="image2"):
        dis.predict(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9))
