"""The flow stage of the refinement: the flow networks of one video and what they keep between cycles.

    F_0            = net(frames)                                    (cold: ``FlowConfig.iters`` iterations)
                or net(frames; start from DIS(frames))             (``FlowConfig.start="dis"``: ``warm_iters``)
    cycle k:  S, W = sketch(X_{k-1}, K);  target = (1 - W) F_{k-1} + W S
              net  <- fine-tune(net; target)                       (update block only, on the chosen pairs)
              F_k  = net(frames; start from F_{k-1})               (warm: ``FlowConfig.warm_iters`` iterations)

The cost is kept down by four levers (``FlowConfig`` and ``FinetuneConfig``; measured in
``benchmarks/bench_flow_stage.py``):

1. Cached encoders. For RAFT-family networks on person crops the feature and context encoders (and GMA's
   attention) are frozen and run once per video (:class:`~flowpose.flow.encoded.EncodedVideo`); fine-tuning
   and every later inference run only the recurrent iterations.
2. Warm starts. Cycle k's inference starts from F_{k-1}'s 1/8-resolution flow, forward and backward, so a
   few iterations suffice; fine-tuning with ``FinetuneConfig.warm_start`` trains that same regime.
3. Chosen pairs. Fine-tuning visits the pairs where the target differs most from the network's flow
   (:func:`~flowpose.refinement.training_pairs.pair_scores`, ``FinetuneConfig.pair_fraction``).
4. Backends that cannot be trained (OpenCV DIS) skip the stage: F_k = F_0.
5. A DIS start (``FlowConfig.start="dis"``). F_0 starts from OpenCV DIS's flow on the same crops and runs
   ``warm_iters`` iterations, not ``iters`` from zero: DIS finds the large motions cheaply and the network
   corrects it, as in every later cycle. Swap detection reuses the same DIS flow (:meth:`FlowStage.dis_flow`).

Networks that cannot cache (a custom module, full-frame flow) take the plain path: fine-tuning on crops and
cold inference every cycle.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from flowpose.config import RefineConfig
from flowpose.flow.classical import DISFlow
from flowpose.flow.encoded import EncodedVideo, can_encode, encoded_video_flow, low_resolution_flow
from flowpose.flow.field import FlowField
from flowpose.flow.infer import compute_video_flow, plan_grids
from flowpose.pose import PoseSequence
from flowpose.refinement.ensemble import average_flows
from flowpose.refinement.finetune import finetune_encoded, finetune_flow
from flowpose.refinement.sketch import Sketch, compose_target, sketch_bone_motion
from flowpose.refinement.training_pairs import pair_scores

CACHE_FLOAT32_MB = 256.0
"""Encoder caches that would exceed this in float32 are kept in float16 (half the memory; the features are
rounded to about 3 significant digits): a 1,000-frame video, not the short clips every benchmark uses."""


def cache_dtype(model: nn.Module, num_pairs: int, size: tuple[int, int]) -> torch.dtype:
    """float32 for caches up to :data:`CACHE_FLOAT32_MB`, float16 beyond."""
    channels = 2 * (model.fnet.conv2.out_channels + model.hidden_dim + model.context_dim)
    mb = num_pairs * channels * (size[0] // 8) * (size[1] // 8) * 4 / 2**20
    return torch.float32 if mb <= CACHE_FLOAT32_MB else torch.float16


class FlowStage:
    """The flow networks of one refinement, their encoded frames and their last flow.

    Args:
        models: flow backends on ``device`` (several: an ensemble, averaged); trainable ones are fine-tuned in
            place.
        frames: (T, H, W, 3) uint8 RGB frames or a lazy sequence of them.
        boxes: (T-1, 4) person crop boxes (full-frame px), or None for full-frame flow.
        config: the refinement configuration (``flow``, ``sketch``, ``finetune``, ``finetune_flow``).
        device: torch device.
        progress: show progress bars.
        keep_backward: the flows keep their backward flow (``FlowField.reverse``), for symmetric flow terms.
    """

    def __init__(
        self,
        models: Sequence[nn.Module],
        frames,
        boxes: np.ndarray | None,
        config: RefineConfig,
        *,
        device: str = "cpu",
        progress: bool = False,
        keep_backward: bool = False,
    ) -> None:
        self.models = list(models)
        self.keep_backward = keep_backward
        self.frames = frames
        self.boxes = boxes
        self.config = config
        self.device = device
        self.progress = progress
        self.trainable = [m for m in self.models if getattr(m, "trainable", False)]
        self.caches: dict[int, EncodedVideo] = {}
        self.lows: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self.flows: dict[int, FlowField] = {}
        self.dis: FlowField | None = None
        """OpenCV DIS's flow on the crops, once :meth:`dis_flow` has computed it."""

    def _cached(self, model: nn.Module) -> bool:
        return self.config.flow.cache_encoders and self.boxes is not None and can_encode(model)

    def _infer(self, model: nn.Module, *, warm: bool) -> FlowField:
        cfg = self.config.flow
        key = id(model)
        if self._cached(model):
            if key not in self.caches:
                image_size = tuple(np.asarray(self.frames[0]).shape[:2])
                origins, scales, size = plan_grids(self.boxes, cfg.work_size, image_size, len(self.frames) - 1)
                self.caches[key] = EncodedVideo(
                    model, self.frames, origins, scales, size, batch_size=cfg.batch_size, device=self.device,
                    dtype=cache_dtype(model, len(origins), size), progress=self.progress,
                )
            cache = self.caches[key]
            dis_start = not warm and cfg.start == "dis"
            if dis_start:
                dis = self.dis_flow()
                if not np.allclose(dis.origin, cache.origins) or not np.allclose(dis.scale, cache.scales):
                    raise RuntimeError("DIS start: the DIS crops differ from the network's (plan_grids changed?)")
                self.lows[key] = low_resolution_flow(dis, cache.size)
            use_init = dis_start or (warm and cfg.warm_iters is not None and key in self.lows)
            field, self.lows[key] = encoded_video_flow(
                model, cache, iters=cfg.warm_iters if use_init and cfg.warm_iters is not None else cfg.iters,
                batch_size=cfg.batch_size, flow_init=self.lows[key] if use_init else None,
                keep_backward=self.keep_backward, progress=self.progress,
            )
        else:
            work = cfg.work_size if self.boxes is not None else None
            field = compute_video_flow(
                model, self.frames, boxes=self.boxes, work_size=work, batch_size=cfg.batch_size, iters=cfg.iters,
                backward=True, keep_backward=self.keep_backward, device=self.device, progress=self.progress,
            )
        self.flows[key] = field
        return field

    def dis_flow(self) -> FlowField:
        """OpenCV DIS's flow on the networks' crops (or the full frame without crops), forward and backward,
        computed once: the DIS start and swap detection share it."""
        if self.dis is None:
            cfg = self.config.flow
            self.dis = compute_video_flow(
                DISFlow(), self.frames, boxes=self.boxes, work_size=cfg.work_size if self.boxes is not None else None,
                batch_size=cfg.batch_size, backward=True, keep_backward=True, device=self.device,
                progress=self.progress,
            )
        return self.dis

    def initial(self) -> FlowField:
        """F_0: every network's flow of every pair (averaged over an ensemble)."""
        return average_flows([self._infer(m, warm=False) for m in self.models])

    def can_train(self) -> bool:
        """Whether a cycle changes the flow (some network is trainable and fine-tuning is on)."""
        return bool(self.config.finetune_flow and self.trainable)

    def cycle(
        self,
        poses: PoseSequence,
        conf: np.ndarray,
        flow: FlowField,
        *,
        seed: int,
        draw: Callable[[FlowField], Sketch] | None = None,
    ) -> tuple[FlowField, dict[str, float], dict[str, float]]:
        """One flow stage: sketch the poses' bone motion, fine-tune toward the composed target, recompute.

        Args:
            poses: the current poses X_{k-1}.
            conf: (T, J) detection confidences of the initial estimate.
            flow: the current flow F_{k-1} (the ensemble's).
            seed: seeds the fine-tuning.
            draw: another sketch of the current fit on F_{k-1}'s grids (e.g. a body model's mesh,
                :func:`flowpose.body.mesh_sketch.sketch_mesh_motion`), or None for the poses' bone sketch.

        Returns:
            F_k, the seconds per step (``sketch``, ``finetune``, ``flow_inference``) and the last epoch's
            fine-tuning loss (``finetune``, averaged over the networks).
        """
        cfg = self.config
        seconds: dict[str, float] = {}
        t0 = time.perf_counter()
        if draw is None:
            sketch = sketch_bone_motion(poses.joints3d, poses.K, conf, flow, config=cfg.sketch)
        else:
            sketch = draw(flow)
        target = compose_target(flow, sketch)
        del sketch  # memory: a flow field's worth (flow and weight) for every pair
        seconds["sketch"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        results = []
        for m in self.trainable:
            own = self.flows.get(id(m), flow)
            scores = pair_scores(target, own)
            if self._cached(m):
                results.append(finetune_encoded(
                    m, self.caches[id(m)], target, config=cfg.finetune, flow_init=self.lows[id(m)][0],
                    scores=scores, device=self.device, seed=seed, progress=self.progress,
                ))
            else:
                results.append(finetune_flow(
                    m, self.frames, target, config=cfg.finetune, scores=scores, device=self.device, seed=seed,
                    progress=self.progress,
                ))
        seconds["finetune"] = time.perf_counter() - t0
        losses = {"finetune": float(np.mean([r.losses[-1] for r in results]))} if results and results[0].losses else {}
        del target  # memory: not needed by the inference that follows
        t0 = time.perf_counter()
        new = average_flows([self._infer(m, warm=True) for m in self.models])
        seconds["flow_inference"] = time.perf_counter() - t0
        return new, seconds, losses
