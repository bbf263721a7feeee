"""Simulated single-image pose estimators: ground truth plus errors with the structure real ones show.

Per-frame estimators (METRO, SPIN, ...) are not just noisy: each video has its own per-joint bias, errors
drift slowly (neighbouring frames look alike), there is frame-to-frame jitter, the whole body is too near or
too far and too big or too small, the global orientation is off, and now and then a limb is swapped
left-for-right or mirrored in depth for a few frames. Their 2D keypoints come from a separate detector with
its own pixel noise and misses, or, in the realistic profiles (``kp_from_3d``), from the same network, so that
2D and 3D err together. :func:`simulate_estimates` draws all of these, from one seed.

Error model for the root-relative pose ``r_t = X_t - X_t[pelvis]`` (camera frame, metres), per frame t::

    r'_t = (1 + s) R_t r_t + w_j (b + d_t + n_t)          (1)  s: scale, R_t: orientation error,
                                                                b: per-video bias, d_t: drift, n_t: jitter,
                                                                w_j: per-joint weight (0 at the pelvis)
    r''_t = G_t(r'_t)                                      (2)  gross errors: limb swaps and depth flips
    X'_t = (1 + delta_t) X_t[pelvis] + r''_t                (3)  depth error along the pelvis's viewing ray
                                                                (times 1 + s where the 2D sees the true size)

The drift ``d_t``, the orientation drift (and fast shake) in ``R_t`` and the depth drift in ``delta_t`` are
smooth stationary Gaussian processes with std sigma and correlation time tau (:func:`smooth_noise`); ``n_t`` is
white. A profile may take a share of the bones' length errors out of (1) (:func:`keep_bones`). The realistic
profiles' 2D keypoints project the pose their 2D sees: the articulation and gross errors of (1)-(2), with a share
of the orientation error, at the true pelvis (:class:`EstimatorProfile`, ``kp_*``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import convolve1d
from scipy.spatial.transform import Rotation

from flowpose.camera import project_np
from flowpose.errors import InputError, ShapeError, unknown_name_error
from flowpose.pose import PoseSequence
from flowpose.skeleton import H36M17


@dataclass(frozen=True)
class EstimatorProfile:
    """How a simulated single-image estimator errs. Lengths per axis unless stated; all stds of Gaussians."""

    bias_mm: float
    """Per-video, per-joint constant offset of the root-relative pose, std per axis in mm."""
    drift_mm: float
    """Temporally correlated per-joint error (:func:`smooth_noise`), stationary std per axis in mm."""
    drift_tau_s: float
    """Correlation time of the drifts (pose, orientation, depth) in seconds; real estimators: 0.3-1 s."""
    jitter_mm: float
    """White (frame-independent) per-joint noise, std per axis in mm."""
    orient_bias_deg: float
    """Per-video global orientation error of the body about the pelvis, std per axis in degrees."""
    orient_drift_deg: float
    """Correlated global orientation error, stationary std per axis in degrees."""
    scale_error: float
    """Per-video relative error of body size (root-relative pose times 1 + s), std (0.05 = 5%)."""
    depth_error: float
    """Per-video relative error of the pelvis depth along its viewing ray, std (0.1 = 10%)."""
    depth_drift: float
    """Correlated relative depth error, stationary std."""
    gross_rate_hz: float
    """Gross errors (a left-right limb swap or a limb mirrored in depth) per second of video."""
    gross_frames: tuple[int, int]
    """Duration of one gross error in frames, (min, max) inclusive."""
    kp_noise_px: float
    """2D detector: white keypoint noise, std per axis in pixels, for a person :data:`REFERENCE_HEIGHT_PX` tall
    (every ``*_px`` field is scaled by the clip's person height over that: a detector's pixel error grows with
    the person's image size)."""
    kp_miss_rate: float
    """2D detector: probability that a keypoint is missed in a frame (displaced, with low confidence)."""
    kp_miss_px: float
    """2D detector: displacement of a missed keypoint, std per axis in pixels."""
    conf_scale_px: float
    """Confidence model: a detection off by e pixels gets ``conf = 0.95 exp(-(e / conf_scale_px)^2 / 2)``,
    minus uniform noise of up to 0.05; a missed one gets a uniform value in [0, 0.3]."""
    kp_from_3d: bool = False
    """False: the 2D keypoints come from an independent detector (projected ground truth plus its own noise).
    True (the realistic profiles): they are the projection of the estimator's own erroneous pose, placed at
    the true root, plus ``kp_noise_px``: one network errs in 2D and 3D together, swaps included, as real ones
    do (MediaPipe, HMR-family)."""
    z_factor: float = 1.0
    """Multiplier of the non-rigid errors' depth (z) component: monocular estimators err most along the
    viewing ray."""
    swap_share: float = 1.0 / 3.0
    """Fraction of gross errors that are left-right limb swaps (the rest are depth flips)."""
    swap_roots: bool = False
    """Swaps exchange whole limbs, hip or shoulder included (real detectors relabel the whole side), rather
    than the middle and end joints only."""
    fast_px: float = float("inf")
    """2D speed (px per frame, at :data:`REFERENCE_HEIGHT_PX`) above which a joint counts as fast: blurred,
    it is missed (displaced by ``kp_miss_px``, confidence in [0, 0.3]) with probability 1/2."""
    kp_orient_share: float = 0.0
    """``kp_from_3d``: the share of the global orientation error's displacement of each joint that the 2D
    keypoints carry (0: they see the articulated pose at the true orientation; 1: the whole error)."""
    kp_scale: bool = True
    """``kp_from_3d``: the 2D keypoints carry the size error ``s``. False: the detector sees the person's true
    image size, and the estimate's pelvis lies ``1 + s`` times as far (its depth in (3) times ``1 + s``), where a
    fit of its 3D to its 2D places it: size and depth are one ambiguity in a single view."""
    roll_factor: float = 1.0
    """Multiplier of the orientation errors' std about the optical axis (roll, in the image plane) against the
    other two (pitch and yaw, out of it): a single image shows roll, and monocular estimators err little in it."""
    bone_keep: float = 0.0
    """Share of each bone's length error taken out of the non-rigid errors (0: per-joint errors as drawn; 1: every
    bone keeps its true length, times ``1 + s``, and only its direction errs), in the 3D and in what its 2D
    sees alike: an estimator with a body prior errs in the joints' angles more than in their bones' lengths."""
    orient_shake_deg: float = 0.0
    """Fast global orientation error (:func:`smooth_noise` of correlation time ``shake_tau_s``), std per axis in
    degrees (roll times ``roll_factor``): real monocular 3D shakes from frame to frame as a whole body."""
    shake_tau_s: float = 0.05
    """Correlation time of ``orient_shake_deg`` in seconds."""


REFERENCE_HEIGHT_PX = 100.0
"""Person height (px, median over frames of the projected joints' vertical extent) at which the profiles'
pixel errors hold."""


def person_height_px(joints2d: np.ndarray) -> float:
    """Median over frames of the vertical extent of the 2D joints, pixels (at least 1).

    Args:
        joints2d: (T, J, 2) pixels.
    """
    extent = np.nanmax(joints2d[..., 1], axis=1) - np.nanmin(joints2d[..., 1], axis=1)
    return float(max(np.nanmedian(extent), 1.0))


JOINT_WEIGHTS = np.array(
    # pelvis; r_hip knee ankle; l_hip knee ankle; spine thorax neck head; l_, r_ shoulder elbow wrist
    [0.0, 0.6, 1.0, 1.4, 0.6, 1.0, 1.4, 0.6, 0.8, 0.9, 1.0, 0.9, 1.3, 1.7, 0.9, 1.3, 1.7]
)
"""Relative error per H36M-17 joint in (1): end effectors err most, the pelvis not at all (it is the root)."""

LIMBS = {"l_leg": (4, 5, 6), "r_leg": (1, 2, 3), "l_arm": (11, 12, 13), "r_arm": (14, 15, 16)}
"""Limbs as (root, middle, end) H36M-17 indices, for gross errors."""

PROFILES: dict[str, EstimatorProfile] = {
    "metro": EstimatorProfile(
        bias_mm=18.0, drift_mm=13.0, drift_tau_s=0.5, jitter_mm=4.6,
        orient_bias_deg=1.5, orient_drift_deg=3.0, scale_error=0.03,
        depth_error=0.08, depth_drift=0.02, gross_rate_hz=0.1, gross_frames=(3, 12),
        kp_noise_px=1.5, kp_miss_rate=0.02, kp_miss_px=10.0, conf_scale_px=4.0,
    ),
    "spin": EstimatorProfile(
        bias_mm=28.0, drift_mm=20.0, drift_tau_s=0.4, jitter_mm=7.8,
        orient_bias_deg=3.0, orient_drift_deg=5.5, scale_error=0.045,
        depth_error=0.12, depth_drift=0.03, gross_rate_hz=0.2, gross_frames=(3, 15),
        kp_noise_px=2.5, kp_miss_rate=0.04, kp_miss_px=15.0, conf_scale_px=5.0,
    ),
    # Realistic profiles: 2D and 3D err together (kp_from_3d), whole limbs swap left for right in runs of
    # frames, fast limbs are missed. "mediapipe" is calibrated to what MediaPipe's pose landmarker did on real
    # 1080x1920 views (../shared/DATA.md: MPJPE about 146 mm and PA-MPJPE 92 mm on a slow motion, 2D error
    # 3.6% of body height, swaps in up to 27 of 100 frames) and on the real development set (its acceleration
    # error at 30 fps, how its 2D shares the 3D's error, its bones' length std, what refinement without flow
    # takes off MPJPE and PA-MPJPE where nothing is swapped): the orientation errs mostly out of the image
    # plane and shakes fast as a whole body, its 2D carries 60% of it and not the size error, bones keep
    # their lengths better than joints their places. "hmr" is an HMR-family model on the same kind of video,
    # better in 3D with fewer swaps, its 2D as MediaPipe's (the share measured on MediaPipe; no real HMR output
    # here to measure). See benchmarks/experiments/calibrate_noise.py, estimate_2d_share.py and
    # simulator_gain.py.
    "mediapipe": EstimatorProfile(
        bias_mm=12.0, drift_mm=9.0, drift_tau_s=0.6, jitter_mm=2.5,
        orient_bias_deg=8.0, orient_drift_deg=4.0, scale_error=0.12,
        depth_error=0.10, depth_drift=0.03, gross_rate_hz=0.45, gross_frames=(4, 20),
        kp_noise_px=0.6, kp_miss_rate=0.0, kp_miss_px=3.0, conf_scale_px=8.0,
        kp_from_3d=True, z_factor=6.5, swap_share=0.75, swap_roots=True, fast_px=12.0,
        kp_orient_share=0.6, kp_scale=False, roll_factor=0.25, orient_shake_deg=8.0, bone_keep=0.35,
    ),
    "hmr": EstimatorProfile(
        bias_mm=15.0, drift_mm=10.0, drift_tau_s=0.5, jitter_mm=5.0,
        orient_bias_deg=8.0, orient_drift_deg=4.0, scale_error=0.06,
        depth_error=0.08, depth_drift=0.02, gross_rate_hz=0.4, gross_frames=(3, 15),
        kp_noise_px=0.8, kp_miss_rate=0.02, kp_miss_px=6.0, conf_scale_px=8.0,
        kp_from_3d=True, z_factor=2.5, swap_share=0.75, swap_roots=True, fast_px=6.0,
        kp_orient_share=0.6, kp_scale=False, roll_factor=0.25,
    ),
    "clean": EstimatorProfile(
        bias_mm=1.0, drift_mm=1.0, drift_tau_s=0.5, jitter_mm=0.5, orient_bias_deg=0.2, orient_drift_deg=0.1,
        scale_error=0.002, depth_error=0.005, depth_drift=0.001, gross_rate_hz=0.0, gross_frames=(1, 1),
        kp_noise_px=0.3, kp_miss_rate=0.0, kp_miss_px=0.0, conf_scale_px=2.0,
    ),
}
"""Presets: ``mediapipe`` and ``hmr`` are the realistic profiles (above); ``metro`` and ``spin`` are calibrated to
Human3.6M/3DPW-like errors of those methods, with 2D keypoints that err apart from the 3D (see
``benchmarks/experiments/calibrate_noise.py``); ``clean`` errs by a few millimetres."""


@dataclass(frozen=True)
class GrossError:
    """One gross error event: frames ``[start, start + length)`` of ``limb`` are swapped or depth-mirrored.

    Attributes:
        start: first frame.
        length: number of frames.
        kind: ``"swap"`` (the limb and its left-right partner exchange places) or ``"flip"`` (the limb's
            middle and end joints are mirrored in depth about its root joint).
        limb: a key of :data:`LIMBS`; for swaps, the left limb of the pair.
    """

    start: int
    length: int
    kind: str
    limb: str


def smooth_noise(
    rng: np.random.Generator, shape: tuple[int, ...], *, sigma: float, tau_frames: float
) -> np.ndarray:
    """Stationary, smooth, temporally correlated Gaussian noise along axis 0: Gaussian-filtered white noise.

    White noise convolved with ``k_n = exp(-n^2 / (2 s^2))``, ``s = tau / 2``, has the autocorrelation
    ``rho(k) = exp(-k^2 / (4 s^2)) = exp(-(k / tau)^2)``, which falls to 1/e at lag ``tau``. The kernel is
    scaled to unit energy (``sum k_n^2 = 1``) so that the output's std is ``sigma``. An Ornstein-Uhlenbeck
    process would be the textbook choice, but its paths are as rough as a random walk at short lags: its
    second differences have std ``sigma sqrt(2 (1 - a)(3 - a))`` (0.5 sigma for tau = 15 frames), so a slow
    drift would dominate the acceleration error. Smooth drift leaves that to the jitter, as in real
    estimators.

    Args:
        rng: the random generator.
        shape: (T, ...) output shape.
        sigma: stationary standard deviation.
        tau_frames: correlation time in frames (> 0).

    Returns:
        (T, ...) samples.
    """
    half = int(np.ceil(2.0 * tau_frames))  # 4 s = 2 tau: the kernel is below 4e-4 of its peak beyond
    n = np.arange(-half, half + 1)
    kernel = np.exp(-0.5 * (n / max(0.5 * tau_frames, 1e-6)) ** 2)
    kernel /= np.sqrt((kernel**2).sum())
    eps = rng.standard_normal((shape[0] + 2 * half,) + tuple(shape[1:]))
    # "valid" part of the convolution: every output sample sees a full kernel, so the std is sigma throughout.
    return sigma * convolve1d(eps, kernel, axis=0, mode="constant")[half : half + shape[0]]


def sample_gross_errors(
    rng: np.random.Generator, num_frames: int, *, fps: float, profile: EstimatorProfile
) -> list[GrossError]:
    """Draw gross error events: a Poisson process of rate ``profile.gross_rate_hz``.

    Args:
        rng: the random generator.
        num_frames: T.
        fps: frames per second.
        profile: gives the rate and the (min, max) duration in frames.

    Returns:
        Events with uniform start frames, uniform durations (clipped at the clip's end), a swap (legs or arms)
        with probability ``profile.swap_share``, else a flip (any of the four limbs).
    """
    count = rng.poisson(profile.gross_rate_hz * num_frames / fps)
    lo, hi = profile.gross_frames
    swaps, flips = ["l_leg", "l_arm"], list(LIMBS)
    events = []
    for _ in range(count):
        start = int(rng.integers(0, num_frames))
        length = min(int(rng.integers(lo, hi + 1)), num_frames - start)
        if rng.random() < profile.swap_share:
            kind, limb = "swap", swaps[int(rng.integers(len(swaps)))]
        else:
            kind, limb = "flip", flips[int(rng.integers(len(flips)))]
        events.append(GrossError(start=start, length=length, kind=kind, limb=limb))
    return events


def apply_gross_errors(rel: np.ndarray, events: list[GrossError], *, swap_roots: bool = False) -> np.ndarray:
    """Apply gross errors (2) to root-relative camera-frame joints.

    Args:
        rel: (T, 17, 3) root-relative joints.
        events: from :func:`sample_gross_errors`.
        swap_roots: swaps exchange the whole limbs (hip or shoulder included), not only middle and end.

    Returns:
        (T, 17, 3) a copy with the events applied, in order.
    """
    out = rel.copy()
    for ev in events:
        frames = slice(ev.start, ev.start + ev.length)
        if ev.kind == "swap":
            first = 0 if swap_roots else 1
            left = list(LIMBS[ev.limb][first:])
            right = list(LIMBS["r" + ev.limb[1:]][first:])
            out[frames, left + right] = out[frames, right + left]
        else:
            root, middle, end = LIMBS[ev.limb]
            z_root = out[frames, root : root + 1, 2]
            out[frames, [middle, end], 2] = 2.0 * z_root - out[frames, [middle, end], 2]
    return out


def keep_bones(pose: np.ndarray, lengths_of: np.ndarray, share: float) -> np.ndarray:
    """Move a pose's joints toward the pose whose bones keep their directions and take their lengths from another.

    Args:
        pose: (T, 17, 3) root-relative H36M-17 joints.
        lengths_of: (T, 17, 3) the pose whose bone lengths to keep (the truth, sized and turned as ``pose``).
        share: 0 (``pose`` unchanged) to 1 (the bones' lengths those of ``lengths_of``).

    Returns:
        (T, 17, 3) ``pose + share (kept - pose)``; ``kept`` built root outwards, each bone along ``pose``'s.
    """
    if share <= 0:
        return pose
    kept = pose.copy()
    for joint, parent in enumerate(H36M17.parents):
        if parent < 0:
            continue
        bone = pose[:, joint] - pose[:, parent]
        length = np.linalg.norm(lengths_of[:, joint] - lengths_of[:, parent], axis=-1, keepdims=True)
        kept[:, joint] = kept[:, parent] + length * bone / np.maximum(np.linalg.norm(bone, axis=-1, keepdims=True),
                                                                       1e-9)
    return pose + share * (kept - pose)


def _detections_2d(
    rng: np.random.Generator,
    joints3d: np.ndarray,
    K: np.ndarray,
    profile: EstimatorProfile,
    seen: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """2D keypoints and their confidences: ``seen`` (the estimator's own pose placed at the true root, for
    ``kp_from_3d``) or the ground truth, projected, plus pixel noise and misses (random, and on fast joints)."""
    T, J, _ = joints3d.shape
    truth = project_np(joints3d, K)
    clean = truth if seen is None else project_np(seen, K)
    px = person_height_px(truth) / REFERENCE_HEIGHT_PX  # pixel errors scale with the person's size
    noise = px * profile.kp_noise_px * rng.standard_normal((T, J, 2))
    missed = rng.random((T, J)) < profile.kp_miss_rate
    if np.isfinite(profile.fast_px) and T > 1:
        speed = np.linalg.norm(np.diff(truth, axis=0), axis=-1)
        speed = np.maximum(np.vstack([speed[:1], speed]), np.vstack([speed, speed[-1:]]))  # (T, J)
        missed |= (speed > px * profile.fast_px) & (rng.random((T, J)) < 0.5)
    noise[missed] += px * profile.kp_miss_px * rng.standard_normal((int(missed.sum()), 2))
    err = np.linalg.norm(noise, axis=-1)  # what the detector can know of its own error: not its pose's
    conf = 0.95 * np.exp(-0.5 * (err / (px * profile.conf_scale_px)) ** 2) - 0.05 * rng.random((T, J))
    conf[missed] = 0.3 * rng.random(int(missed.sum()))
    return (clean + noise).astype(np.float32), np.clip(conf, 0.0, 1.0).astype(np.float32)


def _check_inputs(joints3d: np.ndarray, K: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(joints3d, dtype=np.float64)
    if x.ndim != 3 or x.shape[1:] != (H36M17.num_joints, 3) or x.shape[0] < 1:
        raise ShapeError("joints3d", "(T, 17, 3)", x.shape, "simulate_estimates")
    if not np.isfinite(x).all() or (x[..., 2] <= 0).any():
        raise InputError("simulate_estimates: joints3d must be finite and in front of the camera (z > 0)")
    k = np.asarray(K, dtype=np.float64)
    if k.shape != (3, 3):
        raise ShapeError("K", "(3, 3)", k.shape, "simulate_estimates")
    if not (np.isfinite(fps) and fps > 0):
        raise InputError(f"simulate_estimates: fps must be positive, got {fps}")
    return x, k


def simulate_estimates(
    joints3d: np.ndarray, K: np.ndarray, *, fps: float, profile: EstimatorProfile | str, seed: int
) -> PoseSequence:
    """Simulate what a single-image 3D pose estimator and a 2D keypoint detector would output for a video.

    Args:
        joints3d: (T, 17, 3) ground-truth H36M-17 joints, camera frame, metres (z > 0).
        K: (3, 3) camera intrinsics, pixels.
        fps: frames per second (sets the drift correlation and gross-error rate in frames).
        profile: an :class:`EstimatorProfile` or a key of :data:`PROFILES`.
        seed: seed of the numpy Generator; the same seed gives the same output.

    Returns:
        A :class:`~flowpose.pose.PoseSequence` with the erroneous ``joints3d`` (eqs. 1-3), ``joints2d`` from
        an independent simulated 2D detector (or, ``kp_from_3d``, from the pose the 2D sees: see
        :class:`EstimatorProfile`), ``conf`` in [0, 1], the given ``K`` and ``fps``.

    Raises:
        ShapeError: for wrongly shaped ``joints3d`` or ``K``.
        InputError: for an unknown profile name, non-finite joints, joints behind the camera, or bad fps.

    Example:
        >>> est = simulate_estimates(gt, K, fps=30.0, profile="metro", seed=0)  # doctest: +SKIP
    """
    if isinstance(profile, str):
        if profile not in PROFILES:
            raise unknown_name_error("estimator profile", profile, list(PROFILES))
        profile = PROFILES[profile]
    x, K = _check_inputs(joints3d, K, fps)
    rng = np.random.default_rng(seed)
    T, J, _ = x.shape
    tau = profile.drift_tau_s * fps
    root = x[:, :1]
    rel = x - root
    # (1) rigid part: size and orientation about the pelvis.
    orient = np.radians(profile.orient_bias_deg) * rng.standard_normal(3) + smooth_noise(
        rng, (T, 3), sigma=np.radians(profile.orient_drift_deg), tau_frames=tau
    )
    if profile.orient_shake_deg > 0:  # drawn only where used, so that other profiles keep every other draw
        orient = orient + smooth_noise(
            rng, (T, 3), sigma=np.radians(profile.orient_shake_deg), tau_frames=profile.shake_tau_s * fps
        )
    orient = orient * np.array([1.0, 1.0, profile.roll_factor])  # camera axes: pitch (x), yaw (y), roll (z)
    scale = 1.0 + profile.scale_error * rng.standard_normal()
    turned = np.einsum("tij,tkj->tki", Rotation.from_rotvec(orient).as_matrix(), rel)
    rigid = scale * turned
    # (1) non-rigid part: bias + drift + jitter, weighted per joint (mm -> m).
    bias = profile.bias_mm * rng.standard_normal((1, J, 3))
    drift = smooth_noise(rng, (T, J, 3), sigma=profile.drift_mm, tau_frames=tau)
    jitter = profile.jitter_mm * rng.standard_normal((T, J, 3))
    axes = np.array([1.0, 1.0, profile.z_factor])
    nonrigid = 1e-3 * JOINT_WEIGHTS[None, :, None] * axes * (bias + drift + jitter)
    pose = keep_bones(rigid + nonrigid, rigid, profile.bone_keep)
    # (2) gross errors.
    events = sample_gross_errors(rng, T, fps=fps, profile=profile)
    pose = apply_gross_errors(pose, events, swap_roots=profile.swap_roots)
    # What a 2D detector sharing the network sees (kp_from_3d): the same articulation and gross errors, the
    # size error if kp_scale, and a share kp_orient_share of the global orientation error, which monocular
    # estimators make mostly out of the image plane.
    upright = (scale if profile.kp_scale else 1.0) * (rel + profile.kp_orient_share * (turned - rel))
    seen_rel = keep_bones(upright + nonrigid, upright, profile.bone_keep)
    seen = x[:, :1] + apply_gross_errors(seen_rel, events, swap_roots=profile.swap_roots)
    # (3) depth: scaling the pelvis position keeps its projection, as monocular depth ambiguity does.
    delta = profile.depth_error * rng.standard_normal() + smooth_noise(
        rng, (T, 1, 1), sigma=profile.depth_drift, tau_frames=tau
    )
    placed = 1.0 if profile.kp_scale or not profile.kp_from_3d else scale  # kp_scale: size and depth together
    pred = placed * (1.0 + delta) * root + pose
    joints2d, conf = _detections_2d(rng, x, K, profile, seen=seen if profile.kp_from_3d else None)
    return PoseSequence(
        joints3d=pred.astype(np.float32), K=K.astype(np.float32), joints2d=joints2d, conf=conf,
        skeleton="h36m17", fps=float(fps),
    )
