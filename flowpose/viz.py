"""Overlay video of a refinement: initial and refined skeletons over the frames, next to the flow in colour.

Flow colour follows the Middlebury convention of Baker et al., "A Database and Evaluation Methodology for
Optical Flow" (IJCV 2011), Sec. 4.1 and Fig. 7: hue = direction (a 55-step wheel through red, yellow, green,
cyan, blue, magenta), saturation = magnitude (white = still, full colour at the normalising magnitude, and
darkened beyond it). The same picture every flow paper and tool shows, so a reader can read it at a glance.
"""

from __future__ import annotations

import math
import os
from typing import Iterator, Sequence

import cv2
import numpy as np
from tqdm import tqdm

from flowpose.errors import InputError, ShapeError
from flowpose.flow.field import FlowField
from flowpose.io.video_writer import write_video
from flowpose.lens import recorded_projection
from flowpose.pose import PoseSequence

INIT_COLOR = (255, 140, 0)
"""RGB of the initial skeleton (orange)."""
REFINED_COLOR = (0, 200, 255)
"""RGB of the refined skeleton (sky blue; distinct from orange for colour-blind viewers too)."""
FILLED_COLOR = (150, 150, 150)
"""RGB of the refined skeleton in a frame where nothing was observed (grey): a pose filled in from other frames
(held before the first observed frame and after the last, interpolated between), not seen there."""

_WHEEL_SEGMENTS: tuple[tuple[int, tuple[int, int, int]], ...] = (
    # (steps, RGB at the segment's start); each segment ramps linearly to the next one's start colour.
    # Baker et al. 2011 choose the step counts by perceptual similarity of neighbouring hues.
    (15, (255, 0, 0)),  # red -> yellow
    (6, (255, 255, 0)),  # yellow -> green
    (4, (0, 255, 0)),  # green -> cyan
    (11, (0, 255, 255)),  # cyan -> blue
    (13, (0, 0, 255)),  # blue -> magenta
    (6, (255, 0, 255)),  # magenta -> red
)


def color_wheel() -> np.ndarray:
    """The Middlebury hue wheel.

    Returns:
        (55, 3) float64 RGB in [0, 1], one entry per direction step, starting at red.
    """
    starts = [np.array(c, np.float64) for _, c in _WHEEL_SEGMENTS]
    rows = []
    for i, (steps, _) in enumerate(_WHEEL_SEGMENTS):
        a, b = starts[i], starts[(i + 1) % len(starts)]
        rows.append(a + (b - a) * (np.arange(steps)[:, None] / steps))
    return np.concatenate(rows) / 255.0


def flow_to_color(flow: np.ndarray, max_flow: float | None = None) -> np.ndarray:
    """Colour-code a flow field (Baker et al. 2011): hue = direction, saturation = magnitude.

    Args:
        flow: (H, W, 2) displacement (u, v) in pixels; non-finite vectors are drawn black.
        max_flow: magnitude drawn at full saturation; default the field's largest finite magnitude.
            Larger vectors are drawn at full saturation and 75% brightness.

    Returns:
        (H, W, 3) uint8 RGB.

    Raises:
        ShapeError: if ``flow`` is not (H, W, 2).

    Example:
        >>> flow_to_color(np.array([[[0.0, 0.0], [0.0, 1.0]]]), max_flow=1.0).tolist()  # still, downward
        [[[255, 255, 255], [255, 230, 0]]]
    """
    flow = np.asarray(flow, np.float64)
    if flow.ndim != 3 or flow.shape[-1] != 2:
        raise ShapeError("flow", "(H, W, 2)", flow.shape)
    bad = ~np.isfinite(flow).all(-1)
    u, v = np.where(bad, 0.0, flow[..., 0]), np.where(bad, 0.0, flow[..., 1])
    mag = np.hypot(u, v)
    if max_flow is None:
        max_flow = float(mag.max()) if mag.size else 0.0
    rad = mag / max(max_flow, 1e-9)
    wheel = color_wheel()
    n = len(wheel)
    # Direction -> position on the wheel; atan2(-v, -u) puts rightward flow (u > 0) at the start (red).
    pos = (np.arctan2(-v, -u) / math.pi + 1.0) / 2.0 * (n - 1)
    k0 = np.floor(pos).astype(int)
    k1 = (k0 + 1) % n
    frac = (pos - k0)[..., None]
    col = (1.0 - frac) * wheel[k0] + frac * wheel[k1]
    inside = (rad <= 1.0)[..., None]
    col = np.where(inside, 1.0 - rad[..., None] * (1.0 - col), 0.75 * col)
    col[bad] = 0.0
    return np.round(255.0 * col).astype(np.uint8)


