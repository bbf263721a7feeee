"""MPI-Sintel optical-flow frames (Butler et al. ECCV 2012), in the official layout and in shared/'s subset.

Official layout under the dataset root, for ``<split>`` = ``training`` (``test`` has no flow)::

    <split>/{clean,final}/<scene>/frame_XXXX.png     frames, 1-based
    <split>/flow/<scene>/frame_XXXX.flo              forward flow XXXX -> XXXX+1 (Middlebury .flo)
    <split>/occlusions/<scene>/frame_XXXX.png        pixels of frame XXXX hidden in frame XXXX+1 (255)
    <split>/invalid/<scene>/frame_XXXX.png           pixels Sintel leaves out of evaluation (255)

In a loaded pair, ``valid`` is "not invalid and not occluded" by default, the meaning of ``flow_valid`` in
flowpose's synthetic ground truth; ``count_occluded=True`` keeps occluded pixels (Sintel's "all" EPE).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from flowpose.errors import InputError
from flowpose.io.flo import read_flo

PASSES = ("clean", "final")


class FlowPair(NamedTuple):
    """Two consecutive frames and the ground-truth forward flow between them."""

    image1: np.ndarray
    """(H, W, 3) uint8 RGB, frame t."""
    image2: np.ndarray
    """(H, W, 3) uint8 RGB, frame t + 1."""
    flow: np.ndarray | None
    """(H, W, 2) float32 forward flow t -> t+1 in pixels, or None where the dataset has none."""
    valid: np.ndarray | None
    """(H, W) bool pixels whose flow counts, or None where the dataset has no masks for this pair."""


def read_rgb(path: Path) -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 RGB.

    Raises:
        InputError: naming the path, for a missing or undecodable image.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such image file")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"{path}: not a readable image (corrupt or unknown format?)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """Read a 0/255 mask image as (H, W) bool (pixels above 127 are set).

    Raises:
        InputError: naming the path, for an undecodable image or one whose size is not ``shape``.
    """
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise InputError(f"{path}: not a readable mask image (corrupt or unknown format?)")
    if mask.shape != shape:
        raise InputError(f"{path}: mask is {mask.shape[1]}x{mask.shape[0]}, expected {shape[1]}x{shape[0]}")
    return mask > 127


def _check_pass(pass_: str) -> None:
    if pass_ not in PASSES:
        raise InputError(f"pass_ must be one of {list(PASSES)}, got {pass_!r}")


def _pair(
    image1: Path, image2: Path, flow: Path, occlusions: Path, invalid: Path, count_occluded: bool
) -> FlowPair:
    """Load the files of one pair; a missing flow gives flow None, missing masks give valid None."""
    im1, im2 = read_rgb(image1), read_rgb(image2)
    if im1.shape != im2.shape:
        raise InputError(f"{image2}: frame size {im2.shape[:2]} differs from {image1}'s {im1.shape[:2]}")
    if not flow.is_file():
        return FlowPair(im1, im2, None, None)
    uv = read_flo(flow)
    if uv.shape[:2] != im1.shape[:2]:
        raise InputError(f"{flow}: flow size {uv.shape[:2]} differs from the frames' {im1.shape[:2]}")
    if not (occlusions.is_file() and invalid.is_file()):
        return FlowPair(im1, im2, uv, None)
    valid = ~read_mask(invalid, uv.shape[:2])
    if not count_occluded:
        valid &= ~read_mask(occlusions, uv.shape[:2])
    return FlowPair(im1, im2, uv, valid)


def load_sintel_pair(
    root: str | os.PathLike[str],
    scene: str,
    frame: int,
    *,
    pass_: str = "clean",
    split: str = "training",
    count_occluded: bool = False,
) -> FlowPair:
    """Load frames ``frame`` and ``frame + 1`` of a Sintel scene with their flow and masks.

    Args:
        root: the dataset root (the folder holding ``training/`` and ``test/``).
        scene: e.g. ``"alley_1"``.
        frame: 1-based frame number XXXX of ``frame_XXXX.png``.
        pass_: ``"clean"`` or ``"final"``.
        split: ``"training"`` or ``"test"``.
        count_occluded: whether occluded pixels count as valid.

    Returns:
        A :class:`FlowPair`; ``flow`` is None where the split has no flow file for the frame (``test``),
        ``valid`` None where it has no masks.

    Raises:
        InputError: naming the path, for a missing scene or frame, an unreadable image, flow or mask, or
            sizes that do not agree.

    Example:
        >>> image1, image2, flow, valid = load_sintel_pair("MPI-Sintel", "alley_1", 1)  # doctest: +SKIP
        >>> flow.shape  # doctest: +SKIP
        (436, 1024, 2)
    """
    _check_pass(pass_)
    if not isinstance(frame, (int, np.integer)) or frame < 1:
        raise InputError(f"frame must be a 1-based frame number, got {frame!r}")
    base = Path(root) / split
    scene_dir = base / pass_ / scene
    if not scene_dir.is_dir():
        raise InputError(f"{scene_dir}: no such Sintel scene (expected <root>/{split}/{pass_}/<scene>)")
    name = f"frame_{frame:04d}"
    return _pair(
        scene_dir / f"{name}.png", scene_dir / f"frame_{frame + 1:04d}.png",
        base / "flow" / scene / f"{name}.flo", base / "occlusions" / scene / f"{name}.png",
        base / "invalid" / scene / f"{name}.png", count_occluded,
    )


def sintel_human_pairs(
    root: str | os.PathLike[str], *, pass_: str = "clean", count_occluded: bool = False
) -> dict[str, FlowPair]:
    """Every frame pair with ground-truth flow in shared/'s ``sintel_human`` subset of Sintel.

    Layout (see shared/DATA.md): per scene, frames in ``<scene>/{clean,final}/frame_XXXX.png`` and flows
    either in ``<scene>/flow/frame_XXXX.flo`` with masks in ``<scene>/{occlusions,invalid}/`` (alley_1), or in
    ``<scene>/gt/frame_XXXX.flo`` with masks in ``<scene>/gt/{occlusions,invalid}/`` (cave_2, market_5).
    Folders without flow (``alley_1_frames_16-25``) are skipped.

    Args:
        root: the ``sintel_human`` folder.
        pass_: ``"clean"`` or ``"final"``.
        count_occluded: whether occluded pixels count as valid.

    Returns:
        ``"<scene>/frame_XXXX"`` -> :class:`FlowPair` (frame XXXX -> XXXX+1), sorted by name; ``valid`` is
        None for pairs without masks (alley_1 has masks for frame 2 only).

    Raises:
        InputError: naming the path, for a missing root, no pair found, or an unreadable file.
    """
    _check_pass(pass_)
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: no such folder (expected the sintel_human data folder)")
    pairs: dict[str, FlowPair] = {}
    for scene_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        gt_dir = next((d for d in (scene_dir / "flow", scene_dir / "gt") if d.is_dir()), None)
        if gt_dir is None:
            continue
        mask_dir = gt_dir if gt_dir.name == "gt" else scene_dir
        for flow in sorted(gt_dir.glob("frame_*.flo")):
            match = re.fullmatch(r"frame_(\d+)\.flo", flow.name)
            if match is None:
                continue
            frame = int(match.group(1))
            image = scene_dir / pass_
            pairs[f"{scene_dir.name}/{flow.stem}"] = _pair(
                image / f"frame_{frame:04d}.png", image / f"frame_{frame + 1:04d}.png", flow,
                mask_dir / "occlusions" / flow.with_suffix(".png").name,
                mask_dir / "invalid" / flow.with_suffix(".png").name, count_occluded,
            )
    if not pairs:
        raise InputError(f"{root}: no scene with ground-truth flow (<scene>/flow/*.flo or <scene>/gt/*.flo)")
    return pairs
