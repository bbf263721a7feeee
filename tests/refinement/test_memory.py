"""Tests of flowpose.refinement.memory: the memory a refinement will take, and the warning before it starts."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import flowpose
from flowpose.config import FlowConfig, RefineConfig, get_preset
from flowpose.errors import InputError, MemoryNoteWarning
from flowpose.flow.classical import DISFlow
from flowpose.flow.raft import raft_small
from flowpose.refinement.loop import crop_boxes
from flowpose.refinement.memory import (
    DIS_BASE_BYTES,
    DIS_FIELDS,
    NETWORK_BASE_BYTES,
    NETWORK_FIELDS,
    MemoryNeed,
    auto_part_frames,
    available_memory_bytes,
    cache_bytes,
    field_bytes,
    memory_note,
    refine_memory,
)
from flowpose.refinement.pose_config import PoseStageConfig

DIS = RefineConfig(cycles=1, flow=FlowConfig(names=("dis",), weights=(None,), work_size=64),
                   pose=PoseStageConfig(max_steps=30))
MB = 2**20


def test_a_field_is_flow_and_confidence_in_float32() -> None:
    assert field_bytes((128, 128)) == 128 * 128 * 3 * 4


def test_a_need_grows_with_the_pairs_and_says_what_fits() -> None:
    need = MemoryNeed(base=100 * MB, per_pair=2 * MB)
    assert need.bytes(1) == 0 and need.bytes(2) == 102 * MB and need.bytes(51) == 200 * MB
    assert need.frames_within(200 * MB) == 51 and need.frames_within(201.9 * MB) == 51  # 50 pairs
    assert need.bytes(need.frames_within(555 * MB)) <= 555 * MB < need.bytes(need.frames_within(555 * MB) + 1)
    assert need.frames_within(50 * MB) == 1  # not even the fixed part


def test_the_need_of_a_refinement_with_dis(tiny_clip) -> None:
    init, size = tiny_clip.estimate, (64, 64)
    assert crop_boxes(init, size, DIS) is not None
    field = field_bytes((64, 64))
    assert refine_memory(init, size, DIS, [DISFlow()]) == MemoryNeed(DIS_BASE_BYTES, DIS_FIELDS * field, field)
    symmetric = replace(DIS, pose=replace(DIS.pose, symmetric_flow=True))  # parts keep its backward flow too
    assert refine_memory(init, size, symmetric, [DISFlow()]).kept_per_pair == 2 * field
    wider = replace(DIS, flow=replace(DIS.flow, work_size=128))
    assert refine_memory(init, size, wider, [DISFlow()]).per_pair == DIS_FIELDS * field_bytes((128, 128))
    assert refine_memory(init.slice(0, 1), size, DIS, [DISFlow()]).bytes(1) == 0  # one frame: no pair


def test_a_network_adds_its_fine_tuning_and_encoder_cache(tiny_clip) -> None:
    init, size = tiny_clip.estimate, (64, 64)
    quality = replace(get_preset("quality"), flow=replace(get_preset("quality").flow, work_size=64))
    model = raft_small()
    per_pair = cache_bytes(model, (64, 64), 7)
    # Features of both frames and the context at 1/8 of the grid, float32 for a cache this small.
    assert per_pair == 2 * (model.fnet.conv2.out_channels + model.hidden_dim + model.context_dim) * 8 * 8 * 4
    assert quality.finetune_flow and not quality.flow.cache_encoders
    field = field_bytes((64, 64))
    tuned = MemoryNeed(NETWORK_BASE_BYTES, NETWORK_FIELDS * field, field)
    assert refine_memory(init, size, quality, [model]) == tuned
    cached = replace(quality, flow=replace(quality.flow, cache_encoders=True))  # the fast preset's way with a network
    assert refine_memory(init, size, cached, [model]) == MemoryNeed(tuned.base, tuned.per_pair + per_pair, field)
    untuned = replace(quality, finetune_flow=False)
    assert refine_memory(init, size, untuned, [model]) == MemoryNeed(DIS_BASE_BYTES, DIS_FIELDS * field, field)
    assert refine_memory(init, size, quality, [DISFlow()]).base == DIS_BASE_BYTES  # DIS is never fine-tuned


def test_available_memory_is_read_from_meminfo(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   12000000 kB\n")
    assert available_memory_bytes(meminfo) == 12000000 * 1024
    meminfo.write_text("MemTotal:       24000000 kB\n")  # an old kernel without the field
    assert available_memory_bytes(meminfo) is None
    assert available_memory_bytes(tmp_path / "absent") is None


def test_the_note_tells_what_fits_only_where_it_does_not() -> None:
    GB = 2**30
    need = MemoryNeed(base=0.5 * GB, per_pair=0.5 * MB)
    assert memory_note("v.mp4", 1000, need, 2 * GB) is None
    assert memory_note("v.mp4", 100000, need, None) is None  # unknown: nothing said
    note = memory_note("v.mp4", 40000, need, 5 * GB)
    assert note == ("v.mp4: refining its 40000 frames takes about 20.0 GB more memory, and 5.0 GB is available: it may "
                    "be stopped for lack of memory; refine it in parts of up to about 9200 frames (--part-frames N or auto; in "
                    "Python, RefineConfig.part_frames)")  # (5 - 0.5) GB / 0.5 MB = 9216 pairs
    assert need.bytes(9200) <= 5 * GB
    assert memory_note("v.mp4", 300, need, 0.55 * GB).endswith(
        "refine it in parts of up to about 103 frames (--part-frames N or auto; in Python, RefineConfig.part_frames)")
    assert memory_note("v.mp4", 300, need, 0.55 * GB, shortest_part=120).endswith(  # parts too short: segments
        "refine it in segments of up to about 103 frames (--start S --frames N; in Python, VideoReader.segment with "
        "PoseSequence.slice)")
    smpl = memory_note("v.mp4", 300, need, 0.55 * GB, shortest_part=120, sliced_by="SmplSequence.frames")
    assert smpl.endswith("refine it in segments of up to about 103 frames (--start S --frames N; in Python, "
                         "VideoReader.segment with SmplSequence.frames)")  # what cuts an SMPL sequence
    assert memory_note("v.mp4", 300, need, 0.4 * GB).endswith(
        "0.4 GB is available: it may be stopped for lack of memory; close other programs, or refine it on a machine "
        "with more memory")


def test_parts_need_a_part_and_the_joined_flow() -> None:
    GB = 2**30
    need = MemoryNeed(base=0.5 * GB, per_pair=2 * MB, kept_per_pair=0.5 * MB)
    assert need.bytes(1000, part_frames=1000) == need.bytes(1000)  # no longer than a part: whole
    assert need.bytes(4001, part_frames=1001) == 0.5 * GB + 1000 * 2 * MB + 4000 * 0.5 * MB
    assert need.part_frames_within(4001, 10 * GB) == 4001  # the whole video fits
    parts = need.part_frames_within(4001, 3 * GB)  # (3 GB - 0.5 GB - 2000 MB) / 2 MB = 280 pairs
    assert parts == 281 and need.bytes(4001, parts) <= 3 * GB < need.bytes(4001, parts + 1)
    assert need.part_frames_within(4001, 2 * GB) == 1  # the joined flow alone does not fit
    note = memory_note("v.mp4", 4001, need, 3 * GB, part_frames=1001)
    assert note == ("v.mp4: refining its 4001 frames in parts of 1001 takes about 4.4 GB more memory, and 3.0 GB is "
                    "available: it may be stopped for lack of memory; refine it in parts of up to about 200 frames "
                    "(--part-frames N or auto; in Python, RefineConfig.part_frames)")
    assert memory_note("v.mp4", 4001, need, 5 * GB, part_frames=1001) is None


def test_auto_parts_are_the_longest_that_fit_and_none_where_the_video_does() -> None:
    GB = 2**30
    need = MemoryNeed(base=0.5 * GB, per_pair=2 * MB, kept_per_pair=0.5 * MB)
    assert auto_part_frames(need, 4001, 10 * GB, 90) is None and auto_part_frames(need, 4001, None, 90) is None
    assert auto_part_frames(need, 4001, 3 * GB, 90) == 281 == need.part_frames_within(4001, 3 * GB)
    assert auto_part_frames(need, 4001, 2.1 * GB, 90) == 90  # nothing fits: the shortest parts (and the note says so)


def test_refine_takes_auto_parts_where_the_memory_needs_them(tiny_clip, monkeypatch) -> None:
    init, frames = tiny_clip.estimate, tiny_clip.rendered.frames  # 8 frames
    auto = replace(DIS, part_frames="auto", part_overlap=2)
    whole = flowpose.refine(init, frames, config=auto)
    assert whole.part_frames is None
    need = refine_memory(init, (64, 64), auto, [DISFlow()], keep_flow=False)  # (8 frames: the joined flow outweighs)
    monkeypatch.setattr("flowpose.api.available_memory_bytes", lambda: need.bytes(8, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("error", MemoryNoteWarning)  # the parts fit: nothing to warn of
        parted = flowpose.refine(init, frames, config=auto, keep_flow=False)
    assert parted.part_frames == 6 and parted.poses.num_frames == 8
    with pytest.raises(InputError, match="part_frames must be a number of frames, 'auto' or None, got 'some'"):
        replace(DIS, part_frames="some")


def test_parts_that_keep_no_flow_need_a_part_alone(tiny_clip) -> None:
    init, size, models = tiny_clip.estimate, (64, 64), [DISFlow()]
    kept, dropped = (refine_memory(init, size, DIS, models, keep_flow=k) for k in (True, False))
    assert dropped == replace(kept, kept_per_pair=0.0) and kept.kept_per_pair > 0
    assert dropped.bytes(4001, part_frames=1001) == kept.bytes(1001) < kept.bytes(4001, part_frames=1001)
    assert dropped.bytes(4001) == kept.bytes(4001)  # refined whole, the flow is made all the same


def test_refine_warns_before_the_work_and_still_refines(tiny_clip, monkeypatch) -> None:
    monkeypatch.setattr("flowpose.api.available_memory_bytes", lambda: 1000)
    with pytest.warns(MemoryNoteWarning, match=r"^frames: refining its 8 frames takes about 0\.1 GB more memory, and "
                                               r"0\.0 GB is available: it may be stopped for lack of memory; close "
                                               r"other programs"):
        result = flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=DIS)
    assert np.isfinite(result.poses.joints3d).all()
    monkeypatch.setattr("flowpose.api.available_memory_bytes", lambda: 2**40)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MemoryNoteWarning)
        flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=DIS)  # fits: nothing said
