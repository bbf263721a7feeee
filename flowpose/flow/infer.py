"""Whole-video flow inference into a :class:`~flowpose.flow.field.FlowField`.

Every frame pair goes through a flow backend, on the full frame or on person crops, with a forward-backward
consistency confidence.

Frames are read one batch of pairs at a time, so a lazy video reader keeps memory at one batch of crops plus
the output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch
from tqdm import tqdm

from flowpose.errors import InputError, ShapeError
from flowpose.flow.crop import box_to_grid, crop_to_grid
from flowpose.flow.field import FlowField, sample_grid


class FlowBackend(Protocol):
    """What inference needs of a flow model (the networks and :class:`~flowpose.flow.classical.DISFlow`)."""

    def predict(self, image1: torch.Tensor, image2: torch.Tensor, *, iters: int = 12) -> torch.Tensor:
        """(N, 3, H, W) float RGB in [0, 255] twice -> (N, 2, H, W) flow in pixels."""
        ...


def forward_backward_confidence(
    fwd: np.ndarray, bwd: np.ndarray, *, alpha: float = 0.01, beta: float = 0.5, sharpness: float = 4.0
) -> np.ndarray:
    """Soft forward-backward consistency of a flow pair (Sundaram, Brox & Keutzer, ECCV 2010, eq. 5).

    A pixel x is consistent when following the forward flow f and then the backward flow b brings it back:
    ``|f + b(x + f)|^2 < alpha (|f|^2 + |b(x + f)|^2) + beta``, where b(x + f) is sampled bilinearly.
    Deviation from the paper: instead of the hard test we return ``1 / (1 + r^sharpness)`` with r the ratio of
    the left side to the right side, a logistic in log r that is exactly 0.5 on the paper's threshold
    (``conf > 0.5`` recovers the hard test), near 1 for consistent flow (r = 0.3 -> 0.99) and near 0 for
    occlusions (r = 3 -> 0.01). Smooth weights avoid a discontinuous loss in the pose stage. Pixels whose
    target x + f leaves the grid get 0, since nothing there can vouch for them.

    Both flows must be in the pixel units of their own grid (for crop grids: full-frame flow / scale), so that
    ``beta`` is in squared grid pixels, the resolution the flow was estimated at.

    Args:
        fwd: (P, h, w, 2) forward flow (u, v), frame t -> t+1.
        bwd: (P, h, w, 2) backward flow, frame t+1 -> t, on the same grid.
        alpha: relative tolerance (0.01 in the paper).
        beta: absolute tolerance in squared pixels (0.5 in the paper).
        sharpness: exponent of the soft test; larger is closer to the hard test.

    Returns:
        (P, h, w) float32 confidence in [0, 1].

    Raises:
        ShapeError: if the flows are not (P, h, w, 2) of equal shape.

    Example:
        >>> f = np.ones((1, 4, 4, 2), np.float32)
        >>> bool(forward_backward_confidence(f, -f)[0, 0, 0] > 0.99)
        True
    """
    fwd = np.asarray(fwd, np.float32)
    if fwd.ndim != 4 or fwd.shape[-1] != 2:
        raise ShapeError("fwd", "(P, h, w, 2)", fwd.shape)
    if np.shape(bwd) != fwd.shape:
        raise ShapeError("bwd", str(fwd.shape), np.shape(bwd))
    f_t = torch.from_numpy(fwd).permute(0, 3, 1, 2)
    b_t = torch.from_numpy(np.asarray(bwd, np.float32)).permute(0, 3, 1, 2)
    return fb_confidence_t(f_t, b_t, alpha=alpha, beta=beta, sharpness=sharpness).numpy()


def fb_confidence_t(
    fwd: torch.Tensor, bwd: torch.Tensor, *, alpha: float = 0.01, beta: float = 0.5, sharpness: float = 4.0
) -> torch.Tensor:
    """:func:`forward_backward_confidence` on channel-first tensors: (P, 2, h, w) twice -> (P, h, w)."""
    P, _, h, w = fwd.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=fwd.dtype, device=fwd.device),
        torch.arange(w, dtype=fwd.dtype, device=fwd.device),
        indexing="ij",
    )
    target = torch.stack([xs + fwd[:, 0], ys + fwd[:, 1]], dim=-1)  # (P, h, w, 2): x + f
    b_at = sample_grid(bwd, target.reshape(P, -1, 2)).reshape(P, h, w, 2)  # b(x + f)
    f = fwd.permute(0, 2, 3, 1)
    lhs = (f + b_at).square().sum(-1)
    rhs = alpha * (f.square().sum(-1) + b_at.square().sum(-1)) + beta
    conf = 1.0 / (1.0 + (lhs / rhs) ** sharpness)
    inside = (
        (target[..., 0] >= 0) & (target[..., 0] <= w - 1) & (target[..., 1] >= 0) & (target[..., 1] <= h - 1)
    )
    return conf * inside


def plan_grids(
    boxes: np.ndarray | None,
    work_size: int | tuple[int, int] | None,
    image_size: tuple[int, int],
    num_pairs: int,
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The sampling grid of every pair: full frame, downscaled full frame, or one crop per pair.

    Args:
        boxes: (P, 4) ``[x0, y0, x1, y1]`` px per pair (see :mod:`flowpose.flow.crop`), or None for the full
            frame.
        work_size: grid size. With boxes: an int n for n x n (default: the median box side rounded up to a
            multiple of 8, i.e. about full resolution); a tuple (h, w) fits each box inside an h x w grid.
            Without boxes: an int is the long side of the downscaled frame (aspect kept), a tuple (h, w) fits
            the frame inside it, None keeps the full frame.
        image_size: (H, W) of the frames.
        num_pairs: P.

    Returns:
        origins (P, 2), scales (P,), and the grid size (h, w).

    Raises:
        ShapeError: boxes not (P, 4).
        InputError: empty or non-finite boxes, or a non-positive work size.
    """
    H, W = image_size
    if work_size is not None:
        sizes = (work_size, work_size) if isinstance(work_size, int) else tuple(work_size)
        if len(sizes) != 2 or min(int(s) for s in sizes) < 1:
            raise InputError(f"work_size must be a positive int or (h, w), got {work_size!r}")
    if boxes is None:
        if work_size is None:
            return np.zeros((num_pairs, 2)), np.ones(num_pairs), (H, W)
        if isinstance(work_size, int):
            s = max(H, W) / work_size
            size = (max(1, round(H / s)), max(1, round(W / s)))
        else:
            size = (int(work_size[0]), int(work_size[1]))
        boxes = np.tile(np.array([0.0, 0.0, W, H]), (num_pairs, 1))
    else:
        boxes = np.asarray(boxes, np.float64)
        if boxes.shape != (num_pairs, 4):
            raise ShapeError("boxes", f"({num_pairs}, 4), one per frame pair", boxes.shape)
        sides = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        if (
            not np.isfinite(boxes).all()
            or np.any(boxes[:, 2] <= boxes[:, 0])
            or np.any(boxes[:, 3] <= boxes[:, 1])
        ):
            raise InputError("boxes must be finite [x0, y0, x1, y1] with x1 > x0 and y1 > y0")
        if work_size is None:
            n = int(np.ceil(np.median(sides) / 8.0) * 8)
            size = (n, n)
        else:
            size = (
                (work_size, work_size)
                if isinstance(work_size, int)
                else (int(work_size[0]), int(work_size[1]))
            )
    grids = [box_to_grid(b, size) for b in boxes]
    return np.array([g[0] for g in grids]), np.array([g[1] for g in grids]), size


