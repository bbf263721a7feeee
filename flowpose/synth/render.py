"""Render joint trajectories as a video of a textured body, with exact ground-truth optical flow.

Per frame t (vectorised over pixels, frame by frame for memory):

1. pose the body's rigid parts (:mod:`flowpose.synth.body`) and the background plane in camera t;
2. cast one ray per pixel centre (:mod:`flowpose.synth.raycast`): surface id, depth, local hit point;
3. colour = texture at the local hit point (:mod:`flowpose.synth.textures`) times Lambertian shading
   ``ambient + (1 - ambient) max(0, n . l)`` with the light fixed in the camera frame, averaged over
   ``s x s`` sub-pixel rays (anti-aliasing) at pixels near a surface boundary, or at every pixel;
4. flow t -> t+1 of the point ``p`` seen at pixel ``x``: ``x' = pi(R_{t+1} p + o_{t+1})`` with the pose of
   the same surface at t+1, ``F_t(x) = x' - x``; exact, because ``p`` is fixed in its part's frame (the
   background's frame is the world, so its flow is the camera's motion);
5. valid where ``x'`` is inside the image and the ray through ``x'`` at t+1 first hits the same surface at the
   same depth (an exact visibility test, finer than a depth-map lookup: no sampling of a depth image).

The shading makes a surface point's brightness change when its part turns relative to the light: that is
real in video, but it is also the one thing besides sampling that keeps ``I_{t+1}(x + F_t(x)) = I_t(x)`` from
holding exactly. ``ambient`` keeps it mild (default: +-15 % brightness at most).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import maximum_filter, minimum_filter
from scipy.spatial.transform import Rotation

from flowpose.errors import InputError, ShapeError
from flowpose.skeleton import H36M17
from flowpose.synth.body import Body, build_body
from flowpose.synth.raycast import (
    NEAR_M,
    PLANE,
    Hits,
    RayGrid,
    Scene,
    cast_grid,
    cast_points,
    group_by_surface,
    rows_times,
)
from flowpose.synth.textures import SolidTexture, TextureConfig, clip_textures


@dataclass(frozen=True)
class RenderConfig:
    """How a clip is rendered; every length in metres, angle in degrees, time in seconds."""

    size: int = 256
    """Output height = width, pixels."""
    supersample: int = 2
    """Anti-aliasing: s x s colour samples per pixel (flow, masks and validity use the pixel centres)."""
    supersample_edges_only: bool = True
    """Supersample only pixels whose 3x3 neighbourhood sees more than one surface, and take one centre sample
    elsewhere, where the band-limited textures (finest wavelength >= ``texture.min_wavelength_px``) need
    none: ~3x faster at 256 x 256. False supersamples every pixel (a box filter everywhere)."""
    background_depth_m: float = 8.0
    """Depth of the textured background plane, camera frame of the first frame, metres."""
    camera_motion: bool = False
    """Move the camera slowly (constant-rate pan/tilt and translation, direction drawn from the seed)."""
    camera_pan_deg_per_s: float = 3.0
    """Camera rotation rate when ``camera_motion``, degrees per second."""
    camera_shift_m_per_s: float = 0.15
    """Camera translation speed when ``camera_motion``, metres per second."""
    ambient: float = 0.7
    """Ambient share of the shading in [0, 1]; 1 = flat (no shading), lower = stronger 3D look."""
    light_from: tuple[float, float, float] = (-0.4, -0.6, -1.0)
    """Direction towards the light in the camera frame (here: above-left, behind the camera); normalised."""
    visibility_tolerance_m: float = 1e-3
    """Depth difference, metres, under which the re-cast hit at t+1 counts as the same point."""
    thickness: float = 1.0
    """Factor on the body parts' radii."""
    texture: TextureConfig = field(default_factory=TextureConfig)
    """Scales and contrast of the procedural textures."""

    def __post_init__(self) -> None:
        if self.size < 8:
            raise InputError(f"RenderConfig.size must be >= 8 pixels, got {self.size}")
        if self.supersample < 1:
            raise InputError(f"RenderConfig.supersample must be >= 1, got {self.supersample}")
        if not self.background_depth_m > NEAR_M:
            raise InputError(f"RenderConfig.background_depth_m must be > {NEAR_M} m, "
                             f"got {self.background_depth_m}")
        if not 0.0 <= self.ambient <= 1.0:
            raise InputError(f"RenderConfig.ambient must be in [0, 1], got {self.ambient}")
        if not self.visibility_tolerance_m > 0:
            raise InputError(f"RenderConfig.visibility_tolerance_m must be > 0, "
                             f"got {self.visibility_tolerance_m}")
        if not np.linalg.norm(self.light_from) > 0:
            raise InputError(f"RenderConfig.light_from must be a non-zero vector, got {self.light_from}")


