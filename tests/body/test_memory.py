"""Tests of flowpose.body.memory: the memory an SMPL refinement will take."""

from __future__ import annotations

import pytest

from flowpose.body.memory import KEPT_VERTEX_BYTES, SMPL_FRAME_BYTES, SMPL_VERTEX_BYTES, smpl_refine_memory
from flowpose.flow.classical import DISFlow
from flowpose.refinement.memory import DIS_BASE_BYTES, DIS_FIELDS, MemoryNeed, field_bytes, refine_memory
from tests.refinement.test_memory import DIS


def test_the_need_is_the_flow_s_and_the_pose_stage_s_with_its_vertices(tiny_clip) -> None:
    init, size = tiny_clip.estimate, (64, 64)
    need = smpl_refine_memory(init, size, DIS, [DISFlow()], 6890)
    flow = DIS_FIELDS * field_bytes((64, 64))
    assert need == MemoryNeed(DIS_BASE_BYTES, flow + SMPL_FRAME_BYTES + 6890 * SMPL_VERTEX_BYTES, 6890 * KEPT_VERTEX_BYTES)
    assert need.per_pair == refine_memory(init, size, DIS, [DISFlow()]).per_pair + SMPL_FRAME_BYTES + 6890 * SMPL_VERTEX_BYTES
    smplx = smpl_refine_memory(init, size, DIS, [DISFlow()], 10475)
    assert smplx.per_pair - need.per_pair == pytest.approx((10475 - 6890) * SMPL_VERTEX_BYTES)
    assert need.kept_per_pair == 6890 * 24  # in parts: the video's estimate and refined vertices, float32
    assert 1.65 * 2**20 < DIS_FIELDS * field_bytes((128, 128)) + SMPL_FRAME_BYTES + 6890 * SMPL_VERTEX_BYTES < 1.75 * 2**20