def compute_video_flow(
    model: FlowBackend,
    frames: np.ndarray | Sequence[np.ndarray],
    *,
    boxes: np.ndarray | None = None,
    work_size: int | tuple[int, int] | None = None,
    batch_size: int = 4,
    iters: int = 12,
    backward: bool = True,
    keep_backward: bool = False,
    device: str | torch.device = "cpu",
    progress: bool = False,
) -> FlowField:
    """Forward flow of every frame pair t -> t+1 of a video, with its confidence.

    Each pair is resampled onto its grid (:func:`plan_grids`; both frames of a pair use the pair's grid), run
    through ``model.predict``, and the flow is scaled back to full-frame pixels (``flow * scale``). With
    ``backward`` the reverse pair is run in the same batch and the confidence is the forward-backward
    consistency (:func:`forward_backward_confidence`, in grid pixels); otherwise it is 1. Grid pixels that
    fall outside the frame (crops overhanging the image, filled by edge padding) get confidence 0.

    Args:
        model: a flow backend on ``device``, in eval mode
            (see :func:`flowpose.flow.registry.load_flow_model`).
        frames: (T, H, W, 3) uint8 RGB array, or any sequence of T such frames with ``len`` and integer
            indexing (a lazy video reader); each frame is read at most twice.
        boxes: (T-1, 4) crop box per pair, full-frame px, covering frames t and t+1 (see
            :func:`flowpose.flow.crop.person_boxes`); None for full-frame inference.
        work_size: grid size, see :func:`plan_grids`.
        batch_size: frame pairs per network call (twice as many images go in when ``backward``).
        iters: recurrent iterations for the networks (ignored by DIS).
        backward: also compute backward flow for the confidence.
        keep_backward: also return the backward flow, as the field's ``reverse`` (needs ``backward``).
        device: where the images go.
        progress: show a progress bar.

    Returns:
        The :class:`FlowField` (full frame, or crop grids with per-pair origin and scale).

    Raises:
        InputError: fewer than 2 frames, bad boxes or work size, or ``batch_size < 1``.
        ShapeError: a frame that is not (H, W, 3) like the first.
    """
    T = len(frames)
    if T < 2:
        raise InputError(f"flow needs at least 2 frames, got {T}")
    if batch_size < 1:
        raise InputError(f"batch_size must be >= 1, got {batch_size}")
    first = read_frame(frames, 0, None)
    image_size = first.shape[:2]
    P = T - 1
    origins, scales, (h, w) = plan_grids(boxes, work_size, image_size, P)
    identity = boxes is None and work_size is None

    flow_out = np.empty((P, h, w, 2), np.float32)
    conf_out = np.empty((P, h, w), np.float32)
    keep = backward and keep_backward
    back_out = np.empty((P, h, w, 2), np.float32) if keep else None
    back_conf = np.empty((P, h, w), np.float32) if keep else None
    cached = {0: first}
    bar = tqdm(total=P, disable=not progress, unit="pair", desc=f"flow ({getattr(model, 'name', 'model')})")
    for b0 in range(0, P, batch_size):
        b1 = min(P, b0 + batch_size)
        for t in range(b0, b1 + 1):
            if t not in cached:
                cached[t] = read_frame(frames, t, image_size)
        pairs = range(b0, b1)
        if identity:
            img1 = np.stack([cached[t] for t in pairs]).astype(np.float32)
            img2 = np.stack([cached[t + 1] for t in pairs]).astype(np.float32)
        else:
            img1 = np.stack([crop_to_grid(cached[t], origins[t], scales[t], (h, w)) for t in pairs])
            img2 = np.stack([crop_to_grid(cached[t + 1], origins[t], scales[t], (h, w)) for t in pairs])
        cached = {b1: cached[b1]}  # the last frame starts the next batch; drop the rest
        i1 = torch.from_numpy(img1).permute(0, 3, 1, 2).to(device)
        i2 = torch.from_numpy(img2).permute(0, 3, 1, 2).to(device)
        B = b1 - b0
        with torch.no_grad():
            if backward:
                out = model.predict(torch.cat([i1, i2]), torch.cat([i2, i1]), iters=iters).float()
                fwd, conf = out[:B], fb_confidence_t(out[:B], out[B:])
            else:
                fwd = model.predict(i1, i2, iters=iters).float()
                conf = torch.ones_like(fwd[:, 0])
        inside = inside_frame(origins[b0:b1], scales[b0:b1], (h, w), image_size)
        flow_out[b0:b1] = fwd.permute(0, 2, 3, 1).cpu().numpy() * scales[b0:b1, None, None, None]
        conf_out[b0:b1] = conf.cpu().numpy() * inside
        if keep:
            back_out[b0:b1] = out[B:].permute(0, 2, 3, 1).cpu().numpy() * scales[b0:b1, None, None, None]
            back_conf[b0:b1] = fb_confidence_t(out[B:], out[:B]).cpu().numpy() * inside
        bar.update(B)
    bar.close()
    origins, scales = origins.astype(np.float32), scales.astype(np.float32)
    reverse = FlowField(back_out, back_conf, origins, scales, image_size) if keep else None
    return FlowField(flow_out, conf_out, origins, scales, image_size, reverse)


