"""flowpose: monocular 3D human pose from video, refined with optical flow at inference time.

Example:
    >>> import flowpose
    >>> result = flowpose.refine("video.poses.npz", "video.mp4", cycles=3)  # doctest: +SKIP
"""

import os as _os

# OpenCV and FFmpeg log straight to the process's stderr ("moov atom not found", "[ WARN:0@...]") when a file
# cannot be decoded; flowpose reports that itself, in one line. OpenCV reads these when cv2 is first imported,
# and every flowpose module that imports cv2 comes after this package's __init__.
_os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
_os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

from flowpose.errors import FlowposeError, InputError, ShapeError, WeightsUnavailableError
from flowpose.pose import PoseSequence

__all__ = [
    "FlowposeError", "InputError", "PoseSequence", "RefineConfig", "RefineResult", "ShapeError",
    "WeightsUnavailableError", "refine",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    # The refinement pulls in torch models and OpenCV; import it on first use so `import flowpose` stays light.
    if name == "refine":
        from flowpose.api import refine

        return refine
    if name == "RefineConfig":
        from flowpose.config import RefineConfig

        return RefineConfig
    if name == "RefineResult":
        from flowpose.refinement.result import RefineResult

        return RefineResult
    raise AttributeError(f"module 'flowpose' has no attribute {name!r}")
