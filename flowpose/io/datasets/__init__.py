"""Loaders for real benchmark datasets a user has on disk: Human3.6M (VideoPose3D layout), 3DPW, MPI-Sintel.

The pose loaders return a :class:`BenchmarkSequence` in flowpose's conventions (H36M-17 joints in metres in
the camera frame, K in pixels); the flow loaders return :class:`FlowPair`. The Human3.6M and 3DPW files are
pickles: load only files from a source you trust.
"""

from flowpose.io.datasets.benchmark import BenchmarkSequence
from flowpose.io.datasets.h36m import H36M_FPS, load_h36m_videopose3d
from flowpose.io.datasets.h36m_cameras import H36M_EXTRINSICS, H36M_INTRINSICS, H36MExtrinsics, H36MIntrinsics
from flowpose.io.datasets.pw3d import PW3D_FPS, load_3dpw
from flowpose.io.datasets.sintel import FlowPair, load_sintel_pair, sintel_human_pairs

__all__ = [
    "BenchmarkSequence", "FlowPair", "H36MExtrinsics", "H36MIntrinsics", "H36M_EXTRINSICS", "H36M_FPS",
    "H36M_INTRINSICS", "PW3D_FPS", "load_3dpw", "load_h36m_videopose3d", "load_sintel_pair",
    "sintel_human_pairs",
]
