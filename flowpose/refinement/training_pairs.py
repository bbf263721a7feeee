"""The pairs the flow stage fine-tunes on: which to choose, and their crops, targets and weights as tensors.

A pair t is frames t and t + 1 cropped on the target's grid t (:func:`flowpose.flow.crop.crop_to_grid`, the same
resampling flow inference uses, so the network is fine-tuned on exactly the images it is later run on), with the
target flow in grid pixels and its per-pixel weight. With ``FinetuneConfig.pair_fraction`` < 1, only the pairs
with most to teach are trained on (:func:`pair_scores`, :func:`chosen_pairs`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from flowpose.errors import ShapeError
from flowpose.flow.crop import crop_to_grid
from flowpose.flow.field import FlowField


def pair_scores(target: FlowField, network_flow: FlowField) -> np.ndarray:
    """How much each pair has to teach: sum over the grid of the target's confidence gain over the network's
    times the distance between target and network flow (grid px).

    Args:
        target: the composed target.
        network_flow: the network's flow F on the same grids.

    Returns:
        (P,) non-negative scores.
    """
    gain = np.clip(target.confidence - network_flow.confidence, 0.0, 1.0)
    dist = np.linalg.norm(target.flow - network_flow.flow, axis=-1) / target.scale[:, None, None]
    return (gain * dist).sum(axis=(1, 2)) + 1e-9 * target.confidence.sum(axis=(1, 2))


def chosen_pairs(target: FlowField, fraction: float, scores: np.ndarray | None) -> np.ndarray:
    """Indices of the pairs to train on: all, or the top ``fraction`` by ``scores`` (in time order)."""
    P = target.flow.shape[0]
    if fraction >= 1.0 or scores is None:
        return np.arange(P)
    keep = max(1, int(round(fraction * P)))
    return np.sort(np.argsort(-scores, kind="stable")[:keep])


def target_batch(target: FlowField, pairs: np.ndarray, device: str | torch.device) -> tuple[Tensor, Tensor]:
    """Target (N, 2, h, w) in grid px and weight (N, h, w) of ``pairs``."""
    flow = target.flow[pairs] / target.scale[pairs][:, None, None, None]
    flow_t = torch.from_numpy(np.ascontiguousarray(flow)).to(device).permute(0, 3, 1, 2).contiguous()
    return flow_t, torch.from_numpy(np.ascontiguousarray(target.confidence[pairs])).to(device)


class PairCrops:
    """The training pairs: crops of frames t, t+1 on grid t, the target in grid pixels and its weight.

    Crops come from :func:`flowpose.flow.crop.crop_to_grid`, the resampling flow inference uses, so that the
    network is fine-tuned on exactly the images it is later run on.
    """

    def __init__(self, frames: np.ndarray | Sequence[np.ndarray], target: FlowField, *, cache: bool) -> None:
        self.frames = frames
        self.target = target
        self.num_pairs, self.h, self.w = target.flow.shape[:3]
        self.cache: np.ndarray | None = None
        if cache:  # one sequential pass: frame t is the second image of pair t-1 and the first of pair t
            self.cache = np.empty((self.num_pairs, 2, self.h, self.w, 3), np.float32)
            for t in range(self.num_pairs + 1):
                frame = self._frame(t)
                if t > 0:
                    self.cache[t - 1, 1] = self._crop(frame, t - 1)
                if t < self.num_pairs:
                    self.cache[t, 0] = self._crop(frame, t)

    @staticmethod
    def nbytes(target: FlowField) -> int:
        """Size of the crop cache of ``target``'s pairs, bytes."""
        P, h, w = target.flow.shape[:3]
        return P * 2 * h * w * 3 * 4

    def _frame(self, t: int) -> np.ndarray:
        frame = np.asarray(self.frames[t])
        H, W = self.target.image_size
        if frame.shape != (H, W, 3):
            raise ShapeError(f"frames[{t}]", f"({H}, {W}, 3) RGB (the target's image size)", frame.shape)
        return frame

    def _crop(self, frame: np.ndarray, t: int) -> np.ndarray:
        origin = self.target.origin[t].astype(np.float64)
        return crop_to_grid(frame, origin, float(self.target.scale[t]), (self.h, self.w))

    def batch(self, pairs: np.ndarray, device: str | torch.device) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Images (N, 3, h, w) x2 float in [0, 255], target (N, 2, h, w) grid px, weight (N, h, w)."""
        if self.cache is not None:
            images = self.cache[pairs]
        else:
            images = np.stack(
                [np.stack([self._crop(self._frame(t), t), self._crop(self._frame(t + 1), t)]) for t in pairs]
            )
        images = torch.from_numpy(images).to(device=device, dtype=torch.float32).permute(1, 0, 4, 2, 3)
        flow_t, weight = target_batch(self.target, pairs, device)
        return images[0].contiguous(), images[1].contiguous(), flow_t, weight