def draw_skeleton(
    image: np.ndarray,
    joints2d: np.ndarray,
    bones: Sequence[tuple[int, int]],
    color: tuple[int, int, int],
    *,
    thickness: int = 2,
) -> np.ndarray:
    """Draw a skeleton's bones and joints on an image, in place; bones with a NaN end are skipped.

    Args:
        image: (H, W, 3) uint8 RGB, drawn on.
        joints2d: (J, 2) pixel coordinates.
        bones: (parent, child) joint index pairs.
        color: RGB.
        thickness: line width in pixels.

    Returns:
        ``image``.
    """
    ok = np.isfinite(joints2d).all(-1)
    # cv2 draws on integer pixels; shift=4 keeps 1/16-pixel precision for smooth lines.
    fixed = np.round(np.nan_to_num(joints2d) * 16).astype(np.int64)
    for a, b in bones:
        if ok[a] and ok[b]:
            cv2.line(
                image, tuple(map(int, fixed[a])), tuple(map(int, fixed[b])), color, thickness, cv2.LINE_AA, 4
            )
    for j in np.flatnonzero(ok):
        cv2.circle(image, tuple(map(int, fixed[j])), 16 * (thickness + 1), color, -1, cv2.LINE_AA, 4)
    return image


def _put_text(
    image: np.ndarray, text: str, org: tuple[int, int], color: tuple[int, int, int], scale: float
) -> None:
    """Text on a half-dark box, readable on any background (white flow panels included); in place."""
    th = max(1, int(round(2 * scale)))
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, th)
    x0, y0 = max(0, org[0] - 3), max(0, org[1] - h - 3)
    x1, y1 = min(image.shape[1], org[0] + w + 3), min(image.shape[0], org[1] + base + 2)
    image[y0:y1, x0:x1] = (image[y0:y1, x0:x1] * 0.35).astype(np.uint8)
    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, th, cv2.LINE_AA)


def _resize(image: np.ndarray, size: tuple[int, int], k: float) -> np.ndarray:
    """A resized copy: area averaging to shrink, bilinear to enlarge."""
    if k == 1.0:
        return image.copy()
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if k < 1.0 else cv2.INTER_LINEAR)


def _wheel_key(side: int) -> np.ndarray:
    """(side, side, 3) disk showing the colour of every direction and magnitude up to the normaliser."""
    r = (np.arange(side) - (side - 1) / 2.0) / ((side - 1) / 2.0)
    u, v = np.meshgrid(r, r)
    key = flow_to_color(np.stack([u, v], -1), max_flow=1.0)
    key[np.hypot(u, v) > 1.0] = 40
    return key


