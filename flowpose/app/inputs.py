"""The inputs of a video's refinement: its pose file by name, the segment of frames used, sanity checks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from flowpose.camera import project_np
from flowpose.errors import InputError
from flowpose.io.groundtruth import GroundTruth
from flowpose.pose import PoseSequence

POSES_SIDECAR_SUFFIX = ".poses.npz"
"""``x/video.mp4`` has its poses in ``x/video.poses.npz`` (and a frame folder ``x/frames`` in
``x/frames.poses.npz``), as ``flowpose synth`` writes them."""


def sidecar_poses_path(video: str | os.PathLike[str]) -> Path:
    """The pose file that belongs to a video by name: the video's path with its suffix replaced by
    ``.poses.npz`` (a folder's name gets ``.poses.npz`` appended). Whether it exists is the caller's
    concern."""
    v = Path(video)
    base = v.name if v.is_dir() else v.stem
    return v.with_name(base + POSES_SIDECAR_SUFFIX)


def check_observed(poses: PoseSequence, source: str) -> None:
    """Refuse poses with no usable joint at all (every joint NaN or of confidence 0).

    Raises:
        InputError: naming ``source``.
    """
    if not (poses.confidence() > 0).any():
        raise InputError(
            f"{source}: no observed joint in any of its {poses.num_frames} frames "
            "(every joint is NaN or has confidence 0)"
        )


def off_image_note(poses: PoseSequence, image_size: tuple[int, int], source: str) -> str | None:
    """A warning for poses whose 2D (their keypoints, else their projection) misses the image in most frames:
    the pose file's camera is not the video's, or the poses are of another video. None when at least half the
    frames with an observed joint have one inside the image.

    Args:
        poses: the initial poses.
        image_size: (H, W) of the video, px.
        source: the pose file, for the message.
    """
    H, W = image_size
    x2d = poses.joints2d if poses.joints2d is not None else project_np(poses.joints3d, poses.K_per_frame())
    observed = (poses.confidence() > 0) & np.isfinite(x2d).all(-1)
    with np.errstate(invalid="ignore"):
        inside = observed & (x2d[..., 0] >= -0.5) & (x2d[..., 0] < W - 0.5) & (x2d[..., 1] >= -0.5) & (
            x2d[..., 1] < H - 0.5)
    seen, missed = int(observed.any(1).sum()), int((observed.any(1) & ~inside.any(1)).sum())
    if missed * 2 <= seen:
        return None
    return (f"warning: {source}: in {missed} of its {seen} frames no joint lies inside the {W}x{H} image; is its "
            "camera (K) the video's? (--intrinsics, --focal-px)")


def select_frames(
    poses: PoseSequence, video_frames: int, start: int, stop: int, *, poses_source: str, video_source: str
) -> PoseSequence:
    """The poses of frames ``[start, stop)`` of a video of ``video_frames`` frames.

    Poses may cover the whole video (they are cut to the segment) or exactly the segment already (as
    ``flowpose estimate --start/--frames`` writes them); any other length is refused.

    Raises:
        InputError: for a frame count matching neither, naming both files.
    """
    n = stop - start
    if poses.num_frames == video_frames:
        return poses if (start, stop) == (0, video_frames) else poses.slice(start, stop)
    if poses.num_frames == n:
        return poses
    segment = "" if n == video_frames else f" (or the {n} frames of the selected segment)"
    raise InputError(
        f"{poses_source}: has {poses.num_frames} frames but {video_source} has {video_frames}"
        f"{segment}; poses and video must match frame for frame"
    )


def select_gt_frames(
    gt: GroundTruth, video_frames: int, start: int, stop: int, *, source: str
) -> GroundTruth:
    """Ground truth of frames ``[start, stop)``; it must cover the whole video (``video_frames`` frames).

    Raises:
        InputError: for ground truth of another length, naming ``source``.
    """
    if gt.num_frames != video_frames:
        raise InputError(
            f"{source}: ground truth has {gt.num_frames} frames but the video has {video_frames}"
        )
    if (start, stop) == (0, video_frames):
        return gt
    return GroundTruth(
        joints3d=gt.joints3d[start:stop],
        joints2d=gt.joints2d[start:stop],
        K=gt.K if gt.K.ndim == 2 else gt.K[start:stop],
        flow=gt.flow[start : stop - 1],
        flow_valid=gt.flow_valid[start : stop - 1],
        human_mask=gt.human_mask[start:stop],
        fps=gt.fps,
        skeleton=gt.skeleton,
    )


def segment(total: int, start: int, num_frames: int | None, video: str | os.PathLike[str]) -> tuple[int, int]:
    """[start, stop) of the frames used (``--start``, ``--frames``), checked against the video's ``total``.

    Raises:
        InputError: for a start outside the video or a frame count below 1.
    """
    if not 0 <= start < total:
        raise InputError(f"--start {start}: {video} has {total} frames (0 to {total - 1})")
    if num_frames is not None and num_frames < 1:
        raise InputError(f"--frames must be >= 1, got {num_frames}")
    return start, total if num_frames is None else min(total, start + num_frames)
