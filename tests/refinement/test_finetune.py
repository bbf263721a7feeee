"""Tests of the per-video flow fine-tuning (flowpose/refinement/finetune.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter
from torch import nn

from flowpose.errors import InputError, ShapeError
from flowpose.flow.crop import crop_to_grid
from flowpose.flow.field import FlowField
from flowpose.refinement.finetune import (
    FinetuneConfig,
    FinetuneResult,
    finetune_flow,
)

SHIFT = (3.0, -2.0)


class TinyFlow(nn.Module):
    """A stand-in flow network with the interface of the real ones: an encoder, then iterative updates."""

    trainable = True

    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(6, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.update = nn.Conv2d(10, 2, 3, padding=1)

    def forward(self, image1, image2, *, iters=12, flow_init=None):
        feat = self.enc(torch.cat([image1, image2], 1) / 255.0 - 0.5)
        flow = image1.new_zeros(image1.shape[0], 2, *image1.shape[2:]) if flow_init is None else flow_init
        out = []
        for _ in range(iters):
            flow = flow + self.update(torch.cat([feat, flow], 1))
            out.append(flow)
        return out


class ConstantFlow(nn.Module):
    """Predicts one learnable flow vector everywhere, and records what it was shown."""

    def __init__(self) -> None:
        super().__init__()
        self.flow = nn.Parameter(torch.zeros(2))
        self.seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, image1, image2, *, iters=12, flow_init=None):
        self.seen.append((image1.detach().clone(), image2.detach().clone()))
        out = self.flow[None, :, None, None].expand(image1.shape[0], 2, *image1.shape[2:])
        return [out] * iters


class LazyFrames:
    """A lazy frame sequence that counts reads."""

    def __init__(self, frames: np.ndarray) -> None:
        self.frames = frames
        self.reads = 0

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, t: int) -> np.ndarray:
        self.reads += 1
        return self.frames[t]


def textured_video(T: int = 3, size: int = 64, seed: int = 1) -> np.ndarray:
    """(T, size, size, 3) uint8 frames of a smooth periodic texture translating by SHIFT px per frame."""
    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 255, (size, size, 3)).astype(np.float32)
    tex = gaussian_filter(noise, sigma=(1.5, 1.5, 0), mode="wrap")
    tex = (tex - tex.min()) / (tex.max() - tex.min()) * 255
    frames = [np.roll(tex, (int(SHIFT[1]) * t, int(SHIFT[0]) * t), axis=(0, 1)) for t in range(T)]
    return np.stack(frames).astype(np.uint8)


def constant_target(P: int, shape=(64, 64), origin=(0.0, 0.0), scale=1.0, image_size=(64, 64), flow=SHIFT):
    h, w = shape
    return FlowField(
        np.broadcast_to(np.asarray(flow, np.float32), (P, h, w, 2)).copy(), np.ones((P, h, w), np.float32),
        np.tile(np.asarray(origin, np.float32), (P, 1)), np.full(P, scale, np.float32), image_size,
    )


def epe_to_shift(model: nn.Module, frames: np.ndarray, iters: int) -> float:
    model.eval()
    with torch.no_grad():
        img = torch.from_numpy(frames).float().permute(0, 3, 1, 2)
        pred = model(img[:-1], img[1:], iters=iters)[-1]
    target = torch.tensor(SHIFT)[None, :, None, None]
    return float((pred - target).norm(dim=1)[..., 8:-8, 8:-8].mean())


def test_finetuning_moves_the_prediction_toward_the_target():
    torch.manual_seed(0)
    model = TinyFlow()
    frames = textured_video(size=48)
    bn_mean = model.enc[1].running_mean.clone()
    before = epe_to_shift(model, frames, iters=3)
    cfg = FinetuneConfig(lr=3e-3, epochs=40, iters=3, batch_size=2, grad_clip=None)
    target = constant_target(2, shape=(48, 48), image_size=(48, 48))
    result = finetune_flow(model, frames, target, config=cfg)
    after = epe_to_shift(model, frames, iters=3)
    assert isinstance(result, FinetuneResult) and result.steps == 40 and len(result.losses) == 40
    assert result.losses[-1] < 0.5 * result.losses[0]
    assert after < 0.5 * before
    torch.testing.assert_close(model.enc[1].running_mean, bn_mean)  # BatchNorm kept in eval mode
    assert not model.training  # the caller's mode (eval, set by epe_to_shift) is restored
    assert all(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_target_is_learnt_in_grid_pixels(scale):
    # A flow of (3, -2) full-frame px is (3, -2) / scale grid px; a constant predictor must converge to it.
    model = ConstantFlow()
    target = constant_target(2, shape=(16, 16), origin=(10.0, 12.0), scale=scale)
    cfg = FinetuneConfig(lr=0.2, epochs=150, iters=2, batch_size=2, grad_clip=None)
    finetune_flow(model, textured_video(), target, config=cfg)
    np.testing.assert_allclose(model.flow.detach().numpy(), np.array(SHIFT) / scale, atol=0.05)


def test_model_sees_the_crops_of_frames_t_and_t_plus_1():
    frames = textured_video(T=3)
    model = ConstantFlow()
    origin, scale = (10.5, 4.0), 0.75
    target = constant_target(2, shape=(24, 32), origin=origin, scale=scale)
    finetune_flow(model, frames, target, config=FinetuneConfig(epochs=1, iters=1, batch_size=1))
    seen = {}
    for img1, img2 in model.seen:
        seen[float(img1.sum())] = (img1[0], img2[0])
    for t in range(2):
        c1 = crop_to_grid(frames[t], np.array(origin), scale, (24, 32))
        c2 = crop_to_grid(frames[t + 1], np.array(origin), scale, (24, 32))
        img1, img2 = seen[float(torch.from_numpy(c1).float().sum())]
        np.testing.assert_array_equal(img1.permute(1, 2, 0).numpy(), c1)
        np.testing.assert_array_equal(img2.permute(1, 2, 0).numpy(), c2)
        assert img1.shape == (3, 24, 32)


def test_same_seed_same_weights_and_caller_rng_untouched():
    frames = textured_video(T=4)
    cfg = FinetuneConfig(lr=1e-3, epochs=2, iters=2, batch_size=1)
    states = []
    for seed in (7, 7, 8):
        torch.manual_seed(0)
        model = TinyFlow()
        torch.manual_seed(123)
        finetune_flow(model, frames, constant_target(3), config=cfg, seed=seed)
        states.append({k: v.clone() for k, v in model.state_dict().items()})
        after = torch.rand(1)
        torch.manual_seed(123)
        assert torch.equal(after, torch.rand(1))  # fine-tuning did not consume the caller's RNG
    for k in states[0]:
        torch.testing.assert_close(states[0][k], states[1][k], rtol=0, atol=0)
    assert any(not torch.equal(states[0][k], states[2][k]) for k in states[0])  # another shuffling


@pytest.mark.parametrize("cache_mb", [512.0, 0.0])
def test_lazy_frame_sequence_gives_the_same_result(cache_mb):
    frames = textured_video(T=4)
    cfg = FinetuneConfig(lr=1e-3, epochs=2, iters=2, batch_size=2, crop_cache_mb=cache_mb)
    torch.manual_seed(0)
    eager, lazy = TinyFlow(), TinyFlow()
    lazy.load_state_dict(eager.state_dict())
    target = constant_target(3, shape=(32, 40), origin=(6.0, 9.0), scale=1.25)
    r1 = finetune_flow(eager, frames, target, config=cfg)
    source = LazyFrames(frames)
    r2 = finetune_flow(lazy, source, target, config=cfg)
    assert r1.losses == r2.losses
    for a, b in zip(eager.parameters(), lazy.parameters()):
        assert torch.equal(a, b)
    if cache_mb > 0:
        assert source.reads == 1 + 4  # the shape check, then one sequential pass


def test_non_trainable_backend_is_left_alone():
    class Classical(nn.Module):
        name = "dis"
        trainable = False

    result = finetune_flow(Classical(), textured_video(), constant_target(2))
    assert result.steps == 0 and result.losses == [] and "not trainable" in result.note


@pytest.mark.parametrize("cfg", [FinetuneConfig(epochs=0), FinetuneConfig(max_steps=0)])
def test_zero_steps_leave_the_network_unchanged(cfg):
    model = TinyFlow()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = finetune_flow(model, textured_video(), constant_target(2), config=cfg)
    assert result.steps == 0 and result.note
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])


def test_max_steps_and_freeze():
    model = TinyFlow()
    enc = [p.clone() for p in model.enc.parameters()]
    upd = [p.clone() for p in model.update.parameters()]
    cfg = FinetuneConfig(lr=1e-2, epochs=10, iters=2, batch_size=1, max_steps=3, freeze=("enc",))
    result = finetune_flow(model, textured_video(T=4), constant_target(3), config=cfg)
    assert result.steps == 3 and len(result.losses) == 1
    assert all(torch.equal(a, b) for a, b in zip(enc, model.enc.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(upd, model.update.parameters()))
    assert all(p.requires_grad for p in model.parameters())


def test_exceptions():
    frames = textured_video()
    model = TinyFlow()
    with pytest.raises(InputError, match=r"divisible by 8.*60 \(h\) and 64 \(w\)"):
        finetune_flow(model, frames, constant_target(2, shape=(60, 64)))
    with pytest.raises(InputError, match="expected T = 3 frames .* got 4"):
        finetune_flow(model, textured_video(T=4), constant_target(2))
    with pytest.raises(ShapeError, match=r"frames\[0\]"):
        finetune_flow(model, frames, constant_target(2, image_size=(64, 80)))
    with pytest.raises(InputError, match="'fnet' names no parameter.*'enc'"):
        finetune_flow(model, frames, constant_target(2), config=FinetuneConfig(freeze=("fnet",)))
    with pytest.raises(InputError, match="FinetuneConfig.lr"):
        FinetuneConfig(lr=0.0)
    with pytest.raises(InputError, match="FinetuneConfig.gamma"):
        FinetuneConfig(gamma=1.5)


def test_raft_small_finetunes_on_crops():
    raft = pytest.importorskip("flowpose.flow.raft")
    torch.manual_seed(0)
    model = raft.raft_small()
    fnet = [p.clone() for p in model.fnet.parameters()]
    update = [p.clone() for p in model.update_block.parameters()]
    frames = textured_video(T=3, size=96)
    target = constant_target(2, shape=(64, 64), origin=(10.0, 12.0), scale=1.0, image_size=(96, 96))
    cfg = FinetuneConfig(lr=1e-4, epochs=2, iters=2, batch_size=1, max_steps=2, freeze=("fnet",))
    result = finetune_flow(model, frames, target, config=cfg)
    assert result.steps == 2 and np.isfinite(result.losses).all()
    assert all(torch.equal(a, b) for a, b in zip(fnet, model.fnet.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(update, model.update_block.parameters()))
