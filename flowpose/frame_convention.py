"""Is another tool's pose file in flowpose's conventions: its joint order, its camera axes, its 3D and 2D together?

flowpose reads joints3d in the camera frame with x right, y down and z forward (OpenCV's), in the joint order its
``skeleton`` names, and joints2d in pixels from the top-left corner. Tools differ: many SMPL-based and graphics
pipelines put y up, and COCO-17 and Human3.6M-17 both have 17 joints. The file's checks
(:func:`flowpose.pose.check_joints3d`) pass such joints — they lie in front of the camera and project inside the
image — and refinement then reads the flow at the body turned upside down, or ties the wrong joints together with
bones, or tears the skeleton between a 3D turned over and 2D that is not. These checks find the cases a user can fix
and say so in one line:

* the left and right bones differ in length far more than an estimate's: joints in another order;
* the 3D has the head below the feet in most frames while the 2D (the file's keypoints) has it above, or while
  there is no 2D to say otherwise (then perhaps a handstand, or a camera held upside down: a warning, not a
  refusal);
* the 2D lies far from the 3D's projection by K: a camera that is not the 3D's, or keypoints of frames of
  another size.

:func:`axes_matrix` turns coordinates of another camera frame (``flowpose import --axes``) into flowpose's.
"""

from __future__ import annotations

import numpy as np

from flowpose.camera import project_np
from flowpose.errors import InputError
from flowpose.joint_map import to_h36m17
from flowpose.pose import PoseSequence
from flowpose.skeleton import get_skeleton

CAMERA_AXES = "RDF"
"""flowpose's camera frame as the directions of its +x, +y and +z: right, down, forward (OpenCV's)."""
DIRECTIONS: dict[str, tuple[int, float]] = {
    "R": (0, 1.0), "L": (0, -1.0), "D": (1, 1.0), "U": (1, -1.0), "F": (2, 1.0), "B": (2, -1.0),
}
"""A direction's letter -> (the axis of flowpose's camera frame along it, the sign)."""

UPPER = (8, 9, 10)
"""Human3.6M-17 thorax, neck and head: the body's top (their mean, over those observed)."""
FEET = (3, 6)
"""Human3.6M-17 right and left ankles."""
MOST = 0.8
"""A share of the frames that calls a file's body upside down."""
SIDES_APART = 1.4
"""Left and right bones of one skeleton differ in length by less than this factor (the median over its pairs, of
the observed joints): 1.00 to 1.08 on the real set's MediaPipe estimates, 1.05 on the bundled example; 2.3 to 2.4
for its COCO-17 joints read as Human3.6M-17."""
FAR = 0.25
"""2D keypoints lie far from the 3D's projection when the median joint is off by more than this share of the 2D
body's size (the diagonal of its keypoints' box). A monocular estimate placed by its own 2D is off by a few
hundredths (real set, MediaPipe: 0.015 to 0.030; the bundled example 0.024); a focal length 1.5 times the 3D's
gives 0.55 on the example."""


def axes_matrix(axes: str) -> np.ndarray:
    """The (3, 3) matrix M that takes coordinates in a camera frame whose +x, +y and +z point the ways ``axes`` names
    to flowpose's (x right, y down, z forward): X = M @ X_file.

    Args:
        axes: three letters, the directions of the file's +x, +y, +z in order: one of R/L (right, left), one of
            U/D (up, down), one of F/B (forward, from the camera into the scene; back); any case. ``RDF`` is
            OpenCV's (and flowpose's), ``RUB`` OpenGL's and Blender's camera, ``LUF`` PyTorch3D's.

    Raises:
        InputError: for anything else.

    Example:
        >>> axes_matrix("RUB")  # OpenGL: y and z turned over
        array([[ 1.,  0.,  0.],
               [ 0., -1.,  0.],
               [ 0.,  0., -1.]])
    """
    code = str(axes).upper()
    if len(code) != 3 or any(c not in DIRECTIONS for c in code) or {DIRECTIONS[c][0] for c in code} != {0, 1, 2}:
        raise InputError(f"axes must be three letters, the directions of x, y and z: one of R/L, one of U/D and one of "
                         f"F/B (RDF: OpenCV's and flowpose's; RUB: OpenGL's; LUF: PyTorch3D's), got {axes!r}")
    M = np.zeros((3, 3))
    for i, c in enumerate(code):
        row, sign = DIRECTIONS[c]
        M[row, i] = sign
    return M


