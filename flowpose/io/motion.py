"""Motion input for ``flowpose synth``: BVH or ``.npz`` clips as Human3.6M-17 joints in world metres, Y up.

BVH files carry neither their unit nor their up axis, and each exporter names joints its own way. This module
maps the four naming styles found in CMU and AnimatedDrawings data to H36M-17 (and reads flowpose's own BVH files,
``flowpose export bvh``: H36M-17 in centimetres), finds the up axis, and scales the skeleton to metres.

Joint mapping (``Left*`` in BVH is the person's left). "Mobu" names are those of CMU's MotionBuilder-friendly
release (cgspeed) and of the CMU files converted from FBX; "3dsMax" those of CMU's 3dsMax-friendly release;
"AD" those of AnimatedDrawings (fair). A pair means the mean of the two joints.

============  =====================  ===================  =====================  ==========================
H36M-17       Mobu                   3dsMax               AD                     why
============  =====================  ===================  =====================  ==========================
pelvis        LeftUpLeg, RightUpLeg  LeftHip, RightHip    LeftUpLeg, RightUpLeg  H36M's root lies between
                                                                                 the hips; BVH ``Hips``
                                                                                 roots sit 1-12 cm higher
r/l_hip       Right/LeftUpLeg        Right/LeftHip        Right/LeftUpLeg        the femur heads
r/l_knee      Right/LeftLeg          Right/LeftKnee       Right/LeftLeg
r/l_ankle     Right/LeftFoot         Right/LeftAnkle      Right/LeftFoot
spine         Spine                  Chest                Spine2                 the spine joint nearest
                                                                                 mid-way pelvis-thorax
thorax        Neck                   lowerneck            Neck                   the spine's top, where the
                                                                                 clavicles attach (a
                                                                                 shoulder midpoint would
                                                                                 move with shrugs)
neck (nose)   Head                   Head                 Head                   the skull's base, 10-15 cm
                                                                                 below the head tip
head          Head_end               Head_end             Head_end               the head tip: End Site of
                                                                                 ``Head`` (FBX: a joint)
r/l_shoulder  Right/LeftArm          Right/LeftShoulder   Right/LeftArm          the humerus heads (Mobu/AD
                                                                                 ``*Shoulder``: clavicle)
r/l_elbow     Right/LeftForeArm      Right/LeftElbow      Right/LeftForeArm
r/l_wrist     Right/LeftHand         Right/LeftWrist      Right/LeftHand
============  =====================  ===================  =====================  ==========================

Limb and head bones are rigid BVH bones, so their lengths are constant; the torso "bones" (pelvis-spine,
spine-thorax, thorax-neck, thorax-shoulder) span several BVH joints and change length by a few centimetres as
the spine bends and the shoulders shrug, as real torsos do.

Scale: BVH files have no unit field, and the units that are known do not give plausible adults here (CMU's
0.056444 m per unit makes the subjects 1.37-1.50 m tall, AnimatedDrawings' inches 0.97-1.15 m). So, unless
``scale`` is given, the skeleton's rest height (head tip to its lowest point, about the sole) is set to
:data:`ASSUMED_HEIGHT_M` (flowpose's own files keep their centimetres, :data:`KNOWN_UNITS`); pass
``scale=UNIT_SCALES["inch"]`` (etc.) to keep a file's true size.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.spatial.transform import Rotation, Slerp

from flowpose.errors import InputError, ShapeError
from flowpose.io.bvh import BvhClip, forward_kinematics, read_bvh
from flowpose.io.npz import read_npz
from flowpose.joint_map import to_h36m17
from flowpose.reprs import short_repr
from flowpose.skeleton import H36M17

ASSUMED_HEIGHT_M = 1.7
"""Standing height (m) a BVH skeleton is scaled to when no ``scale`` is given: an adult's."""

UNIT_SCALES: dict[str, float] = {"m": 1.0, "cm": 0.01, "mm": 0.001, "inch": 0.0254, "cmu": 0.056444}
"""Metres per file unit of common BVH units; CMU's is (1 / 0.45) inch."""

