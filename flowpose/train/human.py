"""Training pairs from the synthetic human renderer: real mocap motion, rendered with exact flow.

Rendering is slower than training on a pair (about 0.2-0.3 s per 144 px frame), so short clips are rendered
lazily into an in-memory pool and many pairs are drawn from each. Which clip fills a pool slot is a pure
function of ``(seed, generation, slot)``, and the pool is renewed every ``refresh_steps`` training steps, so a
batch depends only on its step number: a resumed run sees the same data as an uninterrupted one.

The mocap files stay where the caller keeps them (``../shared/data/mocap``); nothing is copied.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flowpose.errors import FlowposeError, InputError
from flowpose.train.sample import FlowSample


@dataclass(frozen=True)
class HumanConfig:
    """How human clips are drawn and rendered."""

    clip_frames: int = 6
    """Frames per rendered clip (clip_frames - 1 pairs)."""
    fps: float = 30.0
    """Nominal frame rate of the rendered clips; mocap is subsampled to it."""
    speed: tuple[float, float] = (1.0, 3.0)
    """Range of the playback speed factor (bigger = larger motion per frame)."""
    distance_m: tuple[float, float] = (1.8, 4.0)
    """Range of the person's distance from the camera, metres."""
    fov_deg: tuple[float, float] = (35.0, 60.0)
    """Range of the horizontal field of view, degrees."""
    max_offset: float = 0.25
    """Largest lateral offset of the person from the optical axis, as a fraction of the distance."""
    camera_motion_prob: float = 0.5
    """Probability that the camera pans/moves during the clip."""
    pool_size: int = 48
    """Number of clips in the pool."""
    refresh_steps: int = 1000
    """Steps after which the pool is renewed with new clips."""


def list_motions(mocap_dir: Path) -> list[Path]:
    """All ``.bvh`` and ``.npz`` motion files under ``mocap_dir``, sorted.

    Args:
        mocap_dir: folder of motion clips (searched recursively).

    Returns:
        The files.

    Raises:
        InputError: if the folder does not exist or holds no motion file.
    """
    mocap_dir = Path(mocap_dir)
    if not mocap_dir.is_dir():
        raise InputError(f"mocap folder {mocap_dir} does not exist; expected a folder of .bvh/.npz clips")
    files = sorted(p for p in mocap_dir.rglob("*") if p.suffix in (".bvh", ".npz"))
    if not files:
        raise InputError(f"mocap folder {mocap_dir} holds no .bvh or .npz clip")
    return files


def load_motions(paths: Sequence[Path]) -> list[tuple[np.ndarray, float]]:
    """Load motions as (joints (T, 17, 3) world metres y-up, fps), skipping unreadable files with a warning.

    Args:
        paths: motion files.

    Returns:
        The loaded clips.

    Raises:
        InputError: if none of them could be read.
    """
    from flowpose.io.motion import load_motion

    motions = []
    for path in paths:
        try:
            motion = load_motion(path)
        except FlowposeError as exc:
            warnings.warn(f"skipping motion {path}: {exc}", stacklevel=2)
            continue
        motions.append((motion.joints, float(motion.fps)))
    if not motions:
        raise InputError(f"none of the {len(paths)} motion files could be read: {[str(p) for p in paths]}")
    return motions


def render_random_clip(
    rng: np.random.Generator, motions: Sequence[tuple[np.ndarray, float]], size: int, config: HumanConfig
) -> list[FlowSample]:
    """Render one random short clip and return its consecutive pairs.

    A random motion, start frame and playback speed; the person placed at a random distance, yaw and
    lateral offset in front of a camera with a random field of view.

    Args:
        rng: random generator (the clip is a pure function of its state).
        motions: clips as (joints (T, 17, 3) world metres y-up, fps).
        size: square image size, pixels.
        config: sampling ranges.

    Returns:
        ``config.clip_frames - 1`` pairs with flow, validity and the frame-1 human mask.
    """
    from flowpose.synth.placement import default_intrinsics, place_in_camera
    from flowpose.synth.render import RenderConfig, render_clip

    joints, fps = motions[int(rng.integers(len(motions)))]
    stride = max(1, int(round(fps / config.fps * rng.uniform(*config.speed))))
    span = stride * (config.clip_frames - 1) + 1
    if joints.shape[0] < span:  # a short clip played fast: slow down to fit
        stride = max(1, (joints.shape[0] - 1) // max(1, config.clip_frames - 1))
        span = stride * (config.clip_frames - 1) + 1
    start = int(rng.integers(max(1, joints.shape[0] - span + 1)))
    window = joints[start : start + span : stride]
    distance = rng.uniform(*config.distance_m)
    cam = place_in_camera(window, distance_m=distance, yaw_deg=rng.uniform(-180.0, 180.0))
    offset = rng.uniform(-1, 1, size=2) * config.max_offset * distance
    cam = cam + np.array([offset[0], offset[1], 0.0], np.float32)
    K = default_intrinsics(size, size, fov_deg=rng.uniform(*config.fov_deg))
    render = RenderConfig(size=size, camera_motion=bool(rng.random() < config.camera_motion_prob))
    clip = render_clip(cam, K, fps=config.fps, config=render, seed=int(rng.integers(2**31)))
    return [
        FlowSample(clip.frames[t], clip.frames[t + 1], clip.flow[t], clip.flow_valid[t], clip.human_mask[t])
        for t in range(clip.flow.shape[0])
    ]


class HumanPairSource:
    """A lazily rendered, periodically renewed pool of human clips to draw training pairs from.

    Args:
        motion_paths: the training motion files (read once, on first use).
        size: square render size, pixels.
        seed: seed of the pool's clips.
        config: sampling ranges and pool size.

    Example:
        >>> src = HumanPairSource(list_motions(Path("../shared/data/mocap")), 128, seed=0)  # doctest: +SKIP
        >>> src.sample(np.random.default_rng(0), step=0).flow.shape  # doctest: +SKIP
        (128, 128, 2)
    """

    def __init__(
        self, motion_paths: Sequence[Path], size: int, *, seed: int, config: HumanConfig = HumanConfig()
    ):
        if not motion_paths:
            raise InputError("HumanPairSource: motion_paths is empty; expected at least one motion file")
        self.motion_paths = list(motion_paths)
        self.size = int(size)
        self.seed = int(seed)
        self.config = config
        self._motions: list[tuple[np.ndarray, float]] | None = None
        self._pool: dict[tuple[int, int], list[FlowSample]] = {}

    def clip(self, generation: int, slot: int) -> list[FlowSample]:
        """The pairs of pool slot ``slot`` in pool generation ``generation`` (rendered on first use)."""
        key = (generation, slot)
        if key not in self._pool:
            if self._motions is None:
                self._motions = load_motions(self.motion_paths)
            self._pool = {k: v for k, v in self._pool.items() if k[0] == generation}  # drop older generations
            rng = np.random.default_rng([self.seed, generation, slot])
            self._pool[key] = render_random_clip(rng, self._motions, self.size, self.config)
        return self._pool[key]

    def sample(self, rng: np.random.Generator, step: int) -> FlowSample:
        """Draw one pair for training step ``step``.

        Args:
            rng: generator choosing the slot and the pair.
            step: training step (selects the pool generation).

        Returns:
            A pair of ``size`` x ``size`` frames.
        """
        pairs = self.clip(step // self.config.refresh_steps, int(rng.integers(self.config.pool_size)))
        return pairs[int(rng.integers(len(pairs)))]
