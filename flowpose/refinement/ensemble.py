"""Ensembles (the BMVC 2022 work's table): several initial pose sources averaged, several flow networks averaged."""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from flowpose.errors import InputError
from flowpose.flow.field import FlowField
from flowpose.lens import lens_text, same_lens
from flowpose.pose import PoseSequence


def average_poses(sources: Sequence[PoseSequence]) -> PoseSequence:
    """Confidence-weighted mean of several estimates of the same video.

    Each joint is averaged over the sources that observe it (finite, confidence > 0), weighted by confidence;
    a joint no source observes stays NaN with confidence 0. Camera, skeleton and fps come from the first
    source, which all others must match.

    Args:
        sources: N >= 1 pose sequences with equal T, J, skeleton.

    Returns:
        One pose sequence; its ``conf`` is the mean confidence over sources.

    Raises:
        InputError: for no sources, or sources that disagree in frame count, first frame, joints, skeleton or lens
            distortion.
    """
    if not sources:
        raise InputError("average_poses needs at least one pose source")
    first = sources[0]
    for i, s in enumerate(sources[1:], start=1):
        if s.joints3d.shape != first.joints3d.shape or s.skeleton != first.skeleton:
            raise InputError(
                f"pose source {i} has {s.joints3d.shape} {s.skeleton!r}, source 0 has "
                f"{first.joints3d.shape} {first.skeleton!r}: ensembles need the same frames and skeleton"
            )
        if not same_lens(s.dist, first.dist):
            raise InputError(
                f"pose source {i} has lens distortion {lens_text(s.dist)}, source 0 {lens_text(first.dist)}: ensembles "
                "average 2D keypoints, which needs one camera"
            )
    starts = [(i, s.first_frame) for i, s in enumerate(sources) if s.first_frame is not None]
    for i, start in starts[1:]:
        if start != starts[0][1]:
            raise InputError(f"pose source {i} begins at video frame {start}, source {starts[0][0]} at "
                             f"{starts[0][1]}: ensembles need the same frames")
    if len(sources) == 1:
        return first
    conf = np.stack([s.confidence() for s in sources])  # (N, T, J)

    def mean(arrays: list[np.ndarray]) -> np.ndarray:
        stack = np.stack(arrays)  # (N, T, J, D)
        w = conf[..., None] * np.isfinite(stack).all(-1, keepdims=True)
        total = w.sum(0)
        out = (np.nan_to_num(stack) * w).sum(0) / np.maximum(total, 1e-12)
        out[np.broadcast_to(total == 0, out.shape)] = np.nan
        return out.astype(np.float32)

    joints2d = None
    if all(s.joints2d is not None for s in sources):
        joints2d = mean([s.joints2d for s in sources])
    return replace(first, joints3d=mean([s.joints3d for s in sources]), joints2d=joints2d, conf=conf.mean(0),
                   first_frame=starts[0][1] if starts else None)


def average_flows(fields: Sequence[FlowField]) -> FlowField:
    """Confidence-weighted mean of several flow fields on the same grids.

    Args:
        fields: N >= 1 flow fields with identical grids (shape, origin, scale).

    Returns:
        A flow field whose flow is the confidence-weighted mean and whose confidence is the mean confidence.

    Raises:
        InputError: for fields on different grids.
    """
    first = fields[0]
    for f in fields[1:]:
        if (
            f.flow.shape != first.flow.shape
            or not np.array_equal(f.origin, first.origin)
            or not np.array_equal(f.scale, first.scale)
        ):
            raise InputError("flow ensembles need every network's flow on the same crop grids")
    if len(fields) == 1:
        return first
    conf = np.stack([f.confidence for f in fields])
    flow = np.stack([f.flow for f in fields])
    w = conf[..., None] + 1e-6  # a tiny floor keeps pixels where every network has zero confidence defined
    mean_flow = (flow * w).sum(0) / w.sum(0)
    reverses = [f.reverse for f in fields]
    reverse = average_flows(reverses) if all(r is not None for r in reverses) else None
    return FlowField(mean_flow, conf.mean(0), first.origin, first.scale, first.image_size, reverse)