UP_TO_Y: dict[str, np.ndarray] = {
    "y": np.eye(3),
    # z up -> y up: a +90 degree turn about x, (x, y, z) -> (x, z, -y); a proper rotation (det +1), so the
    # person's left stays their left.
    "z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),
    # -y up (a camera frame, y down, as flowpose's own pose files): half a turn about x, (x, y, z) -> (x, -y, -z).
    "-y": np.diag([1.0, -1.0, -1.0]),
}
"""Rotation taking a file's axes to Y-up axes, per up axis: ``p_yup = UP_TO_Y[up] @ p_file``."""

# Per H36M-17 joint: a BVH joint name, or two names whose mean is taken.
_MOBU = {
    "pelvis": ("LeftUpLeg", "RightUpLeg"), "r_hip": "RightUpLeg", "r_knee": "RightLeg",
    "r_ankle": "RightFoot", "l_hip": "LeftUpLeg", "l_knee": "LeftLeg", "l_ankle": "LeftFoot",
    "spine": "Spine", "thorax": "Neck", "neck": "Head", "head": "Head_end", "l_shoulder": "LeftArm",
    "l_elbow": "LeftForeArm", "l_wrist": "LeftHand", "r_shoulder": "RightArm", "r_elbow": "RightForeArm",
    "r_wrist": "RightHand",
}
_AD = {**_MOBU, "spine": "Spine2"}
_MAX = {
    **_MOBU, "pelvis": ("LeftHip", "RightHip"), "r_hip": "RightHip", "r_knee": "RightKnee",
    "r_ankle": "RightAnkle", "l_hip": "LeftHip", "l_knee": "LeftKnee", "l_ankle": "LeftAnkle",
    "spine": "Chest", "thorax": "lowerneck", "l_shoulder": "LeftShoulder", "l_elbow": "LeftElbow",
    "l_wrist": "LeftWrist", "r_shoulder": "RightShoulder", "r_elbow": "RightElbow", "r_wrist": "RightWrist",
}

# flowpose's own files (flowpose.io.bvh_export): H36M-17's names, its leaves End Sites named after their parents.
_FLOWPOSE = {
    name: name if any(p == j for p in H36M17.parents) else f"{H36M17.joint_names[H36M17.parents[j]]}_end"
    for j, name in enumerate(H36M17.joint_names)
}

NAMING_STYLES: dict[str, tuple[tuple[str, ...], dict]] = {
    "cmu_3dsmax": (("LeftCollar", "LeftHip", "LeftWrist", "lowerback"), _MAX),
    "cmu_fbx": (("LHipJoint", "LowerBack", "Neck1", "LeftHandIndex1"), _MOBU),
    "cmu_motionbuilder": (("LHipJoint", "LowerBack", "Neck1", "LeftUpLeg"), _MOBU),
    "animated_drawings": (("Spine3", "LeftUpLeg", "LeftHandEnd"), _AD),
    "flowpose": (("pelvis", "thorax", "neck_end", "r_knee_end", "l_elbow_end"), _FLOWPOSE),
}
"""Naming styles in the order they are tried: (names that identify the style, H36M-17 joint table)."""

KNOWN_UNITS: dict[str, str] = {"flowpose": "cm"}
"""The unit (a key of :data:`UNIT_SCALES`) of the naming styles whose files say it by their writer: such files keep
their true size unless ``scale`` is given."""


@dataclass(frozen=True)
class Motion:
    """A motion clip as Human3.6M-17 joints in the world.

    Attributes:
        joints: (T, 17, 3) float32 world positions in metres, Y up, in :data:`flowpose.skeleton.H36M17` order.
        fps: frames per second.
        source: where it came from and how it was read (file, naming style, up axis, scale).
    """

    joints: np.ndarray
    fps: float
    source: str

    __repr__ = short_repr

    @property
    def num_frames(self) -> int:
        """T."""
        return int(self.joints.shape[0])