def upside_down(up: np.ndarray, feet: np.ndarray) -> tuple[int, int]:
    """In how many of the frames where both are seen the body's top is below its feet (greater y), and in how many
    both are seen.

    Args:
        up: (T,) y of the body's top (a height down the image or the camera frame), NaN where unseen.
        feet: (T,) y of the feet, NaN where unseen.
    """
    seen = np.isfinite(up) & np.isfinite(feet) & (up != feet)
    return int((up[seen] > feet[seen]).sum()), int(seen.sum())


def top_and_feet(joints: np.ndarray, observed: np.ndarray, skeleton: str) -> tuple[np.ndarray, np.ndarray]:
    """(T,) y of the body's top and of its feet (the mean of the observed ones), NaN where none is observed.

    Args:
        joints: (T, J, D) joints of ``skeleton`` (D = 2 pixels or 3 metres; y is column 1).
        observed: (T, J) bool.
        skeleton: the joints' layout.
    """
    y = np.where(observed, np.asarray(joints, np.float64)[..., 1], np.nan)[..., None]
    h36m = to_h36m17(y, skeleton, missing="nan")[..., 0]
    return _mean_seen(h36m[:, list(UPPER)]), _mean_seen(h36m[:, list(FEET)])


def _mean_seen(values: np.ndarray) -> np.ndarray:
    """(T,) the mean of each row's finite values, NaN for a row with none (as ``np.nanmean``, without its warning:
    catching that warning would reset Python's record of warnings already shown, and repeat them)."""
    seen = np.isfinite(values)
    count = seen.sum(1)
    total = np.where(seen, values, 0.0).sum(1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def keypoints_off(poses: PoseSequence) -> float | None:
    """The median over frames of the median joint's distance between joints2d and the projection of joints3d, as a
    share of the 2D body's size; None without joints2d or frames with at least 2 joints observed in both."""
    if poses.joints2d is None:
        return None
    x2d = np.asarray(poses.joints2d, np.float64)
    proj = project_np(np.asarray(poses.joints3d, np.float64), poses.K_per_frame())
    both = (poses.confidence() > 0) & np.isfinite(x2d).all(-1) & np.isfinite(proj).all(-1)
    shares = []
    for t in np.flatnonzero(both.sum(1) >= 2):
        seen = x2d[t, both[t]]
        size = float(np.linalg.norm(seen.max(0) - seen.min(0)))
        if size > 0:
            shares.append(np.median(np.linalg.norm(proj[t, both[t]] - seen, axis=-1)) / size)
    return float(np.median(shares)) if shares else None


def side_ratio(joints3d: np.ndarray, skeleton: str) -> tuple[float, int] | None:
    """How much a skeleton's left and right bones differ in length: the median over its left/right pairs of joints
    (``flip_pairs``) of the longer of the two bones ending at them over the shorter (each bone's median length over
    the frames), and the number of pairs; None without a pair measured.

    Args:
        joints3d: (T, J, 3) metres, NaN where missing.
        skeleton: the joints' layout.
    """
    skel = get_skeleton(skeleton)
    length = {}
    for child, parent in enumerate(skel.parents):
        if parent >= 0:
            bone = np.linalg.norm(joints3d[:, child] - joints3d[:, parent], axis=-1)
            bone = bone[np.isfinite(bone)]
            length[child] = float(np.median(bone)) if bone.size else np.nan
    pairs = [(length[a], length[b]) for a, b in skel.flip_pairs if a in length and b in length]
    ratios = [max(pair) / min(pair) for pair in pairs if np.isfinite(pair).all() and min(pair) > 0]
    return (float(np.median(ratios)), len(ratios)) if ratios else None


def joint_order_note(poses: PoseSequence, source: str) -> str | None:
    """One line when the poses' left and right bones differ in length by more than :data:`SIDES_APART` (the median
    over the pairs): joints of another layout read as the file's ``skeleton`` (COCO-17 read as Human3.6M-17, both
    17 joints); None otherwise."""
    observed = (poses.confidence() > 0)[..., None]  # a joint of confidence 0 may hold any value
    measured = side_ratio(np.where(observed, np.asarray(poses.joints3d, np.float64), np.nan), poses.skeleton)
    if measured is None or measured[0] <= SIDES_APART:
        return None
    ratio, pairs = measured
    return (f"{source}: its joints3d do not look like {poses.skeleton}'s joint order: its left and right bones "
            f"differ in length by a factor of {ratio:.1f} (the median over {pairs} pairs; an estimate's by under 1.1): joints "
            "in another order? (the file's skeleton; import --skeleton)")


def y_up_note(poses: PoseSequence, source: str) -> str | None:
    """One line when the poses' joints3d have the head below the feet in most frames, unless their joints2d do too
    (then the image shows it: a handstand, a camera held upside down); None otherwise.

    Args:
        poses: the poses (any skeleton; joints3d metres, camera frame; joints2d pixels).
        source: the pose file, for the message.

    Example:
        >>> X = np.zeros((4, 17, 3)) + [0, 0, 3.0]
        >>> X[:, 10, 1], X[:, [3, 6], 1] = 0.8, -0.8  # the head 0.8 m below the centre, the feet above: y up
        >>> y_up_note(PoseSequence(X, np.diag([500.0, 500, 1])), "p.npz")[:65]
        'p.npz: its joints3d have the head below the feet in 4 of 4 frames'
    """
    observed = poses.confidence() > 0
    down3d, seen3d = upside_down(*top_and_feet(poses.joints3d, observed, poses.skeleton))
    if poses.joints2d is not None:
        down2d, seen2d = upside_down(*top_and_feet(poses.joints2d, observed, poses.skeleton))
    else:
        down2d, seen2d = 0, 0
    if not seen3d or down3d < MOST * seen3d or (seen2d and down2d >= MOST * seen2d):
        return None
    but = (f", while its joints2d have it above in {seen2d - down2d} of {seen2d}" if seen2d
           else " (fine for a handstand or a camera held upside down)")
    return (f"{source}: its joints3d have the head below the feet in {down3d} of {seen3d} frames{but}: "
            "are they y up? flowpose's camera frame is x right, y down, z forward")


def keypoints_far_note(poses: PoseSequence, source: str) -> str | None:
    """One line when the poses' joints2d lie far from the projection of their joints3d (:func:`keypoints_off` above
    :data:`FAR`); None otherwise."""
    off = keypoints_off(poses)
    if off is None or off <= FAR:
        return None
    return (f"{source}: its joints2d lie far from the projection of its joints3d by its K (the median joint off by "
            f"{off:.0%} of the body's size in the image): the 2D and 3D terms will pull against each other; are "
            "joints3d in the camera frame of K (x right, y down, z forward, metres) and joints2d pixels of the same "
            "frames?")


def frame_convention_note(poses: PoseSequence, source: str) -> str | None:
    """:func:`joint_order_note`, else :func:`y_up_note`, else :func:`keypoints_far_note`: one line when a pose file's
    joints3d look of another joint order or y up, or its joints2d lie far from their projection; None when none.
    :func:`flowpose.refine` warns it; ``flowpose refine`` tells it for another tool's poses or keypoints.

    Args:
        poses: the initial poses (any skeleton; joints3d metres, camera frame; joints2d pixels).
        source: the pose file, for the message.
    """
    return joint_order_note(poses, source) or y_up_note(poses, source) or keypoints_far_note(poses, source)
