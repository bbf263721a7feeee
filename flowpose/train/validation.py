"""Validation of a flow network in training: EPE on the held-out sets, and the score ``best.pt`` is chosen by."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from flowpose.train.config import TrainConfig
from flowpose.train.data import ValidationSet, autoflow_validation, human_validation


def _epe_stats(pred: torch.Tensor, batch: dict[str, torch.Tensor], name: str) -> dict[str, float]:
    """Mean EPE over all pixels, valid pixels and (for human sets) human pixels of frame 1."""
    epe = torch.linalg.vector_norm(pred - batch["flow"], dim=1)
    stats = {f"{name}/epe_all": float(epe.mean()), f"{name}/epe_valid": float(epe[batch["valid"]].mean())}
    if batch["human"].any():
        stats[f"{name}/epe_human"] = float(epe[batch["human"]].mean())
    return stats


def validate(
    model: nn.Module,
    sets: list[ValidationSet],
    *,
    iters: int,
    batch_size: int = 8,
    score_human_pixels: bool = False,
) -> dict[str, float]:
    """Validation EPE of ``model`` (in eval mode, no gradients) on each held-out set.

    Args:
        model: a flow network with ``predict(image1, image2, *, iters)``.
        sets: the validation sets.
        iters: GRU iterations.
        batch_size: pairs per forward pass.
        score_human_pixels: add each human set's human-pixel EPE to the figures the score averages.

    Returns:
        ``{"<set>/epe_all" | "/epe_valid" | "/epe_human": px}`` and ``"score"``, the mean of the sets'
        valid-pixel EPE (and, with ``score_human_pixels``, human-pixel EPE): the figure ``best.pt`` is
        chosen by.
    """
    stats: dict[str, float] = {}
    for vset in sets:
        n = vset.batch["image1"].shape[0]
        preds = [
            model.predict(
                vset.batch["image1"][i : i + batch_size],
                vset.batch["image2"][i : i + batch_size],
                iters=iters,
            )
            for i in range(0, n, batch_size)
        ]
        stats.update(_epe_stats(torch.cat(preds), vset.batch, vset.name))
    scored = [stats[f"{s.name}/epe_valid"] for s in sets]
    if score_human_pixels:
        scored += [stats[f"{s.name}/epe_human"] for s in sets if f"{s.name}/epe_human" in stats]
    stats["score"] = float(np.mean(scored))
    return stats


def validation_sets(config: TrainConfig, held_out: Path | None) -> list[ValidationSet]:
    """The held-out sets a run with ``config`` validates on (they follow ``config.seed``).

    Args:
        config: the recipe (its seed, crop, pair and clip counts, human sampling).
        held_out: the held-out motion file, or None for AutoFlow scenes only.

    Returns:
        ``[autoflow]``, or ``[autoflow, human]`` with ``held_out``; crops of ``config.crop``.
    """
    sets = [autoflow_validation(config.val_autoflow_pairs, config.crop, config.seed)]
    if held_out is not None:
        sets.append(
            human_validation(held_out, config.val_human_clips, config.crop[0], config.seed, config.human)
        )
    return sets