def naming_style(clip: BvhClip) -> str:
    """The naming style of a BVH skeleton, a key of :data:`NAMING_STYLES`.

    Raises:
        InputError: if no known style matches, listing the file's joints.
    """
    names = set(clip.names)
    for style, (marks, _) in NAMING_STYLES.items():
        if names.issuperset(marks):
            return style
    raise InputError(
        f"{clip.path}: unknown BVH joint naming; expected one of {list(NAMING_STYLES)} "
        f"(e.g. joints LeftUpLeg/LeftLeg/LeftFoot/LeftArm/Head), got {list(clip.names)}"
    )


def bvh_to_h36m17(clip: BvhClip, positions: np.ndarray) -> np.ndarray:
    """Map BVH joint positions to H36M-17 with the table in the module docstring.

    Args:
        clip: the clip whose skeleton ``positions`` follow.
        positions: (T, Jbvh, 3) positions from :func:`flowpose.io.bvh.forward_kinematics` (any unit or axes).

    Returns:
        (T, 17, 3) positions in the same unit and axes.

    Raises:
        InputError: for an unknown naming style.
    """
    table = NAMING_STYLES[naming_style(clip)][1]
    columns = [
        [clip.index(table[name])] if isinstance(table[name], str) else [clip.index(n) for n in table[name]]
        for name in H36M17.joint_names
    ]
    return np.stack([positions[:, cols].mean(axis=1) for cols in columns], axis=1)


def rest_positions(clip: BvhClip) -> np.ndarray:
    """(Jbvh, 3) joint positions of the rest pose (all channels zero, offsets only), file units."""
    rest = np.zeros_like(clip.offsets)
    for j, p in enumerate(clip.parents):
        rest[j] = clip.offsets[j] + (rest[p] if p >= 0 else 0.0)
    return rest


def detect_up_axis(h36m: np.ndarray, where: str | Path) -> str:
    """A file's up axis, a key of :data:`UP_TO_Y`: the axis the median pelvis-to-head direction mostly points along.

    Args:
        h36m: (T, 17, 3) H36M-17 joints in the file's axes, any unit.
        where: the file, for the error.

    Raises:
        InputError: if the body lies mostly along another axis (pass ``up`` explicitly then).
    """
    d = np.median(h36m[:, H36M17.index("head")] - h36m[:, H36M17.index("pelvis")], axis=0)
    axis = int(np.argmax(np.abs(d)))
    for up, (along, sign) in {"y": (1, 1.0), "z": (2, 1.0), "-y": (1, -1.0)}.items():
        if axis == along and sign * d[along] > 0:
            return up
    raise InputError(
        f"{where}: cannot tell the up axis: the median pelvis-to-head direction is {np.round(d, 2).tolist()} "
        "(expected mostly +y or +z, or -y in a camera frame); pass up='y', up='z' or up='-y'"
    )


def rest_height(clip: BvhClip) -> float:
    """Standing height of the rest pose in file units: head tip to the lowest joint along the rest up axis."""
    rest = rest_positions(clip)[None]
    h36m = bvh_to_h36m17(clip, rest)[0]
    up = h36m[H36M17.index("head")] - h36m[H36M17.index("pelvis")]
    axis = int(np.argmax(np.abs(up)))
    sign = np.sign(up[axis])
    return float(sign * h36m[H36M17.index("head"), axis] - (sign * rest[0, :, axis]).min())


def _load_bvh(path: Path, scale: float | None, up: str | None, fps: float | None) -> Motion:
    clip = read_bvh(path)
    positions = forward_kinematics(clip)
    joints = bvh_to_h36m17(clip, positions)
    up = detect_up_axis(joints, path) if up is None else up
    style = naming_style(clip)
    if scale is None and style in KNOWN_UNITS:
        scale = UNIT_SCALES[KNOWN_UNITS[style]]
    if scale is None:
        height = rest_height(clip)
        if not height > 0:
            raise InputError(f"{path}: the rest pose has no height (head not above the feet); pass scale=")
        scale = ASSUMED_HEIGHT_M / height
    joints = scale * joints @ UP_TO_Y[up].T
    source = f"{path} (BVH, {style} naming, {up} up, {scale:.6g} m per unit)"
    return Motion(joints=joints.astype(np.float32), fps=float(fps or clip.fps), source=source)


