"""The flow stage: cached encoders, update-block-only fine-tuning, chosen pairs and warm starts."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest
import torch

from flowpose.config import get_preset
from flowpose.flow.classical import DISFlow
from flowpose.flow.encoded import EncodedVideo, encoded_video_flow, low_resolution_flow
from flowpose.flow.infer import compute_video_flow, plan_grids
from flowpose.flow.raft import raft_small
from flowpose.refinement.finetune import FinetuneConfig, finetune_encoded
from flowpose.refinement.flow_stage import FlowStage
from flowpose.refinement.loop import crop_boxes


def test_finetune_encoded_moves_only_the_update_block_and_lowers_the_loss(tiny_clip) -> None:
    torch.manual_seed(0)
    model = raft_small().eval()
    frames = tiny_clip.rendered.frames
    boxes = crop_boxes(tiny_clip.estimate, frames.shape[1:3], get_preset("fast"))
    origins, scales, size = plan_grids(boxes, 64, frames.shape[1:3], len(frames) - 1)
    cache = EncodedVideo(model, frames, origins, scales, size)
    flow, lows = encoded_video_flow(model, cache, iters=2)
    target = replace(flow, flow=flow.flow + 1.0, confidence=np.ones_like(flow.confidence))
    before = copy.deepcopy(model.state_dict())
    config = FinetuneConfig(lr=1e-3, epochs=6, iters=2, batch_size=4, warm_start=True)
    result = finetune_encoded(model, cache, target, config=config, flow_init=lows[0])
    assert result.steps == 12 and result.losses[-1] < result.losses[0]
    after = model.state_dict()
    for name, value in before.items():
        moved = not torch.equal(value, after[name])
        assert moved == name.startswith("update_block."), name if moved else f"{name} did not move"
    assert any(not torch.equal(before[n], after[n]) for n in before if n.startswith("update_block."))


@pytest.mark.slow
def test_flow_stage_caches_once_and_warm_starts(tiny_clip, monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = raft_small().eval()
    frames = tiny_clip.rendered.frames
    cfg = get_preset("fast")
    cfg = replace(cfg, flow=replace(cfg.flow, work_size=64, iters=2, warm_iters=1))
    boxes = crop_boxes(tiny_clip.estimate, frames.shape[1:3], cfg)
    made = []
    monkeypatch.setattr(
        "flowpose.refinement.flow_stage.EncodedVideo",
        lambda *a, **k: made.append(1) or EncodedVideo(*a, **k),
    )
    stage = FlowStage([model], frames, boxes, cfg)
    flow0 = stage.initial()
    conf = tiny_clip.estimate.confidence()
    flow1, seconds, losses = stage.cycle(tiny_clip.estimate, conf, flow0, seed=1)
    flow2, _, _ = stage.cycle(tiny_clip.estimate, conf, flow1, seed=2)
    assert len(made) == 1  # encoded once, reused by every cycle
    assert {"sketch", "finetune", "flow_inference"} <= set(seconds) and "finetune" in losses
    assert not np.array_equal(flow1.flow, flow0.flow) and not np.array_equal(flow2.flow, flow1.flow)


def test_long_videos_cache_in_float16_and_the_flow_barely_moves(tiny_clip) -> None:
    from flowpose.refinement.flow_stage import cache_dtype

    model = raft_small().eval()
    assert cache_dtype(model, 100, (128, 128)) == torch.float32  # every benchmark clip
    assert cache_dtype(model, 999, (128, 128)) == torch.float16  # 1,000 frames: 562 MB in float32
    frames = tiny_clip.rendered.frames
    boxes = crop_boxes(tiny_clip.estimate, frames.shape[1:3], get_preset("fast"))
    origins, scales, size = plan_grids(boxes, 64, frames.shape[1:3], len(frames) - 1)
    flows = [encoded_video_flow(model, EncodedVideo(model, frames, origins, scales, size, dtype=d), iters=3)[0]
             for d in (torch.float32, torch.float16)]
    assert 0 < np.abs(flows[0].flow - flows[1].flow).max() < 0.05 * max(1.0, np.abs(flows[0].flow).max())


def test_a_dis_start_runs_the_warm_iterations_from_dis_flow(tiny_clip) -> None:
    torch.manual_seed(0)
    model = raft_small().eval()
    frames = tiny_clip.rendered.frames
    cfg = get_preset("fast")
    cfg = replace(cfg, flow=replace(cfg.flow, work_size=64, iters=4, warm_iters=2, start="dis"))
    boxes = crop_boxes(tiny_clip.estimate, frames.shape[1:3], cfg)
    stage = FlowStage([model], frames, boxes, cfg)
    flow0 = stage.initial()

    dis = compute_video_flow(DISFlow(), frames, boxes=boxes, work_size=64, keep_backward=True)
    np.testing.assert_array_equal(stage.dis.flow, dis.flow)  # kept, for swap detection
    origins, scales, size = plan_grids(boxes, 64, frames.shape[1:3], len(frames) - 1)
    cache = EncodedVideo(model, frames, origins, scales, size)
    expected, _ = encoded_video_flow(model, cache, iters=2, flow_init=low_resolution_flow(dis, size))
    np.testing.assert_allclose(flow0.flow, expected.flow, atol=1e-4)
    cold, _ = encoded_video_flow(model, cache, iters=4)
    assert np.abs(flow0.flow - cold.flow).max() > 1e-2  # not the zero start


def test_the_zero_start_leaves_dis_alone(tiny_clip) -> None:
    model = raft_small().eval()
    frames = tiny_clip.rendered.frames
    cfg = get_preset("fast")
    assert cfg.flow.start == "dis"  # the fast preset's networks start from DIS
    cfg = replace(cfg, flow=replace(cfg.flow, work_size=64, iters=1, start="zero"))
    stage = FlowStage([model], frames, crop_boxes(tiny_clip.estimate, frames.shape[1:3], cfg), cfg)
    stage.initial()
    assert stage.dis is None
    dis = stage.dis_flow()  # swap detection asks for it: computed once, on the networks' crops
    assert stage.dis_flow() is dis and dis.flow.shape[1:3] == (64, 64) and dis.reverse is not None
