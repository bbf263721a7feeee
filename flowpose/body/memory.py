"""The memory an SMPL refinement will take (``refine --smpl``), foreseen before it starts.

As for joints (:mod:`flowpose.refinement.memory`), nearly all of it grows with the video's length: the flow of each
frame pair (foreseen as the joints' refinement foresees it) and, per frame, what the SMPL pose stage holds: the
backward flow the mesh term reads, the flow-free fit each cycle's flow is assessed against, and the solve's posed
and skinned model, in part per vertex:

    bytes ~ BASE + (T - 1) (flow per pair + SMPL_FRAME_BYTES + SMPL_VERTEX_BYTES V [+ SMPLX_FRAME_BYTES])

with V the model's vertices: about 2 MB a frame for SMPL with DIS (10,000 frames: 19 GB), 2.5 for SMPL-X. The
constants were measured on the generated stand-in model (:mod:`flowpose.body.standin`): SMPL's at 744 and 6,816
vertices (SMPL has 6,890), 150 and 600 frames; SMPL-X's at 10,808 (SMPL-X has 10,475), 600 and 1,200 frames
(:data:`MEASURED`).

Refined in parts (``RefineConfig.part_frames``, :mod:`flowpose.body.parts`), a part's growth is the same formula at
its length; beside it the whole video's estimate and refined vertices are kept (:data:`KEPT_VERTEX_BYTES`).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from flowpose.body.layouts import SMPL, SMPLX, BodyLayout
from flowpose.config import RefineConfig
from flowpose.pose import PoseSequence
from flowpose.refinement.memory import MemoryNeed, refine_memory

SMPL_FRAME_BYTES = 0.75 * 2**20
"""Bytes per frame the SMPL pose stage holds beyond the joints' refinement's flow, whatever the model's size: the
peak RSS grew 1.242 MB a frame at 744 vertices and 1.936 at 6,816 (150 to 600 frames, DIS on 128 px grids, whose flow
is foreseen at 0.407 MB a pair), so 1.157 MB a frame and 120 bytes a vertex."""
SMPL_VERTEX_BYTES = 120.0
"""Bytes per frame and vertex of the model the SMPL pose stage holds (the same runs: SMPL's 6,890 vertices add 0.79 MB
a frame, SMPL-X's 10,475 1.20 MB)."""
SMPLX_FRAME_BYTES = 0.15 * 2**20
"""Bytes per frame an SMPL-X refinement holds beyond what its vertices foresee by the two constants above (its 55
joints' transforms; its face and hands, held as the estimate gave them): the peak RSS grew 2.54 MB a frame from 600
to 1,200 frames at 10,808 vertices, 0.15 more than those foresee. Measured at one size only."""
KEPT_VERTEX_BYTES = 2 * 3 * 4
"""Bytes per frame and vertex kept for the whole video beside a part's refinement: the estimate's and the refined
vertices, float32 (the joined flow is not kept)."""
MEASURED = ("python benchmarks/bench_speed.py --backends '' --memory-jobs smpl --memory-frames N "
            "--smpl-rings R [--smpl-layout smplx]  (SMPL: N 150 and 600, R 3 and 36, 744 and 6,816 vertices; "
            "SMPL-X: N 600 and 1,200, R 24, 10,808 vertices)")
"""How the constants above were measured (``benchmarks/RESULTS.md``, fifty-second session)."""


def smpl_refine_memory(
    poses: PoseSequence, image_size: tuple[int, int], config: RefineConfig, models: Sequence[nn.Module],
    num_vertices: int,
    layout: BodyLayout = SMPL,
) -> MemoryNeed:
    """The memory an SMPL refinement of a video will add to the process (module docstring).

    Args:
        poses: the model's joints over the video, T frames (they place the crops).
        image_size: (H, W) of the frames, px.
        config: the refinement's configuration (the flow's crops and grid, whether networks are fine-tuned).
        models: the flow backends.
        num_vertices: V, the body model's vertices.
        layout: the model's, :data:`~flowpose.body.layouts.SMPL` or :data:`~flowpose.body.layouts.SMPLX`.
    """
    flow = refine_memory(poses, image_size, config, models, keep_flow=False)
    extra = SMPLX_FRAME_BYTES if layout is SMPLX else 0.0
    return MemoryNeed(flow.base, flow.per_pair + SMPL_FRAME_BYTES + SMPL_VERTEX_BYTES * num_vertices + extra,
                      KEPT_VERTEX_BYTES * num_vertices)
