"""flowpose: monocular 3D human pose from video, refined with optical flow at inference time."""

from flowpose.errors import FlowposeError, InputError, ShapeError
from flowpose.pose import PoseSequence

__all__ = ["FlowposeError", "InputError", "PoseSequence", "ShapeError"]
__version__ = "0.1.0"
