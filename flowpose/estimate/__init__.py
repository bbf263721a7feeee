"""Initial 3D poses for videos that have none: a built-in MediaPipe estimator and the placement of
root-relative poses in the camera frame.

``mediapipe`` itself is an optional extra (``pip install "flowpose[estimate]"``) imported only when an
estimate is run; :mod:`flowpose.estimate.placement` needs nothing beyond NumPy.
"""

from flowpose.estimate.placement import place_root

__all__ = ["place_root"]
