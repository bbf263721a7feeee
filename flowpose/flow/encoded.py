"""A video's frame pairs after RAFT's encoders, computed once and reused by every epoch and cycle.

Per-video fine-tuning (the flow stage) moves only RAFT's update block (its GRU, motion encoder, flow head and
upsampling-mask head). The feature encoder g, the context encoder h and GMA's attention stay frozen, so
their outputs on the video's crops never change: they are computed once per video, here, and both
fine-tuning and inference run only the iterations (:meth:`flowpose.flow.raft.RAFT.decode`). The correlation
pyramid is rebuilt per batch from the cached feature maps: one matrix product, cheaper to recompute than to
keep (it is h*w times larger than a feature map).

Each pair t is cropped on its own grid (``origin[t]``, ``scale[t]``, see :func:`flowpose.flow.infer.plan_grids`)
for both of its frames, so frame t appears in pairs t-1 and t on different grids: the cache holds, per pair,
the features of its two crops and the raw context-encoder output of each (the backward flow t+1 -> t starts
from the second crop's context).

Memory: P pairs x 2 crops x (feature + context channels) x (h/8 x w/8) floats. RAFT-small at 128 px crops:
about 0.6 MB per pair in float32 (0.6 GB for 1,000 frames); ``dtype=torch.float16`` halves it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from flowpose.errors import InputError, ShapeError
from flowpose.flow.crop import crop_to_grid
from flowpose.flow.field import FlowField
from flowpose.flow.grids import normalize_images
from flowpose.flow.infer import fb_confidence_t, inside_frame, read_frame
from flowpose.flow.raft import RAFT, Encoded


def can_encode(model: object) -> bool:
    """Whether ``model`` is a network whose encoders can be cached (RAFT, RAFT-small, GMA)."""
    return isinstance(model, RAFT)


class EncodedVideo:
    """Frozen-encoder outputs of every frame pair of a video, on the pairs' crop grids.

    Args:
        model: the network whose encoders are applied (their weights must stay fixed while the cache is used).
        frames: (T, H, W, 3) uint8 RGB frames or a lazy sequence of them (read once, in order).
        origins: (P, 2) full-frame (x, y) of each pair's grid pixel (0, 0).
        scales: (P,) full-frame pixels per grid pixel.
        size: (h, w) of the grids, divisible by 8.
        batch_size: pairs per encoder call.
        device: where the encoders run and the cache is kept.
        dtype: storage type of the cache (float32, or float16 to halve it).
        progress: show a progress bar.

    Raises:
        InputError: a grid not divisible by 8, or a model that is not a RAFT-family network.
    """

    def __init__(
        self,
        model: RAFT,
        frames: np.ndarray | Sequence[np.ndarray],
        origins: np.ndarray,
        scales: np.ndarray,
        size: tuple[int, int],
        *,
        batch_size: int = 4,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        progress: bool = False,
    ) -> None:
        if not can_encode(model):
            raise InputError(f"encoder caching needs a RAFT-family network, got {type(model).__name__}")
        h, w = size
        if h % 8 or w % 8:
            raise InputError(f"encoder caching needs grids divisible by 8, got {h}x{w}")
        self.origins = np.asarray(origins, np.float64)
        self.scales = np.asarray(scales, np.float64)
        self.size = (int(h), int(w))
        self.num_pairs = len(self.scales)
        self.image_size = tuple(np.asarray(frames[0]).shape[:2])
        self.hidden_dim, self.context_dim = model.hidden_dim, model.context_dim
        self.device = torch.device(device)
        P = self.num_pairs
        self.fmap1: Tensor | None = None
        self.fmap2: Tensor | None = None
        self.ctx1: Tensor | None = None
        self.ctx2: Tensor | None = None
        cached = {0: read_frame(frames, 0, None)}
        model.to(self.device)
        with torch.no_grad(), tqdm(total=P, disable=not progress, unit="pair", desc="encode frames") as bar:
            was_training = model.training
            model.eval()
            try:
                for b0 in range(0, P, batch_size):
                    b1 = min(P, b0 + batch_size)
                    for t in range(b0, b1 + 1):
                        if t not in cached:
                            cached[t] = read_frame(frames, t, self.image_size)
                    c1 = np.stack([crop_to_grid(cached[t], self.origins[t], self.scales[t], self.size) for t in range(b0, b1)])
                    c2 = np.stack([crop_to_grid(cached[t + 1], self.origins[t], self.scales[t], self.size) for t in range(b0, b1)])
                    cached = {b1: cached[b1]}
                    images = torch.from_numpy(np.concatenate([c1, c2])).permute(0, 3, 1, 2).to(self.device)
                    images = normalize_images(images.float()).contiguous()
                    fmaps, ctx = model.fnet(images), model.cnet(images)
                    n = b1 - b0
                    self._store(b0, b1, fmaps[:n], fmaps[n:], ctx[:n], ctx[n:], dtype)
                    bar.update(n)
            finally:
                model.train(was_training)

    def _store(self, b0: int, b1: int, f1: Tensor, f2: Tensor, c1: Tensor, c2: Tensor, dtype: torch.dtype) -> None:
        if self.fmap1 is None:
            P = self.num_pairs
            self.fmap1 = f1.new_empty((P, *f1.shape[1:]), dtype=dtype)
            self.fmap2 = f1.new_empty((P, *f2.shape[1:]), dtype=dtype)
            self.ctx1 = c1.new_empty((P, *c1.shape[1:]), dtype=dtype)
            self.ctx2 = c1.new_empty((P, *c2.shape[1:]), dtype=dtype)
        self.fmap1[b0:b1], self.fmap2[b0:b1] = f1.to(dtype), f2.to(dtype)
        self.ctx1[b0:b1], self.ctx2[b0:b1] = c1.to(dtype), c2.to(dtype)

    @property
    def nbytes(self) -> int:
        """Bytes held by the cache."""
        return sum(t.numel() * t.element_size() for t in (self.fmap1, self.fmap2, self.ctx1, self.ctx2))

    def encoded(self, model: RAFT, pairs: np.ndarray | Sequence[int], *, backward: bool = False) -> Encoded:
        """The :class:`~flowpose.flow.raft.Encoded` batch of ``pairs``, forward (t -> t+1) or backward.

        Built without gradients: the encoders are frozen, only the iterations that read it are trained.
        """
        idx = torch.as_tensor(np.asarray(pairs), dtype=torch.long, device=self.device)
        a, b = (self.fmap2, self.fmap1) if backward else (self.fmap1, self.fmap2)
        ctx = self.ctx2 if backward else self.ctx1
        with torch.no_grad():
            hidden, context = torch.split(ctx[idx].float(), [self.hidden_dim, self.context_dim], dim=1)
            return model.encoded_from(a[idx].float(), b[idx].float(), hidden, context)


def encoded_video_flow(
    model: RAFT,
    cache: EncodedVideo,
    *,
    iters: int,
    batch_size: int = 4,
    flow_init: tuple[Tensor, Tensor] | None = None,
    keep_backward: bool = False,
    progress: bool = False,
) -> tuple[FlowField, tuple[Tensor, Tensor]]:
    """Forward flow of every pair from the cache, with forward-backward confidence (as
    :func:`flowpose.flow.infer.compute_video_flow` computes it on the same crops).

    Args:
        model: the network the cache was made with (its update block may have been fine-tuned since).
        cache: the video's encoded pairs.
        iters: update iterations.
        batch_size: pairs per call (forward and backward run together).
        flow_init: warm start, (forward, backward) flows (P, 2, h/8, w/8) at 1/8 resolution from an earlier
            call; None starts from zero flow.
        keep_backward: also return the backward flow, as the field's ``reverse``.
        progress: show a progress bar.

    Returns:
        The :class:`FlowField` and the (forward, backward) 1/8-resolution flows, for a later warm start.
    """
    P, (h, w) = cache.num_pairs, cache.size
    flow_out = np.empty((P, h, w, 2), np.float32)
    conf_out = np.empty((P, h, w), np.float32)
    back_out = np.empty((P, h, w, 2), np.float32) if keep_backward else None
    back_conf = np.empty((P, h, w), np.float32) if keep_backward else None
    lows = (torch.empty(P, 2, h // 8, w // 8), torch.empty(P, 2, h // 8, w // 8))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), tqdm(total=P, disable=not progress, unit="pair", desc=f"flow ({model.name})") as bar:
            for b0 in range(0, P, batch_size):
                pairs = np.arange(b0, min(P, b0 + batch_size))
                fwd_enc, bwd_enc = cache.encoded(model, pairs), cache.encoded(model, pairs, backward=True)
                both = Encoded(
                    [torch.cat([a, b]) for a, b in zip(fwd_enc.pyramid, bwd_enc.pyramid)],
                    torch.cat([fwd_enc.hidden, bwd_enc.hidden]),
                    torch.cat([fwd_enc.context, bwd_enc.context]),
                    None if fwd_enc.attention is None else torch.cat([fwd_enc.attention, bwd_enc.attention]),
                )
                init = None
                if flow_init is not None:
                    sel = torch.as_tensor(pairs)
                    init = torch.cat([flow_init[0][sel], flow_init[1][sel]]).to(cache.device)
                out = model.decode(both, iters=iters, flow_init=init, upsample_all=False)
                n = len(pairs)
                flow, low = out.flow_predictions[-1].float(), out.flow_low.float().cpu()
                lows[0][pairs], lows[1][pairs] = low[:n], low[n:]
                conf = fb_confidence_t(flow[:n], flow[n:])
                s = cache.scales[pairs]
                inside = inside_frame(cache.origins[pairs], s, (h, w), cache.image_size)
                flow_out[pairs] = flow[:n].permute(0, 2, 3, 1).cpu().numpy() * s[:, None, None, None]
                conf_out[pairs] = conf.cpu().numpy() * inside
                if keep_backward:
                    back_out[pairs] = flow[n:].permute(0, 2, 3, 1).cpu().numpy() * s[:, None, None, None]
                    back_conf[pairs] = fb_confidence_t(flow[n:], flow[:n]).cpu().numpy() * inside
                bar.update(n)
    finally:
        model.train(was_training)
    origins, scales = cache.origins.astype(np.float32), cache.scales.astype(np.float32)
    reverse = FlowField(back_out, back_conf, origins, scales, cache.image_size) if keep_backward else None
    return FlowField(flow_out, conf_out, origins, scales, cache.image_size, reverse), lows


def low_resolution_flow(field: FlowField, size: tuple[int, int]) -> tuple[Tensor, Tensor]:
    """A field's forward and backward flow as a warm start for :func:`encoded_video_flow`.

    Each pair's flow is taken back to its grid's pixels (``flow / scale``), averaged over 8 x 8 blocks and
    divided by 8: RAFT's 1/8-resolution flow, in 1/8-resolution pixels.

    Args:
        field: flow on the cache's grids (``size``), with its backward flow kept (``field.reverse``).
        size: (h, w) of the grids, multiples of 8.

    Returns:
        (forward, backward), each (P, 2, h/8, w/8) float32.

    Raises:
        ShapeError: the field is not on (P, h, w) grids.
        InputError: the field has no backward flow.
    """
    h, w = size
    if field.flow.shape[1:3] != (h, w):
        raise ShapeError("flow field", f"(P, {h}, {w}, 2) grids", field.flow.shape)
    if field.reverse is None:
        raise InputError("a warm start needs the backward flow too: compute the field with keep_backward=True")

    def low(f: FlowField) -> Tensor:
        grid = torch.from_numpy(f.flow / f.scale[:, None, None, None]).permute(0, 3, 1, 2)
        return torch.nn.functional.avg_pool2d(grid, 8) / 8.0

    return low(field), low(field.reverse)
