"""How many videos a batch refines at once on this machine, so that together they fit in its memory.

Each of ``flowpose batch``'s worker processes refines one video at a time, and ``refine`` warns where one video's
refinement needs more memory than is available (:mod:`flowpose.refinement.memory`). Videos refined at once take
their memory together: four that each fit may not fit side by side, and the system's out-of-memory killer then
stops a worker with every video not done (:class:`flowpose.app.workers.WorkerLost`). Before it starts workers, a
batch foresees what each video will hold at its peak,

    bytes ~ WORKER_BASE + frames + max(undistorted, refinement),

the worker's libraries (:data:`WORKER_BASE_BYTES`), the video's frames where ``refine`` decodes them into memory
(:func:`flowpose.api.held_in_memory`), and the larger of their undistorted copy (poses with lens distortion: made
beside the recorded frames before the refinement, which then holds it alone; :func:`flowpose.lens.undistorted_frames`)
and the refinement's growth (:func:`flowpose.refinement.memory.refine_memory`). The batch runs as many videos at once
as the largest of them fit side by side in the memory available.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from torch import nn

from flowpose.api import held_in_memory
from flowpose.app.inputs import sidecar_poses_path
from flowpose.config import RefineConfig
from flowpose.errors import FlowposeError
from flowpose.io.poses import load_poses
from flowpose.io.video import open_video
from flowpose.refinement.memory import refine_memory

WORKER_BASE_BYTES = 270 * 2**20
"""A worker process's memory before its first video: Python, torch, OpenCV and flowpose imported (254 to 271 MB
resident, ``VmRSS`` after ``import flowpose.app.batch``, on this project's CPU machine). Against a batch of two 100-frame
1920 x 1088 videos with lens distortion, two at once: 1,465 MB foreseen a worker, 1,478 MB its measured peak
(``benchmarks/RESULTS.md``, forty-seventh session)."""


def video_need(
    video: Path, poses: Path | None, config: RefineConfig, models: Sequence[nn.Module], *, keep_flow: bool = True
) -> int | None:
    """The memory a worker holds at the peak of refining one video, bytes (module docstring); None where the
    video or its poses cannot be read (the video's own refinement then says why).

    Args:
        video: the video file or image folder.
        poses: its pose file; None for the sidecar ``VIDEO.poses.npz``.
        config: the batch's refinement configuration.
        models: the batch's flow backends (whether a network is fine-tuned, and its encoder cache, count).
        keep_flow: the refined flow is kept (to draw the overlay).
    """
    try:
        with open_video(video) as reader:
            num_frames, size = len(reader), tuple(reader.size)
        init = load_poses(poses if poses is not None else sidecar_poses_path(video))
        if init.num_frames != num_frames:  # refused by the refinement, with its message
            return None
        frames = num_frames * size[0] * size[1] * 3 if held_in_memory(num_frames, size) else 0
        undistorted = frames if init.dist is not None else 0  # made beside the recorded frames, then replaces them
        # "auto" parts are planned as the whole video: where it alone does not fit, one worker, which takes parts
        parts = None if config.part_frames == "auto" else config.part_frames
        growth = refine_memory(init, size, config, models, keep_flow=keep_flow).bytes(num_frames, parts)
        return WORKER_BASE_BYTES + frames + max(undistorted, growth)
    except (FlowposeError, OSError, ValueError):
        return None


def jobs_that_fit(needs: Sequence[int], jobs: int, available: int | None) -> int:
    """The most videos to refine at once, at most ``jobs``: the most whose largest ``needs`` fit side by side in
    ``available`` bytes; at least 1 (a video too large alone is warned of by its own refinement); ``jobs`` where
    the memory available is unknown.

    Example:
        >>> jobs_that_fit([3, 1, 2, 2], jobs=4, available=6)  # the three largest, 3 + 2 + 2, do not fit
        2
    """
    if available is None or jobs <= 1:
        return max(1, jobs)
    largest = sorted(needs, reverse=True)
    fit = 1
    while fit < min(jobs, len(largest)) and sum(largest[: fit + 1]) <= available:
        fit += 1
    return fit if largest else jobs


def fewer_jobs_note(needs: Sequence[int], jobs: int, fit: int, available: int) -> str:
    """What a batch says when it refines ``fit`` videos at once rather than ``jobs`` for lack of memory.

    Example:
        >>> fewer_jobs_note([3 * 2**30, 2**30, 2 * 2**30], jobs=3, fit=2, available=5 * 2**30)
        'memory: refining 3 of these videos at once may take about 6.0 GB, and 5.0 GB is available: refining 2 at once'
    """
    together = sum(sorted(needs, reverse=True)[:jobs])
    return (f"memory: refining {jobs} of these videos at once may take about {together / 2**30:.1f} GB, and "
            f"{available / 2**30:.1f} GB is available: refining {fit} at once")