def read_frame(
    frames: np.ndarray | Sequence[np.ndarray], t: int, image_size: tuple[int, int] | None
) -> np.ndarray:
    """Frame t as an (H, W, 3) array, checked against the first frame's size."""
    frame = np.asarray(frames[t])
    if frame.ndim != 3 or frame.shape[-1] != 3 or (image_size is not None and frame.shape[:2] != image_size):
        expected = "(H, W, 3)" if image_size is None else f"({image_size[0]}, {image_size[1]}, 3)"
        raise ShapeError(f"frame {t}", expected + " RGB", frame.shape)
    return frame


def inside_frame(
    origins: np.ndarray, scales: np.ndarray, size: tuple[int, int], image_size: tuple[int, int]
) -> np.ndarray:
    """(B, h, w) 1 where a grid pixel's full-frame position is on the image (pixel areas included), else 0."""
    h, w = size
    H, W = image_size
    x = origins[:, 0, None] + scales[:, None] * np.arange(w)  # (B, w)
    y = origins[:, 1, None] + scales[:, None] * np.arange(h)  # (B, h)
    in_x = (x >= -0.5) & (x <= W - 0.5)
    in_y = (y >= -0.5) & (y <= H - 0.5)
    return (in_y[:, :, None] & in_x[:, None, :]).astype(np.float32)
