"""The memory a refinement will take, estimated before it starts, and the warning where the machine has less.

Nearly all of a refinement's memory grows with the video's length: per frame pair, the flow on the pair's crop grid
(flow and confidence, 12 bytes a grid pixel), the copies and working arrays made of it (a flow field's worth each,
counted together as FIELDS fields) and, for a network, its cached encoder features
(:class:`~flowpose.flow.encoded.EncodedVideo`). So, beyond what the process already holds (the libraries, and the
frames where they are decoded into memory),

    bytes ~ BASE + P (FIELDS f + c),   f = 12 h w (one field on the h x w grid),  c = the encoder cache of a pair

with P = T - 1 pairs, FIELDS the fields' worth alive at the peak and BASE what does not grow with the video, both
measured (module constants, :data:`MEASURED`; ``benchmarks/bench_speed.py`` prints the estimate beside the measured
growth). The frames are not in it: a video small enough to be decoded into memory
(:func:`flowpose.api.held_in_memory`) is held before the estimate is made, and the memory available already
lacks it. A video too long for the memory available is told before the work, with the length that fits: a process
stopped for lack of memory (the system's out-of-memory killer) gets no chance to say anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from flowpose.config import RefineConfig
from flowpose.flow.encoded import can_encode
from flowpose.flow.infer import plan_grids
from flowpose.pose import PoseSequence

DIS_FIELDS = 2.16
"""Flow fields' worth alive per pair at the peak of a refinement with DIS (the default): the slope of the peak RSS's
growth, less the decoded frames (256 px: 0.19 MB a frame), 554 MB at 1,000 frames and 1,769 MB at 4,000 (0.41 MB a
frame: 2.2 fields of 192 KB on 128 px grids: the flow, and the pose stage's tensor of it)."""
DIS_BASE_BYTES = 150 * 2**20
"""The growth that does not depend on the video's length with DIS (the same two runs' intercept)."""
NETWORK_FIELDS = 6.2
"""The same with a flow network fine-tuned on the video (the sketch, its target and the network's own flow
besides), beyond its encoder cache: 934 MB at 150 frames and 1,720 MB at 450 (``--preset quality``: RAFT-small on
192 px grids, no cache; 2.6 MB a frame, 6.2 fields of 432 KB)."""
NETWORK_BASE_BYTES = 545 * 2**20
"""The growth that does not depend on the video's length when a network is fine-tuned (its training step's
activations; the same two runs' intercept)."""
MEASURED = ('python benchmarks/bench_speed.py --backends "" --memory-jobs refine --memory-frames N '
            '--refine-memory-cycles 1 [--preset quality]')
"""How the constants above were measured (``benchmarks/RESULTS.md``, forty-fifth session)."""

FIELD_BYTES_PER_PIXEL = 12
"""A flow field's bytes per grid pixel: (u, v) and the confidence, float32."""


def field_bytes(grid: tuple[int, int]) -> int:
    """Bytes of one pair's flow field on an (h, w) grid (flow and confidence, float32)."""
    return FIELD_BYTES_PER_PIXEL * int(grid[0]) * int(grid[1])


def cache_bytes(model: nn.Module, grid: tuple[int, int], num_pairs: int) -> int:
    """Bytes a pair of a network's encoder cache takes (:class:`~flowpose.flow.encoded.EncodedVideo`: the features
    of both frames and the context, at 1/8 of the grid, float16 when the whole cache would pass
    :data:`~flowpose.refinement.flow_stage.CACHE_FLOAT32_MB` in float32)."""
    from flowpose.refinement.flow_stage import cache_dtype  # the flow stage decides the cache's precision

    channels = 2 * (model.fnet.conv2.out_channels + model.hidden_dim + model.context_dim)
    itemsize = torch.empty(0, dtype=cache_dtype(model, num_pairs, grid)).element_size()
    return channels * (grid[0] // 8) * (grid[1] // 8) * itemsize


@dataclass(frozen=True)
class MemoryNeed:
    """What a refinement adds to the process's memory: ``base + pairs * per_pair`` bytes (module docstring).

    Attributes:
        base: bytes that do not grow with the video.
        per_pair: bytes per frame pair.
        kept_per_pair: bytes per pair of the whole video that a refinement in parts keeps beside a part's own
            (:mod:`flowpose.refinement.parts`: the joined flow, one field a pair, two with the backward flow; none
            where the flow is not kept).
    """

    base: float
    per_pair: float
    kept_per_pair: float = 0.0

    def bytes(self, num_frames: int, part_frames: int | None = None) -> int:
        """The growth for a video of ``num_frames`` frames (T - 1 pairs), bytes: refined whole, or in parts of
        ``part_frames`` frames where it is longer (a part's growth and the joined flow, where it is kept)."""
        if num_frames < 2:
            return 0
        if part_frames is None or num_frames <= part_frames:
            return int(self.base + (num_frames - 1) * self.per_pair)
        return int(self.base + (part_frames - 1) * self.per_pair + (num_frames - 1) * self.kept_per_pair)

    def frames_within(self, available: float) -> int:
        """The most frames whose refinement takes no more than ``available`` bytes (1 where none fits)."""
        return max(1, int((available - self.base) // self.per_pair) + 1) if self.per_pair > 0 else 1

    def part_frames_within(self, num_frames: int, available: float) -> int:
        """The longest parts in which ``num_frames`` frames are refined within ``available`` bytes (1 where none
        fits; ``num_frames`` where the whole video fits)."""
        if self.bytes(num_frames) <= available:
            return num_frames
        left = available - self.base - (num_frames - 1) * self.kept_per_pair
        return max(1, min(num_frames, int(left // self.per_pair) + 1)) if self.per_pair > 0 and left > 0 else 1


def refine_memory(
    init: PoseSequence,
    image_size: tuple[int, int],
    config: RefineConfig,
    models: Sequence[nn.Module],
    *,
    keep_flow: bool = True,
) -> MemoryNeed:
    """The memory a refinement of ``init``'s video will add to the process (module docstring).

    Args:
        init: the initial poses, T frames (they place the crops).
        image_size: (H, W) of the frames, px.
        config: the refinement's configuration (its crops and grid size, whether networks are fine-tuned).
        models: the flow backends.
        keep_flow: the refined flow is returned (in parts: joined, one field a pair of the whole video).
    """
    from flowpose.refinement.loop import crop_boxes  # the loop places the crops; this only foresees them

    tuned = config.finetune_flow and any(getattr(m, "trainable", False) for m in models)
    base = NETWORK_BASE_BYTES if tuned else DIS_BASE_BYTES
    P = init.num_frames - 1
    if P < 1:
        return MemoryNeed(base, 0.0)
    boxes = crop_boxes(init, image_size, config)
    work = config.flow.work_size if boxes is not None else None
    grid = plan_grids(boxes, work, image_size, P)[2]
    per_pair = (NETWORK_FIELDS if tuned else DIS_FIELDS) * field_bytes(grid)
    if boxes is not None and config.flow.cache_encoders:
        per_pair += sum(cache_bytes(m, grid, P) for m in models if can_encode(m))
    kept = (2 if config.pose.symmetric_flow else 1) * field_bytes(grid) if keep_flow else 0.0
    return MemoryNeed(base, per_pair, kept)


def auto_part_frames(need: MemoryNeed, num_frames: int, available: int | None, shortest: int) -> int | None:
    """``RefineConfig.part_frames="auto"`` made a length: None (the whole video) where it fits in ``available``
    bytes or the memory available is unknown, else the longest parts that fit, and never shorter than ``shortest``
    (3 x ``part_overlap``: where even those do not fit, :func:`memory_note` says so).

    Example:
        >>> need = MemoryNeed(base=150 * 2**20, per_pair=0.59 * 2**20)
        >>> auto_part_frames(need, 40000, 8 * 2**30, 90), auto_part_frames(need, 4000, 8 * 2**30, 90)
        (13631, None)
    """
    if available is None or need.bytes(num_frames) <= available:
        return None
    return max(shortest, need.part_frames_within(num_frames, available))


def available_memory_bytes(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """The memory the system can give without swapping (Linux's ``MemAvailable``), bytes; None where unknown."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def memory_note(
    source: str,
    num_frames: int,
    need: MemoryNeed,
    available: int | None,
    *,
    part_frames: int | None = None,
    shortest_part: int = 90,
    sliced_by: str = "PoseSequence.slice",
) -> str | None:
    """The warning for a refinement that needs more memory than is available, with the parts (or, where no parts
    fit, the segments) that fit; None where it fits or the available memory is unknown.

    Args:
        source: names the video.
        num_frames: T.
        need: :func:`refine_memory`.
        available: :func:`available_memory_bytes`.
        part_frames: the refinement's parts (``RefineConfig.part_frames``), or None.
        shortest_part: the shortest parts that may be asked for (3 x ``RefineConfig.part_overlap``).
        sliced_by: what cuts the input to a segment in Python (told beside ``VideoReader.segment``).

    Example:
        >>> need = MemoryNeed(base=150 * 2**20, per_pair=0.59 * 2**20, kept_per_pair=0.19 * 2**20)
        >>> memory_note("long.mp4", 40000, need, 8 * 2**30)  # doctest: +NORMALIZE_WHITESPACE
        'long.mp4: refining its 40000 frames takes about 23.2 GB more memory, and 8.0 GB is available: it may be
        stopped for lack of memory; refine it in parts of up to about 700 frames (--part-frames N or auto; in Python,
        RefineConfig.part_frames)'
    """
    parted = part_frames is not None and num_frames > part_frames
    needed = need.bytes(num_frames, part_frames)
    if available is None or needed <= available:
        return None
    told = (f"{source}: refining its {num_frames} frames{f' in parts of {part_frames}' if parted else ''} takes "
            f"about {needed / 2**30:.1f} GB more memory, and {available / 2**30:.1f} GB is available: it may be "
            "stopped for lack of memory; ")
    part = need.part_frames_within(num_frames, available)
    if part >= shortest_part:
        return told + (f"refine it in parts of up to about {_rounded(part)} frames (--part-frames N or auto; in Python, "
                       "RefineConfig.part_frames)")
    fit = need.frames_within(available)
    if fit < 2:
        return told + "close other programs, or refine it on a machine with more memory"
    return told + (f"refine it in segments of up to about {_rounded(fit)} frames (--start S --frames N; in Python, "
                   f"VideoReader.segment with {sliced_by})")


def _rounded(frames: int) -> int:
    """A frame count as told: down to hundreds from 200 on."""
    return frames // 100 * 100 if frames >= 200 else frames
