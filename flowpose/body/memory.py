"""The memory an SMPL refinement will take (``refine --smpl``), foreseen before it starts.

As for joints (:mod:`flowpose.refinement.memory`), nearly all of it grows with the video's length: the flow of each
frame pair (foreseen as the joints' refinement foresees it) and, per frame, what the SMPL pose stage holds: the
backward flow the mesh term reads, the flow-free fit each cycle's flow is assessed against, and the solve's posed
and skinned model, in part per vertex:

    bytes ~ BASE + (T - 1) (flow per pair + SMPL_FRAME_BYTES + SMPL_VERTEX_BYTES V)

with V the model's vertices: about 1.7 MB a frame for SMPL with DIS (10,000 frames: 16 GB), 1.9 for SMPL-X. The
constants were measured on the generated stand-in model (:mod:`flowpose.body.standin`), SMPL's at 744 and 6,816
vertices (SMPL has 6,890), 150 and 600 frames, and checked on SMPL-X's at 10,808 (SMPL-X has 10,475), 600 and 1,200
frames, which grew 1.78 MB a frame, less than these foresee for its vertices (1.95): since the blend of its
skinning holds one array going forward (:mod:`flowpose.body.skinning`), SMPL-X needs nothing of its own (it needed
0.15 MB a frame more before) (:data:`MEASURED`).

Refined in parts (``RefineConfig.part_frames``, :mod:`flowpose.body.parts`), a part's growth is the same formula at
its length; beside it the whole video's estimate and refined vertices are kept (:data:`KEPT_VERTEX_BYTES`).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from flowpose.config import RefineConfig
from flowpose.pose import PoseSequence
from flowpose.refinement.memory import MemoryNeed, refine_memory

SMPL_FRAME_BYTES = 0.82 * 2**20
"""Bytes per frame the SMPL pose stage holds beyond the joints' refinement's flow, whatever the model's size: the
peak RSS grew 1.271 MB a frame at 744 vertices and 1.673 at 6,816 (150 to 600 frames, DIS on 128 px grids, whose flow
is foreseen at 0.407 MB a pair), so 1.222 MB a frame and 70 bytes a vertex."""
SMPL_VERTEX_BYTES = 70.0
"""Bytes per frame and vertex of the model the SMPL pose stage holds (the same runs: SMPL's 6,890 vertices add 0.46 MB
a frame, SMPL-X's 10,475 0.70 MB)."""
KEPT_VERTEX_BYTES = 2 * 3 * 4
"""Bytes per frame and vertex kept for the whole video beside a part's refinement: the estimate's and the refined
vertices, float32 (the joined flow is not kept)."""
MEASURED = ("python benchmarks/bench_speed.py --backends '' --memory-jobs smpl --memory-frames N "
            "--smpl-rings R [--smpl-layout smplx]  (SMPL: N 150 and 600, R 3 and 36, 744 and 6,816 vertices; "
            "SMPL-X: N 600 and 1,200, R 24, 10,808 vertices)")
"""How the constants above were measured (``benchmarks/RESULTS.md``, fifty-eighth session; first fifty-second)."""


def smpl_refine_memory(
    poses: PoseSequence, image_size: tuple[int, int], config: RefineConfig, models: Sequence[nn.Module],
    num_vertices: int,
) -> MemoryNeed:
    """The memory an SMPL refinement of a video will add to the process (module docstring).

    Args:
        poses: the model's joints over the video, T frames (they place the crops).
        image_size: (H, W) of the frames, px.
        config: the refinement's configuration (the flow's crops and grid, whether networks are fine-tuned).
        models: the flow backends.
        num_vertices: V, the body model's vertices (SMPL's or SMPL-X's: their joints' share is within the
            constants).
    """
    flow = refine_memory(poses, image_size, config, models, keep_flow=False)
    return MemoryNeed(flow.base, flow.per_pair + SMPL_FRAME_BYTES + SMPL_VERTEX_BYTES * num_vertices,
                      KEPT_VERTEX_BYTES * num_vertices)