MIN_BODY_M, MAX_BODY_M = 0.2, 5.0
"""The largest side of a body (a child to a tall adult with raised arms) an ``.npz`` motion may have, metres: outside
it the file is in other units, or not a body."""


def _load_npz(path: Path, scale: float | None, up: str | None, fps: float | None) -> Motion:
    arrays = read_npz(path, "motion file")
    if "joints3d" not in arrays:
        keys = list(arrays)
        raise InputError(f"{path}: missing key 'joints3d' (T, 17, 3) metres; keys are {keys}")
    joints = np.asarray(arrays["joints3d"], dtype=np.float64)
    skeleton = str(arrays["skeleton"]) if "skeleton" in arrays else H36M17.name
    if skeleton != H36M17.name:  # a pose file of another skeleton
        try:
            joints = to_h36m17(joints, skeleton)
        except InputError as error:
            raise InputError(f"{path}: {error}") from None
    if joints.ndim != 3 or joints.shape[1:] != (17, 3) or joints.shape[0] < 1:
        raise ShapeError("joints3d", "(T, 17, 3)", joints.shape, str(path))
    missing = ~np.isfinite(joints).all(-1)  # (T, 17)
    if missing.any():
        named = ", ".join(
            f"{H36M17.joint_names[j]} ({j}) in {missing[:, j].sum()}" for j in np.flatnonzero(missing.any(0))
        )
        raise InputError(f"{path}: joints3d is NaN or infinite for {named} of its {len(joints)} frames; a motion needs "
                         "every joint in every frame (flowpose refine fills missing joints)")
    if fps is None:
        if "fps" not in arrays:
            raise InputError(f"{path}: missing key 'fps'; add it or pass fps=")
        try:
            fps = float(arrays["fps"])
        except (TypeError, ValueError):
            raise InputError(f"{path}: fps must be a number, got {arrays['fps']!r}") from None
        if not (np.isfinite(fps) and fps > 0):
            raise InputError(f"{path}: fps must be a positive number of frames per second, got {fps:g}")
    joints = (1.0 if scale is None else scale) * joints
    extent = float(np.median(np.ptp(joints, axis=1).max(-1)))  # the body's largest side, metres
    if not MIN_BODY_M <= extent <= MAX_BODY_M:
        raise InputError(f"{path}: the body's largest side is {extent:.3g} m (median over frames); expected a body "
                         f"in metres, {MIN_BODY_M:g} to {MAX_BODY_M:g} m")
    up = detect_up_axis(joints, path) if up is None else up
    joints = joints @ UP_TO_Y[up].T
    return Motion(joints=joints.astype(np.float32), fps=float(fps), source=f"{path} (npz, {up} up)")


def load_motion(
    path: str | Path, *, scale: float | None = None, up: str | None = None, fps: float | None = None
) -> Motion:
    """Load a motion clip as H36M-17 joints in world metres, Y up.

    Args:
        path: a ``.bvh`` file, or an ``.npz`` with ``joints3d`` (T, 17, 3) metres and ``fps`` (a pose file of
            Human3.6M-17 joints serves).
        scale: metres per file unit (see :data:`UNIT_SCALES`). None: for BVH, its unit if its writer tells it
            (:data:`KNOWN_UNITS`), else the rest pose scaled to :data:`ASSUMED_HEIGHT_M`; for npz, 1.
        up: the file's up axis, ``"y"``, ``"z"`` or ``"-y"`` (a camera frame, as in flowpose's pose files). None:
            detected (:func:`detect_up_axis`).
        fps: the clip's frame rate, overriding the file's (BVH ``Frame Time``, npz ``fps``); this relabels the
            frames and does not resample them (see :func:`resample`).

    Returns:
        The :class:`Motion`.

    Raises:
        InputError: for a missing, malformed or unknown file, a bad option, or an unknown skeleton naming.

    Example:
        >>> m = load_motion("walk.bvh")  # doctest: +SKIP
        >>> m.joints.shape, m.fps  # doctest: +SKIP
        ((317, 17, 3), 120.0)
    """
    path = Path(path)
    if up is not None and up not in UP_TO_Y:
        raise InputError(f"up must be one of {list(UP_TO_Y)}, got {up!r}")
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise InputError(f"scale must be a positive number of metres per unit, got {scale}")
    if fps is not None and not (np.isfinite(fps) and fps > 0):
        raise InputError(f"fps must be a positive number, got {fps}")
    if not path.is_file():
        raise InputError(f"{path}: no such motion file")
    loaders = {".bvh": _load_bvh, ".npz": _load_npz}
    if path.suffix.lower() not in loaders:
        raise InputError(f"{path}: unknown motion format {path.suffix!r}; expected .bvh or .npz")
    return loaders[path.suffix.lower()](path, scale, up, fps)


