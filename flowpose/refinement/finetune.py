"""Per-video fine-tuning of the flow network toward the composed target (the flow stage, DESIGN.md).

The network is trained on the video's own frame pairs, on the grids of the target :class:`FlowField` (the full
frame or person-centred crops), with RAFT's sequence loss in its smooth-L1 form, as in the seed (BMVC 2022): eq. (1)
of :mod:`flowpose.refinement.sequence_loss`. The pairs, their crops and targets are
:mod:`flowpose.refinement.training_pairs`'.

Where the sketch is absent, the target is the network's own flow (see
:func:`flowpose.refinement.sketch.compose_target`), so those pixels are a self-distillation anchor: they keep
the network from forgetting what it already did well while it learns the limbs. A classical backend
(``trainable = False``, e.g. DIS) cannot be fine-tuned: :func:`finetune_flow` then returns at once with
``steps = 0`` and a note. The refinement loop then keeps the backend's own flow F_0: the composed target is
partly drawn from the poses and is never used as flow (see :mod:`flowpose.refinement.loop`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from tqdm import tqdm

from flowpose.errors import InputError, ShapeError, check_fields
from flowpose.flow.field import FlowField
from flowpose.refinement.sequence_loss import flow_sequence_loss
from flowpose.refinement.training_pairs import PairCrops, chosen_pairs, target_batch

if TYPE_CHECKING:
    from flowpose.flow.encoded import EncodedVideo


@dataclass(frozen=True)
class FinetuneConfig:
    """Optimisation of the per-video fine-tuning (seed: Adam lr 1e-5, 20 GRU iterations, 8 epochs)."""

    lr: float = 1e-5
    """AdamW learning rate (the seed's Adam 1e-5: small, to adapt rather than retrain)."""
    epochs: int = 8
    """Passes over all frame pairs of the video (the seed's 8); 0 leaves the network unchanged."""
    iters: int = 12
    """GRU iterations in training. The seed used 20; RAFT trains with 12 and each iteration costs a backward
    pass, so 12 trades a little accuracy at test-time iteration counts for ~40% less time."""
    batch_size: int = 2
    """Frame pairs per optimiser step."""
    beta: float = 1.0
    """Smooth-L1 (Huber) transition in grid pixels: quadratic below, linear above."""
    gamma: float = 0.8
    """Sequence-loss decay of eq. (1): iteration i of n is weighted gamma^(n - i) (RAFT's 0.8)."""
    weight_decay: float = 0.0
    """AdamW decoupled weight decay; 0 by default: decay pulls toward zero, not the pretrained weights."""
    grad_clip: float | None = 1.0
    """Largest global gradient norm (RAFT's 1.0); None disables clipping."""
    only_weighted: bool = False
    """False (default): every pixel counts with the target confidence as a soft weight, averaged over the
    grid, so the network's own trusted flow anchors it (self-distillation) and the sketch pulls where it is
    trusted. True: a hard mask, every pixel with positive confidence counts equally, the rest not at all; this
    drops the distinction between a barely and a fully trusted pixel, so use it only with a target whose
    confidence is 0 wherever it should not teach."""
    freeze: tuple[str, ...] = ()
    """Parameter-name prefixes to freeze, e.g. ``("fnet",)`` for RAFT's feature encoder: cheaper steps and
    less drift of the correlation features."""
    max_steps: int | None = None
    """Stop after this many optimiser steps (time budget); None runs all epochs."""
    crop_cache_mb: float = 512.0
    """Crops of all pairs are extracted once (one sequential pass over the frames, good for video readers)
    when they fit in this many MB (float32); otherwise they are extracted per batch."""
    pair_fraction: float = 1.0
    """Fraction of the frame pairs trained on, those where the target differs most from the network's flow
    (sketch weight x |S - F| summed over the grid, :func:`~flowpose.refinement.training_pairs.pair_scores`); 1 trains on every pair."""
    warm_start: bool = False
    """With cached encoders (:func:`finetune_encoded`): start each training pair's iterations from the
    network's current flow, as warm-started inference does, so that ``iters`` can be small."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            {
                "lr": self.lr > 0,
                "epochs": self.epochs >= 0,
                "iters": self.iters >= 1,
                "batch_size": self.batch_size >= 1,
                "beta": self.beta > 0,
                "gamma": 0 < self.gamma <= 1,
                "weight_decay": self.weight_decay >= 0,
                "grad_clip": self.grad_clip is None or self.grad_clip > 0,
                "max_steps": self.max_steps is None or self.max_steps >= 0,
                "crop_cache_mb": self.crop_cache_mb >= 0,
                "pair_fraction": 0 < self.pair_fraction <= 1,
            },
        )


@dataclass(frozen=True)
class FinetuneResult:
    """What one fine-tuning run did.

    Attributes:
        losses: mean loss (eq. 1) of each epoch run.
        seconds: wall-clock time.
        steps: optimiser steps taken (0: the network is unchanged).
        note: why no step was taken, if none was; empty otherwise.
    """

    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    steps: int = 0
    note: str = ""


def finetune_flow(
    model: nn.Module,
    frames: np.ndarray | Sequence[np.ndarray],
    target: FlowField,
    *,
    config: FinetuneConfig = FinetuneConfig(),
    device: str | torch.device = "cpu",
    seed: int = 0,
    progress: bool = False,
    scores: np.ndarray | None = None,
) -> FinetuneResult:
    """Fine-tune a flow network in place on one video toward a target flow (module docstring, eq. 1).

    Each pair t is trained on the crops of frames t and t+1 that ``target``'s grid covers (grid pixel (i, j)
    at full-frame ``origin[t] + scale[t] * (j, i)``, resampled as flow inference does, by
    :func:`flowpose.flow.crop.crop_to_grid`), toward ``target.flow[t] / scale[t]`` in grid pixels, weighted by
    ``target.confidence[t]``.

    BatchNorm layers stay in eval mode: batches of one or two crops of one video would give noisy statistics
    and overwrite the running ones learned on large datasets (RAFT's own fine-tuning stages freeze BatchNorm
    too: ``freeze_bn`` in princeton-vl/RAFT ``train.py``). The model ends on ``device`` in its original
    train/eval mode. The caller's global torch RNG state is left untouched.

    Args:
        model: flow network with ``forward(image1, image2, *, iters) -> list[Tensor]`` (N, 2, h, w) per
            iteration, images (N, 3, h, w) RGB float in [0, 255], and optionally ``trainable`` (default True).
        frames: (T, H, W, 3) uint8 RGB array, or a lazy sequence of T such frames (``__len__``,
            ``__getitem__``).
        target: target flow, T - 1 pairs, grids (h, w) divisible by 8.
        config: optimisation settings.
        device: where to train.
        seed: seeds torch (initialisation of anything random, dropout) and the pair shuffling.
        progress: show a progress bar.
        scores: (P,) how much each pair has to teach (:func:`~flowpose.refinement.training_pairs.pair_scores`), for ``config.pair_fraction``;
            None trains on every pair.

    Returns:
        A :class:`FinetuneResult`; ``steps == 0`` with a ``note`` when nothing was trained (a non-trainable
        backend, zero epochs or steps, all parameters frozen).

    Raises:
        InputError: if the frame count does not match the target, the grid is not divisible by 8, or a
            ``freeze`` prefix names no parameter.
        ShapeError: for frames of another size than ``target.image_size`` or predictions of the wrong shape.
    """
    start_time = time.perf_counter()
    if not getattr(model, "trainable", True):
        name = getattr(model, "name", type(model).__name__)
        note = f"flow backend {name!r} is not trainable: its own flow is kept"
        return FinetuneResult(note=note)
    _check_inputs(frames, target)
    crops = PairCrops(frames, target, cache=PairCrops.nbytes(target) <= config.crop_cache_mb * 2**20)

    def predict(pairs: np.ndarray) -> tuple[list[Tensor], Tensor, Tensor]:
        img1, img2, flow, weight = crops.batch(pairs, device)
        predictions = model(img1, img2, iters=config.iters)
        return ([predictions] if isinstance(predictions, Tensor) else predictions), flow, weight

    return _finetune(model, predict, target, config, frozen=config.freeze, device=device, seed=seed,
                     progress=progress, start_time=start_time, scores=scores)


def finetune_encoded(
    model: nn.Module,
    encoded: "EncodedVideo",
    target: FlowField,
    *,
    config: FinetuneConfig = FinetuneConfig(),
    flow_init: Tensor | None = None,
    device: str | torch.device = "cpu",
    seed: int = 0,
    progress: bool = False,
    scores: np.ndarray | None = None,
) -> FinetuneResult:
    """Fine-tune a RAFT-family network's update block in place, on a video whose pairs were encoded once.

    The same loss, batches and optimiser as :func:`finetune_flow`, but the feature and context encoders (and
    GMA's attention) are frozen and not run: each step reads the cached encoder outputs
    (:class:`~flowpose.flow.encoded.EncodedVideo`) and runs only the iterations. With
    ``config.warm_start`` and ``flow_init`` the iterations start from the network's current flow.

    Args:
        model: a RAFT-family network (the one ``encoded`` was made with).
        encoded: the video's encoded pairs, on the grids of ``target``.
        target: target flow (P pairs) on the cache's grids.
        config: optimisation settings (``freeze`` adds to the frozen encoders).
        flow_init: (P, 2, h/8, w/8) forward flow at 1/8 resolution to start from (``warm_start``).
        device: where to train (the cache's device).
        seed: seeds the pair shuffling and torch.
        progress: show a progress bar.
        scores: (P,) per-pair scores for ``config.pair_fraction`` (:func:`~flowpose.refinement.training_pairs.pair_scores`); None: every pair.

    Returns:
        A :class:`FinetuneResult`.

    Raises:
        ShapeError: a target on other grids than the cache's.
    """
    start_time = time.perf_counter()
    P, h, w = target.flow.shape[:3]
    if (P, h, w) != (encoded.num_pairs, *encoded.size):
        raise ShapeError("target.flow", f"({encoded.num_pairs}, {encoded.size[0]}, {encoded.size[1]}, 2)", target.flow.shape)
    encoders = tuple(n for n in ("fnet", "cnet", "att") if getattr(model, n, None) is not None)

    def predict(pairs: np.ndarray) -> tuple[list[Tensor], Tensor, Tensor]:
        init = None
        if config.warm_start and flow_init is not None:
            init = flow_init[torch.as_tensor(pairs)].to(device)
        out = model.decode(encoded.encoded(model, pairs), iters=config.iters, flow_init=init, upsample_all=True)
        flow, weight = target_batch(target, pairs, device)
        return out.flow_predictions, flow, weight

    return _finetune(model, predict, target, config, frozen=tuple(dict.fromkeys(encoders + config.freeze)),
                     device=device, seed=seed, progress=progress, start_time=start_time, scores=scores)


def _finetune(
    model: nn.Module,
    predict: "Callable[[np.ndarray], tuple[list[Tensor], Tensor, Tensor]]",
    target: FlowField,
    config: FinetuneConfig,
    *,
    frozen: tuple[str, ...],
    device: str | torch.device,
    seed: int,
    progress: bool,
    start_time: float,
    scores: np.ndarray | None = None,
) -> FinetuneResult:
    """The shared optimisation of :func:`finetune_flow` and :func:`finetune_encoded`."""
    P = target.flow.shape[0]
    pairs = chosen_pairs(target, config.pair_fraction, scores)
    steps_planned = config.epochs * -(-len(pairs) // config.batch_size)
    if config.max_steps is not None:
        steps_planned = min(steps_planned, config.max_steps)
    if steps_planned == 0 or P == 0:
        return FinetuneResult(note="no step to take (epochs or max_steps is 0)")
    frozen_names = _frozen_names(model, frozen)
    model.to(device)
    was_training = model.training
    grad_flags = {name: p.requires_grad for name, p in model.named_parameters()}
    devices = [torch.device(device)] if torch.device(device).type == "cuda" else []
    try:
        for name, p in model.named_parameters():
            p.requires_grad_(p.requires_grad and name not in frozen_names)
        params = [p for p in model.parameters() if p.requires_grad]
        if not params:
            return FinetuneResult(note="every parameter is frozen", seconds=time.perf_counter() - start_time)
        optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
        model.train()
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            losses, steps = _train(predict, pairs, optimizer, params, config, seed, steps_planned, progress)
    finally:
        model.train(was_training)
        for name, p in model.named_parameters():
            p.requires_grad_(grad_flags[name])
    return FinetuneResult(losses=losses, seconds=time.perf_counter() - start_time, steps=steps)


def _train(
    predict: "Callable[[np.ndarray], tuple[list[Tensor], Tensor, Tensor]]",
    pairs: np.ndarray,
    optimizer: torch.optim.Optimizer,
    params: list[nn.Parameter],
    config: FinetuneConfig,
    seed: int,
    steps_planned: int,
    progress: bool,
) -> tuple[list[float], int]:
    """The epoch loop over ``pairs``; returns the per-epoch mean losses and the steps taken."""
    rng = np.random.default_rng(seed)
    losses: list[float] = []
    steps = 0
    with tqdm(total=steps_planned, disable=not progress, desc="fine-tune flow", unit="step") as bar:
        for _ in range(config.epochs):
            order = pairs[rng.permutation(len(pairs))]
            epoch_losses = []
            for first in range(0, len(order), config.batch_size):
                if steps >= steps_planned:
                    break
                predictions, flow, weight = predict(order[first : first + config.batch_size])
                loss = flow_sequence_loss(
                    predictions, flow, weight, gamma=config.gamma, beta=config.beta,
                    only_weighted=config.only_weighted,
                )
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip is not None:
                    nn.utils.clip_grad_norm_(params, config.grad_clip)
                optimizer.step()
                steps += 1
                epoch_losses.append(float(loss.detach()))
                bar.update(1)
                bar.set_postfix(loss=f"{epoch_losses[-1]:.3f}")
            if epoch_losses:
                losses.append(float(np.mean(epoch_losses)))
            if steps >= steps_planned:
                break
    return losses, steps


def _check_inputs(frames: np.ndarray | Sequence[np.ndarray], target: FlowField) -> None:
    """Frame count, frame size and grid divisibility (see :func:`finetune_flow`, Raises)."""
    P, h, w = target.flow.shape[:3]
    if h % 8 or w % 8:
        raise InputError(
            f"target grid must have a height and width divisible by 8 for the flow network, instead got "
            f"{h} (h) and {w} (w); choose a crop size that is a multiple of 8"
        )
    if len(frames) != P + 1:
        raise InputError(f"frames: expected T = {P + 1} frames for a target of {P} pairs, got {len(frames)}")
    H, W = target.image_size
    first = np.asarray(frames[0])
    if first.shape != (H, W, 3):
        raise ShapeError("frames[0]", f"({H}, {W}, 3) RGB (the target's image size)", first.shape)


def _frozen_names(model: nn.Module, prefixes: tuple[str, ...]) -> set[str]:
    """Names of the parameters under the ``freeze`` prefixes; InputError for a prefix that matches none."""
    names = [name for name, _ in model.named_parameters()]
    frozen: set[str] = set()
    for prefix in prefixes:
        hits = {n for n in names if n == prefix or n.startswith(prefix + ".")}
        if not hits:
            children = sorted(name for name, _ in model.named_children())
            raise InputError(
                f"FinetuneConfig.freeze: {prefix!r} names no parameter; top-level modules: {children}"
            )
        frozen |= hits
    return frozen