@dataclass(frozen=True)
class RenderedClip:
    """A rendered video with its ground truth.

    Attributes:
        frames: (T, H, W, 3) uint8 RGB.
        joints3d: (T, 17, 3) float32 joints in the camera frame of each frame (after camera motion), metres.
        joints2d: (T, 17, 2) float32 projected joints, pixels.
        K: (3, 3) float32 intrinsics.
        flow: (T-1, H, W, 2) float32 forward flow t -> t+1 of every pixel (body and background), pixels.
        flow_valid: (T-1, H, W) bool: the point seen at t is visible at t+1 and lands inside the image
            (within the outer pixel centres, [0, W-1] x [0, H-1], so that bilinear sampling needs no border).
        human_mask: (T, H, W) bool: the pixel centre sees a body part.
        fps: frames per second.
    """

    frames: np.ndarray
    joints3d: np.ndarray
    joints2d: np.ndarray
    K: np.ndarray
    flow: np.ndarray
    flow_valid: np.ndarray
    human_mask: np.ndarray
    fps: float


def camera_trajectory(num_frames: int, fps: float, config: RenderConfig,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """World -> camera transforms ``X_t = R_t X + t_t``, the world being the first frame's camera.

    With ``config.camera_motion`` the camera turns at a constant rate about a random axis in its x-y plane
    (pan and tilt) and moves at a constant velocity in a random direction; otherwise it is static.

    Args:
        num_frames: T.
        fps: frames per second.
        config: rates.
        rng: random generator (consumed only with camera motion).

    Returns:
        (T, 3, 3) rotations and (T, 3) translations, metres.
    """
    rotation = np.broadcast_to(np.eye(3), (num_frames, 3, 3)).copy()
    translation = np.zeros((num_frames, 3))
    if not config.camera_motion:
        return rotation, translation
    time = np.arange(num_frames) / fps
    angle = rng.uniform(0.0, 2.0 * np.pi)
    axis = np.array([np.sin(angle), np.cos(angle), 0.0])  # a mix of pan (about y) and tilt (about x)
    velocity = rng.normal(size=3) * [1.0, 0.5, 0.3]
    velocity *= config.camera_shift_m_per_s / np.linalg.norm(velocity)
    rotvec = np.outer(time, axis) * np.deg2rad(config.camera_pan_deg_per_s)
    rotation = Rotation.from_rotvec(rotvec).as_matrix()
    centre = np.outer(time, velocity)
    translation = -np.einsum("tij,tj->ti", rotation, centre)  # X_t = R_t (X - C_t)
    return rotation, translation


def _scene(body: Body, t: int, cam_R: np.ndarray, cam_t: np.ndarray, background_depth_m: float) -> Scene:
    """The body's parts at frame t plus the background plane (last), posed in camera t."""
    rotation = np.concatenate([cam_R @ body.rotation[t], cam_R[None]])
    origin = np.concatenate([body.origin[t] @ cam_R.T + cam_t, cam_t[None]])
    return Scene(
        kind=np.append(body.kind, PLANE),
        radii=np.concatenate([body.radii, np.zeros((1, 2))]),
        z0=np.append(body.z0, background_depth_m),
        z1=np.append(body.z1, background_depth_m),
        rotation=rotation,
        origin=origin,
    )


def _shade_colours(hits: Hits, textures: list[SolidTexture], config: RenderConfig) -> np.ndarray:
    """(N, 3) shaded RGB in [0, 1] of N hits (black where nothing is hit)."""
    light = np.asarray(config.light_from, np.float64)
    light = light / np.linalg.norm(light)
    colour = np.zeros(hits.local.shape, np.float32)
    for k, idx in group_by_surface(hits.surface):
        colour[idx] = textures[k](hits.local[idx])
    cosine = np.einsum("nd,d->n", hits.normal.astype(np.float32), light.astype(np.float32))
    lambert = np.clip(cosine, 0.0, None)
    return colour * (config.ambient + (1.0 - config.ambient) * lambert)[:, None]


def _render_colour(centre: Hits, samples: RayGrid | None, scene: Scene, K: np.ndarray,
                   textures: list[SolidTexture], config: RenderConfig) -> np.ndarray:
    """(H, W, 3) uint8 frame from the centre samples, with s x s sub-pixel samples averaged where needed.

    ``samples`` (the full sub-pixel grid) is given when every pixel is supersampled; otherwise only pixels
    whose 3x3 neighbourhood sees more than one surface (silhouettes, overlapping parts) are, by casting their
    sub-pixel rays (see ``RenderConfig.supersample_edges_only``).
    """
    n, s = config.size, config.supersample
    if samples is not None:
        rgb = _shade_colours(cast_grid(samples, scene), textures, config)
        rgb = rgb.reshape(n, s, n, s, 3).mean(axis=(1, 3))
    else:
        rgb = _shade_colours(centre, textures, config).reshape(n, n, 3)
        surface = centre.surface.reshape(n, n)
        edge = maximum_filter(surface, size=3) != minimum_filter(surface, size=3) if s > 1 else None
        if edge is not None and edge.any():
            rows, cols = np.nonzero(edge)
            offset = (np.arange(s) + 0.5) / s - 0.5  # sub-pixel positions, pixel centre at 0
            du, dv = (a.ravel() for a in np.meshgrid(offset, offset))
            hits = cast_points((cols[:, None] + du).ravel(), (rows[:, None] + dv).ravel(), K, scene)
            rgb[rows, cols] = _shade_colours(hits, textures, config).reshape(-1, s * s, 3).mean(axis=1)
    return np.round(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8)


def _flow(centre: Hits, nxt: Scene, K: np.ndarray, config: RenderConfig) -> tuple[np.ndarray, np.ndarray]:
    """Exact forward flow and validity of the pixel centres (see the module docstring, steps 4-5)."""
    n = config.size
    flow = np.zeros((n * n, 2))
    valid = np.zeros(n * n, dtype=bool)
    hit = np.nonzero(centre.surface >= 0)[0]
    k = centre.surface[hit]
    moved = np.einsum("nij,nj->ni", nxt.rotation[k], centre.local[hit]) + nxt.origin[k]  # X_{t+1} = R p + o
    z = moved[:, 2]
    front = z > NEAR_M
    with np.errstate(divide="ignore", invalid="ignore"):
        pix = rows_times(moved, np.asarray(K, np.float64).T)
        u1, v1 = pix[:, 0] / z, pix[:, 1] / z
    v0, u0 = np.divmod(hit, n)
    flow[hit, 0] = np.where(front, u1 - u0, 0.0)
    flow[hit, 1] = np.where(front, v1 - v0, 0.0)
    inside = front & (u1 >= 0) & (u1 <= n - 1) & (v1 >= 0) & (v1 <= n - 1)
    probe = np.nonzero(inside)[0]
    again = cast_points(u1[probe], v1[probe], K, nxt)
    same = (again.surface == k[probe]) & (np.abs(again.depth - z[probe]) <= config.visibility_tolerance_m)
    valid[hit[probe[same]]] = True
    return flow.reshape(n, n, 2).astype(np.float32), valid.reshape(n, n)


def _check_inputs(joints_cam: np.ndarray, K: np.ndarray, fps: float, config: RenderConfig) -> None:
    if joints_cam.ndim != 3 or joints_cam.shape[1:] != (H36M17.num_joints, 3) or joints_cam.shape[0] < 1:
        raise ShapeError("joints_cam", "(T>=1, 17, 3)", joints_cam.shape, "render_clip")
    if K.shape != (3, 3):
        raise ShapeError("K", "(3, 3)", K.shape, "render_clip")
    if not (np.isfinite(K).all() and K[0, 0] > 0 and K[1, 1] > 0 and np.allclose(K[2], [0, 0, 1])):
        raise InputError(f"render_clip: K must be finite with fx, fy > 0 and last row (0, 0, 1), "
                         f"got {K.tolist()}")
    if not fps > 0:
        raise InputError(f"render_clip: fps must be > 0, got {fps}")
    if not np.isfinite(joints_cam).all():
        raise InputError("render_clip: joints_cam must be finite; got NaN or inf (fill missing joints first)")
    if (joints_cam[..., 2] <= NEAR_M).any():
        raise InputError(f"render_clip: every joint must be in front of the camera (z > {NEAR_M} m); "
                         f"got min z = {joints_cam[..., 2].min():.3f} m")
    if (joints_cam[..., 2] >= config.background_depth_m).any():
        warnings.warn(f"render_clip: some joints are at or behind the background plane "
                      f"(z >= {config.background_depth_m} m) and will be hidden", stacklevel=3)


def render_clip(joints_cam: np.ndarray, K: np.ndarray, *, fps: float, config: RenderConfig = RenderConfig(),
                seed: int = 0) -> RenderedClip:
    """Render H36M-17 joint trajectories as a textured body in front of a textured plane, with exact flow.

    Args:
        joints_cam: (T, 17, 3) H36M-17 joints in metres, OpenCV camera frame (x right, y down, z forward) of
            the first frame's camera.
        K: (3, 3) intrinsics in pixels for a ``config.size`` square image.
        fps: frames per second (sets the camera's motion per frame).
        config: rendering options.
        seed: seed of the textures and of the camera motion; same inputs and seed give identical bytes.

    Returns:
        The :class:`RenderedClip`.

    Raises:
        ShapeError: for a wrong ``joints_cam`` or ``K`` shape.
        InputError: for non-finite joints, joints behind the camera, a bad K or fps.

    Example:
        >>> from flowpose.synth.body import T_POSE
        >>> K = np.array([[80.0, 0, 31.5], [0, 80.0, 31.5], [0, 0, 1]])
        >>> joints = T_POSE[None].repeat(2, 0) + [0, 0, 4.0]
        >>> clip = render_clip(joints, K, fps=30, config=RenderConfig(size=64))
        >>> clip.frames.shape, clip.flow.shape
        ((2, 64, 64, 3), (1, 64, 64, 2))
    """
    joints_cam = np.asarray(joints_cam, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    _check_inputs(joints_cam, K, fps, config)
    tex_seed, cam_seed = np.random.SeedSequence(seed).spawn(2)
    num_frames, n = joints_cam.shape[0], config.size
    cam_R, cam_t = camera_trajectory(num_frames, fps, config, np.random.default_rng(cam_seed))
    body = build_body(joints_cam, thickness=config.thickness)
    focal = 0.5 * (K[0, 0] + K[1, 1])
    textures = clip_textures(body.groups, seed=int(tex_seed.generate_state(1)[0]), config=config.texture,
                             body_pixel_m=float(np.median(joints_cam[:, 0, 2])) / focal,
                             background_pixel_m=config.background_depth_m / focal)
    pixels = np.arange(n, dtype=np.float64)
    centres = RayGrid.build(pixels, pixels, K)
    sub = (np.arange(n * config.supersample) + 0.5) / config.supersample - 0.5  # sub-pixel sample positions
    full = config.supersample > 1 and not config.supersample_edges_only
    samples = RayGrid.build(sub, sub, K) if full else None

    frames = np.zeros((num_frames, n, n, 3), np.uint8)
    human_mask = np.zeros((num_frames, n, n), bool)
    flow = np.zeros((max(num_frames - 1, 0), n, n, 2), np.float32)
    flow_valid = np.zeros((max(num_frames - 1, 0), n, n), bool)
    scene = _scene(body, 0, cam_R[0], cam_t[0], config.background_depth_m)
    for t in range(num_frames):
        centre = cast_grid(centres, scene)
        frames[t] = _render_colour(centre, samples, scene, K, textures, config)
        human_mask[t] = ((centre.surface >= 0) & (centre.surface < body.num_parts)).reshape(n, n)
        if t + 1 < num_frames:
            nxt = _scene(body, t + 1, cam_R[t + 1], cam_t[t + 1], config.background_depth_m)
            flow[t], flow_valid[t] = _flow(centre, nxt, K, config)
            scene = nxt

    joints3d = np.einsum("tij,tnj->tni", cam_R, joints_cam) + cam_t[:, None, :]
    pix = joints3d @ K.T
    joints2d = pix[..., :2] / pix[..., 2:3]
    return RenderedClip(
        frames=frames, joints3d=joints3d.astype(np.float32), joints2d=joints2d.astype(np.float32),
        K=K.astype(np.float32), flow=flow, flow_valid=flow_valid, human_mask=human_mask, fps=float(fps),
    )