def flow_panel(frame: np.ndarray, flow: FlowField, pair: int, max_flow: float) -> np.ndarray:
    """The flow of one frame pair in colour, pasted where its grid lies on a dimmed copy of the frame.

    Args:
        frame: (H, W, 3) uint8 RGB frame ``pair``.
        flow: the video's flow field.
        pair: frame-pair index t (flow t -> t+1).
        max_flow: magnitude drawn at full saturation, px.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    H, W = frame.shape[:2]
    panel = (frame.astype(np.float32) * 0.3).astype(np.uint8)
    color = flow_to_color(flow.flow[pair], max_flow)
    h, w = color.shape[:2]
    s = float(flow.scale[pair])
    # Grid pixel (i, j) sits at origin + s (j, i): its cell spans s pixels centred there.
    x0, y0 = (float(flow.origin[pair, 0]) - s / 2 + 0.5), (float(flow.origin[pair, 1]) - s / 2 + 0.5)
    out_w, out_h = max(1, int(round(w * s))), max(1, int(round(h * s)))
    big = cv2.resize(color, (out_w, out_h), interpolation=cv2.INTER_LINEAR)
    xa, ya = int(round(x0)), int(round(y0))
    dx0, dy0 = max(0, xa), max(0, ya)
    dx1, dy1 = min(W, xa + out_w), min(H, ya + out_h)
    if dx1 > dx0 and dy1 > dy0:
        panel[dy0:dy1, dx0:dx1] = big[dy0 - ya : dy1 - ya, dx0 - xa : dx1 - xa]
        cv2.rectangle(panel, (dx0, dy0), (dx1 - 1, dy1 - 1), (255, 255, 255), 1)
    return panel


def robust_max_flow(flow: FlowField, percentile: float = 99.0) -> float:
    """A video-wide normalising magnitude: the ``percentile`` of all finite flow magnitudes (px), >= 1."""
    mag = np.linalg.norm(flow.flow, axis=-1)
    mag = mag[np.isfinite(mag)]
    return max(1.0, float(np.percentile(mag, percentile))) if mag.size else 1.0


MIN_DISPLAY_HEIGHT = 360
"""Smaller videos are scaled up to this height in the overlay, so that skeletons and text stay legible."""


def _display_scale(height: int, max_height: int | None) -> float:
    """Factor from frame pixels to overlay pixels: shrink above ``max_height``, enlarge small frames."""
    if max_height is not None and height > max_height:
        return max_height / height
    if height < MIN_DISPLAY_HEIGHT and (max_height is None or max_height >= MIN_DISPLAY_HEIGHT):
        return MIN_DISPLAY_HEIGHT / height
    return 1.0


def overlay_frames(
    frames: Sequence[np.ndarray],
    init: PoseSequence,
    refined: PoseSequence,
    flow: FlowField,
    *,
    max_height: int | None = 480,
) -> Iterator[np.ndarray]:
    """The overlay video's frames, one at a time: skeletons on the frame (left), flow in colour (right). In a frame
    where the refined poses observe no joint (``refined.conf`` all 0), their skeleton is grey and says so.

    Args:
        frames: T frames (H, W, 3) uint8 RGB.
        init: initial poses (any skeleton), T frames.
        refined: refined poses, T frames.
        flow: the refined flow, T-1 pairs (the last frame shows the last pair's flow).
        max_height: frames taller than this are scaled down (None: never); frames shorter than
            :data:`MIN_DISPLAY_HEIGHT` are scaled up to it.

    Yields:
        (h, 2 w, 3) uint8 RGB frames.
    """
    T = len(frames)
    max_flow = robust_max_flow(flow)
    x_init, x_ref = recorded_projection(init), recorded_projection(refined)
    seen = np.ones(T, bool) if refined.conf is None else (np.asarray(refined.conf) > 0).any(-1)
    for t in range(T):
        frame = np.asarray(frames[t])
        H, W = frame.shape[:2]
        right = flow_panel(frame, flow, min(t, flow.num_pairs - 1), max_flow)
        k = _display_scale(H, max_height)
        size = (max(2, int(round(W * k))), max(2, int(round(H * k))))
        left = _resize(frame, size, k)
        right = _resize(right, size, k)
        thick = max(1, int(round(size[1] / 200)))
        refined_color = REFINED_COLOR if seen[t] else FILLED_COLOR
        for x2d, skel, color in ((x_init[t], init.skel, INIT_COLOR), (x_ref[t], refined.skel, refined_color)):
            draw_skeleton(left, (x2d + 0.5) * k - 0.5, skel.bones, color, thickness=thick)
        fs = max(0.4, size[1] / 700)
        line = int(round(34 * fs))
        _put_text(left, "initial", (6, line), INIT_COLOR, fs)
        _put_text(left, "refined" if seen[t] else "refined: filled in", (6, 2 * line), refined_color, fs)
        _put_text(left, f"frame {t}", (6, size[1] - 8), (255, 255, 255), fs)
        label = f"flow {t}->{t + 1}" if t < flow.num_pairs else f"flow {flow.num_pairs - 1}->{flow.num_pairs}"
        _put_text(right, label, (6, line), (255, 255, 255), fs)
        key_side = max(24, size[1] // 8)
        if key_side + 8 < min(size):
            right[-key_side - 4 : -4, -key_side - 4 : -4] = _wheel_key(key_side)
            _put_text(
                right,
                f"{max_flow:.0f}px",
                (size[0] - key_side - 4 - int(70 * fs), size[1] - 8),
                (255, 255, 255),
                fs * 0.8,
            )
        yield np.concatenate([left, right], axis=1)


def write_overlay(
    path: str | os.PathLike[str],
    frames: Sequence[np.ndarray],
    init: PoseSequence,
    refined: PoseSequence,
    flow: FlowField,
    *,
    fps: float,
    max_height: int | None = 480,
    progress: bool = False,
) -> int:
    """Write the overlay video (see :func:`overlay_frames`) as an ``.mp4``, atomically.

    Args:
        path: destination ending in ``.mp4``.
        frames: T frames (H, W, 3) uint8 RGB (an array or a :class:`~flowpose.io.video.VideoReader`).
        init: initial poses, T frames, any skeleton.
        refined: refined poses, T frames.
        flow: the video's flow, T-1 pairs.
        fps: frame rate of the written video; frames with their own times (``refined.times``, a variable
            frame rate) are written at a constant rate chosen from them, repeated so that each plays at its time.
        max_height: frames taller than this are scaled down (None: never); small frames are scaled up to
            :data:`MIN_DISPLAY_HEIGHT`.
        progress: show a progress bar.

    Returns:
        The number of frames in the file (a variable frame rate's repeats included).

    Raises:
        InputError: when frames, poses and flow disagree in length, or the path/fps is unusable.

    Example:
        >>> write_overlay("overlay.mp4", frames, init, result.poses, result.flow, fps=30.0)  # doctest: +SKIP
    """
    T = len(frames)
    if init.num_frames != T or refined.num_frames != T or flow.num_pairs != T - 1:
        raise InputError(
            f"{path}: overlay needs T frames, T poses and T-1 flow pairs; got {T} frames, {init.num_frames} "
            f"initial and {refined.num_frames} refined poses, {flow.num_pairs} flow pairs"
        )
    it = overlay_frames(frames, init, refined, flow, max_height=max_height)
    it = tqdm(it, total=T, disable=not progress, desc="overlay video", unit="frame")
    return write_video(path, it, fps, times=refined.times)
