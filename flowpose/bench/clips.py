"""The benchmark's clip set: synthetic clips rendered from the shared mocap clips, cached on disk.

Every ``.bvh`` under the mocap folder is one clip, named by its path without suffix (``cmu_3dsmax/131_02``).
One of them, :data:`TUNING_CLIP`, is held out: the baselines' parameters are tuned on it and it is never
evaluated, so that no method sees its test clips before the test.

Rendering is slow (about a minute per 100 frames at 256x256 on a CPU core), so each rendered clip is cached
as ``<cache>/<clip>_<profile>_<seed>_<frames>_<size>.npz`` with the frames, the ground truth, the simulated
estimate and a key: :data:`CACHE_VERSION`, the full synthesis config, the estimator profile's parameters (not
only its name), a digest of the synthesis code (``flowpose/synth/*.py``) and the motion file's SHA-256. A cache
file whose key differs is stale and rendered again; one that cannot be read is an error.
"""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from flowpose import synth as synth_package
from flowpose.errors import InputError
from flowpose.io.motion import load_motion, resample
from flowpose.io.npz import write_npz
from flowpose.pose import PoseSequence
from flowpose.synth.clip import SynthClip, SynthConfig, make_clip
from flowpose.synth.noise import PROFILES, simulate_estimates
from flowpose.synth.render import RenderedClip

CACHE_VERSION = "bench-clip-v3"
"""Bump when code outside ``flowpose/synth`` changes what a clip renders to (the key covers that package)."""

TUNING_CLIP = "cmu_3dsmax/131_01"
"""The clip the baselines are tuned on; excluded from evaluation (a walk, like several test clips, so the
tuned parameters suit them without having seen them)."""

_RENDERED_KEYS = ("frames", "joints3d", "joints2d", "K", "flow", "flow_valid", "human_mask")


@dataclass(frozen=True)
class BenchClip:
    """One mocap clip of the suite.

    Attributes:
        name: the path below the mocap folder without suffix, e.g. ``"fair/dab"``.
        path: the ``.bvh`` file.
    """

    name: str
    path: Path

    @property
    def slug(self) -> str:
        """The name as one file-name component (``/`` -> ``-``)."""
        return self.name.replace("/", "-")

    def seed(self, base: int) -> int:
        """A fixed per-clip seed: ``base`` plus a stable hash of the name (CRC-32, not Python's salted hash)."""
        return base + zlib.crc32(self.name.encode()) % 10_000


def discover_clips(mocap_dir: Path) -> list[BenchClip]:
    """Every ``.bvh`` below ``mocap_dir``, sorted by name.

    Raises:
        InputError: when the folder is missing or holds no ``.bvh`` file.
    """
    root = Path(mocap_dir)
    files = sorted(root.rglob("*.bvh")) if root.is_dir() else []
    if not files:
        raise InputError(f"{root}: expected a folder of .bvh mocap clips (the shared data), found none")
    return [BenchClip(f.relative_to(root).with_suffix("").as_posix(), f) for f in files]


def tuning_clip(mocap_dir: Path) -> BenchClip:
    """The held-out tuning clip (:data:`TUNING_CLIP`) below ``mocap_dir``, for the scripts that tune on it.

    Raises:
        InputError: when its ``.bvh`` file is missing.
    """
    path = Path(mocap_dir) / f"{TUNING_CLIP}.bvh"
    if not path.is_file():
        raise InputError(f"{path}: expected the tuning clip's mocap file (the shared data), found none")
    return BenchClip(TUNING_CLIP, path)


def split_clips(
    clips: Sequence[BenchClip], tuning: str = TUNING_CLIP, select: Sequence[str] | None = None
) -> tuple[BenchClip, list[BenchClip]]:
    """Separate the tuning clip from the evaluation clips.

    Args:
        clips: the whole suite.
        tuning: name of the held-out tuning clip.
        select: names of the clips to evaluate (in this order); None for all but the tuning clip.

    Returns:
        (tuning clip, evaluation clips); the tuning clip is never among the evaluation clips.

    Raises:
        InputError: for an unknown name, or the tuning clip asked for as an evaluation clip.
    """
    by_name = {c.name: c for c in clips}
    unknown = [n for n in [tuning, *(select or [])] if n not in by_name]
    if unknown:
        raise InputError(f"unknown clip(s) {unknown}; the suite has {sorted(by_name)}")
    if select is not None and tuning in select:
        raise InputError(f"clip {tuning!r} is the baselines' tuning clip and cannot be evaluated; choose others")
    chosen = [by_name[n] for n in select] if select is not None else [c for c in clips if c.name != tuning]
    return by_name[tuning], chosen


def synth_config(clip: BenchClip, *, profile: str, frames: int, size: int, seed: int, fps: float = 30.0,
                 pitch_deg: float = 0.0) -> SynthConfig:
    """The synthesis settings of a clip: at most ``frames`` frames from the middle of the motion at ``fps``, the
    camera pitched down by ``pitch_deg`` (:attr:`~flowpose.synth.clip.SynthConfig.pitch_deg`).

    The middle rather than the start: mocap takes often begin and end standing still (a T-pose or a wait),
    which would flatter every method. Clips shorter than ``frames`` are used whole.
    """
    motion = load_motion(clip.path)
    available = resample(motion, fps).num_frames if abs(motion.fps - fps) > 1e-6 else motion.num_frames
    n = min(frames, available)
    return SynthConfig(frames=n, start=(available - n) // 2, fps=fps, size=size, profile=profile, seed=clip.seed(seed),
                       pitch_deg=pitch_deg)


