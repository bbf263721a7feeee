"""Frames of a pose sequence with nothing observed: refinement fills them in, and says so when they are many.

A person found in a few frames of a video (someone passing by, a track that starts late) gives a pose file whose
other frames hold no joint. Refinement still returns every frame: between observed frames the poses are
interpolated and then shaped by the temporal and bone priors alone, before the first and after the last observed
frame they hold the nearest observed pose. Those poses are made up, not measured (the results keep their
confidence 0), and a user who reads only ``joints3d`` would not know.
"""

from __future__ import annotations

from flowpose.frame_runs import runs_text
from flowpose.pose import PoseSequence

UNOBSERVED_SHARE = 0.1
"""A share of frames with no observed joint from which the user is told (a few missed frames are ordinary)."""


def unobserved_note(poses: PoseSequence, source: str) -> str | None:
    """A line for the user when at least :data:`UNOBSERVED_SHARE` of the frames, but not all, have no observed
    joint; else None.

    Args:
        poses: the initial poses; a joint is observed where its confidence is above 0 (NaN joints have 0).
        source: the poses' file (or another name), named in the line.

    Returns:
        e.g. ``"p.npz: 91 of its 100 frames have no observed joint (0-90): ..."``, the frames numbered from the
        poses' ``first_frame``.

    Example:
        >>> import numpy as np
        >>> joints3d = np.tile(np.linspace([-0.2, -0.5, 3], [0.2, 0.5, 3], 17), (10, 1, 1))
        >>> joints3d[:4] = np.nan
        >>> unobserved_note(PoseSequence(joints3d=joints3d, K=np.eye(3)), "p.npz")[:59]
        'p.npz: 4 of its 10 frames have no observed joint (0-3): the'
    """
    none = ~(poses.confidence() > 0).any(1)
    count, T = int(none.sum()), poses.num_frames
    if count == 0 or count < UNOBSERVED_SHARE * T or count == T:  # none observed at all: an error, elsewhere
        return None
    return (f"{source}: {count} of its {T} frames have no observed joint ({runs_text(none, poses.first_frame or 0)}): "
            "their poses are filled in from the observed frames (held before the first and after the last), not "
            "measured; the results keep their conf 0")