def resample(motion: Motion, fps: float) -> Motion:
    """Resample a clip to another frame rate by cubic-spline interpolation of joint positions over time.

    The new frames are at ``t = k / fps`` for every ``t`` in the clip's span ``[0, (T - 1) / motion.fps]``.

    Args:
        motion: the clip.
        fps: the new frame rate.

    Returns:
        A :class:`Motion` with ``floor((T - 1) * fps / motion.fps) + 1`` frames.

    Raises:
        InputError: if ``fps`` is not a positive number.
    """
    joints = resample_joints(motion.joints, np.arange(motion.num_frames) / motion.fps, fps)
    return replace(motion, joints=joints, fps=float(fps))


def even_times(times: np.ndarray, fps: float) -> np.ndarray:
    """The times of frames evenly spaced at ``fps`` over the span of ``times``: ``times[0] + k / fps`` up to
    ``times[-1]``, (floor((times[-1] - times[0]) fps) + 1,) seconds.

    Raises:
        InputError: if ``fps`` is not a positive number.
    """
    if not (np.isfinite(fps) and fps > 0):
        raise InputError(f"fps must be a positive number, got {fps}")
    t = np.asarray(times, np.float64)
    return t[0] + np.arange(int(np.floor((t[-1] - t[0]) * fps + 1e-9)) + 1) / fps


def resample_joints(joints: np.ndarray, times: np.ndarray, fps: float) -> np.ndarray:
    """Joints at frames taken at ``times`` (evenly spaced or not), resampled to frames evenly spaced at ``fps``.

    The new frames are at ``t = times[0] + k / fps`` within ``[times[0], times[-1]]``; joint positions are
    interpolated by a cubic spline over time (rather than linearly: accelerations stay smooth, which accel
    metrics measure).

    Args:
        joints: (T, J, 3) finite positions.
        times: (T,) increasing seconds.
        fps: the new frame rate.

    Returns:
        (floor((times[-1] - times[0]) fps) + 1, J, 3) float32.

    Raises:
        InputError: if ``fps`` is not a positive number.
    """
    t_old, t_new = np.asarray(times, np.float64), even_times(times, fps)
    if len(t_old) < 2:
        return np.repeat(joints, len(t_new), axis=0).astype(np.float32)
    return CubicSpline(t_old, joints.astype(np.float64), axis=0)(t_new).astype(np.float32)


def resample_rotations(rotvecs: np.ndarray, times: np.ndarray, fps: float) -> np.ndarray:
    """Rotations at frames taken at ``times``, resampled to frames evenly spaced at ``fps`` (the frames of
    :func:`resample_joints`), each joint's by spherical linear interpolation (Slerp) between its neighbouring frames.

    Args:
        rotvecs: (T, J, 3) axis-angle, radians.
        times: (T,) increasing seconds.
        fps: the new frame rate.

    Returns:
        (floor((times[-1] - times[0]) fps) + 1, J, 3) float64 axis-angle.

    Raises:
        InputError: if ``fps`` is not a positive number.
    """
    t_old, t_new = np.asarray(times, np.float64), even_times(times, fps)
    rotvecs = np.asarray(rotvecs, np.float64)
    if len(t_old) < 2:
        return np.repeat(rotvecs, len(t_new), axis=0)
    t_new = np.clip(t_new, t_old[0], t_old[-1])  # rounding must not step past the last frame
    return np.stack([Slerp(t_old, Rotation.from_rotvec(rotvecs[:, j]))(t_new).as_rotvec()
                     for j in range(rotvecs.shape[1])], axis=1)