def cache_path(cache_dir: Path, clip: BenchClip, config: SynthConfig) -> Path:
    """``<cache_dir>/<clip>_<profile>_<seed>_<frames>_<size>.npz``, with ``_pitch<degrees>`` before the suffix for a
    pitched camera."""
    pitch = f"_pitch{config.pitch_deg:g}" if config.pitch_deg else ""
    return Path(cache_dir) / f"{clip.slug}_{config.profile}_{config.seed}_{config.frames}_{config.size}{pitch}.npz"


def synthesis_code_digest() -> str:
    """SHA-256 over the ``flowpose/synth`` package's ``.py`` files (names and bytes, sorted by name): the code
    that renders a clip and simulates its estimate."""
    h = hashlib.sha256()
    for path in sorted(Path(synth_package.__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def cache_key(clip: BenchClip, config: SynthConfig) -> str:
    """What a cached clip must have been made from: version, full synthesis config, the estimator profile's
    parameters, the synthesis code's digest, motion file hash.

    The profile's parameters are in the key, not just its name: a key with the name alone serves clips simulated
    by an earlier draft of the profile, the likeliest cause of a stale ``mediapipe`` table (benchmarks/RESULTS.md,
    seventeenth session)."""
    return json.dumps({
        "version": CACHE_VERSION, "config": asdict(config), "profile": asdict(PROFILES[config.profile]),
        "synth_code_sha256": synthesis_code_digest(), "motion_sha256": hashlib.sha256(clip.path.read_bytes()).hexdigest(),
    }, sort_keys=True)


def save_clip(path: Path, clip: SynthClip, key: str) -> None:
    """Write a rendered clip with its estimate and key (atomically)."""
    r, e = clip.rendered, clip.estimate
    arrays = {k: getattr(r, k) for k in _RENDERED_KEYS}
    arrays.update(
        fps=np.float64(r.fps), key=np.str_(key), est_joints3d=e.joints3d, est_K=np.asarray(e.K),
        est_joints2d=e.joints2d, est_conf=e.confidence(), est_skeleton=np.str_(e.skeleton), est_fps=np.float64(e.fps),
    )
    write_npz(path, arrays, compress=True)


def load_clip(path: Path, key: str) -> SynthClip | None:
    """Read a cached clip; None when the file is absent or was made from another key (stale).

    Raises:
        InputError: for a file that exists but cannot be read or fails validation (delete it to re-render).
    """
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as data:  # np.load(path) leaks it if corrupt
            if str(data["key"]) != key:
                return None
            arrays = {k: data[k] for k in data.files}
        rendered = RenderedClip(**{k: arrays[k] for k in _RENDERED_KEYS}, fps=float(arrays["fps"]))
        estimate = PoseSequence(
            joints3d=arrays["est_joints3d"], K=arrays["est_K"], joints2d=arrays["est_joints2d"],
            conf=arrays["est_conf"], skeleton=str(arrays["est_skeleton"]), fps=float(arrays["est_fps"]),
        )
        clip = SynthClip(rendered, estimate)
        gt = clip.gt  # validates the ground-truth arrays
    except InputError as e:  # first: InputError is also a ValueError
        raise InputError(f"{path}: invalid cached clip ({e}); delete it to render again") from e
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise InputError(f"{path}: unreadable cached clip ({type(e).__name__}: {e}); delete it to render again") from e
    if rendered.frames.shape[:3] != (gt.num_frames, *gt.image_size) or estimate.num_frames != gt.num_frames:
        raise InputError(f"{path}: frames, ground truth and estimate disagree in size; delete it to render again")
    return clip


def get_clips(
    clip: BenchClip,
    *,
    profiles: Sequence[str],
    frames: int,
    size: int,
    seed: int,
    cache_dir: Path | None,
    pitch_deg: float = 0.0,
) -> dict[str, SynthClip]:
    """A mocap clip rendered once and estimated with every profile, from the cache where possible.

    Rendering does not depend on the estimator profile (:func:`~flowpose.synth.clip.make_clip` renders, then
    simulates), so a clip is rendered once and each further profile only re-runs the simulation, exactly as
    ``make_clip`` with that profile would.

    Args:
        clip: the mocap clip.
        profiles: estimator profiles (keys of :data:`flowpose.synth.noise.PROFILES`).
        frames: most frames per clip (fewer when the motion is shorter).
        size: image side, px.
        seed: base seed (see :meth:`BenchClip.seed`).
        cache_dir: cache folder (created), or None to render without caching.
        pitch_deg: how far the camera looks down, degrees (0: level).

    Returns:
        Profile -> synthetic clip.
    """
    out: dict[str, SynthClip] = {}
    missing: list[tuple[str, SynthConfig, str]] = []
    for profile in profiles:
        cfg = synth_config(clip, profile=profile, frames=frames, size=size, seed=seed, pitch_deg=pitch_deg)
        key = cache_key(clip, cfg)
        cached = load_clip(cache_path(cache_dir, clip, cfg), key) if cache_dir is not None else None
        if cached is None:
            missing.append((profile, cfg, key))
        else:
            out[profile] = cached
    rendered = None
    for profile, cfg, key in missing:
        if rendered is None:
            rendered = make_clip(load_motion(clip.path), cfg).rendered
        estimate = simulate_estimates(rendered.joints3d, rendered.K, fps=cfg.fps, profile=profile, seed=cfg.seed)
        out[profile] = SynthClip(rendered, estimate)
        if cache_dir is not None:
            path = cache_path(cache_dir, clip, cfg)
            if path.exists():
                warnings.warn(f"{path}: stale cached clip (made from other settings or code); rendering again", stacklevel=2)
            path.parent.mkdir(parents=True, exist_ok=True)
            save_clip(path, out[profile], key)
    return {p: out[p] for p in profiles}

