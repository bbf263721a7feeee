"""Batches and the held-out validation set of the flow trainer.

Every training batch is a pure function of ``(seed, step)``: its generator is ``default_rng([seed, step])``.
Batches can therefore be made in a background worker process in any order, and a resumed run sees exactly
the data of an uninterrupted one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from flowpose.train.augment import AugmentConfig, augment
from flowpose.train.autoflow import AutoflowConfig, make_autoflow_pair
from flowpose.train.human import HumanConfig, HumanPairSource, load_motions, render_random_clip
from flowpose.train.sample import FlowSample

# Scenes are generated this much larger than the crop so the random crop varies the framing (RAFT crops too).
GENERATION_MARGIN = 16


def collate(samples: list[FlowSample]) -> dict[str, torch.Tensor]:
    """Stack pairs into a batch.

    Args:
        samples: B pairs of equal size.

    Returns:
        ``image1``, ``image2`` (B, 3, H, W) float32 in [0, 255]; ``flow`` (B, 2, H, W) float32 px;
        ``valid``, ``human`` (B, H, W) bool.
    """

    def images(key: str) -> torch.Tensor:
        return torch.from_numpy(np.stack([getattr(s, key) for s in samples])).permute(0, 3, 1, 2).float()

    return {
        "image1": images("image1"),
        "image2": images("image2"),
        "flow": torch.from_numpy(np.stack([s.flow for s in samples])).permute(0, 3, 1, 2).contiguous(),
        "valid": torch.from_numpy(np.stack([s.valid for s in samples])),
        "human": torch.from_numpy(np.stack([s.human for s in samples])),
    }


class StepBatches(torch.utils.data.Dataset):
    """Map-style dataset whose item ``step`` is the training batch of that step.

    Args:
        seed: data seed.
        batch_size: pairs per batch.
        crop: (h, w) of the training crop.
        human_fraction: probability that a pair is a rendered human pair rather than an AutoFlow scene.
        human: the human pair source, or None for AutoFlow only.
        autoflow: scene ranges.
        augmentation: augmentation ranges.
    """

    def __init__(
        self,
        *,
        seed: int,
        batch_size: int,
        crop: tuple[int, int],
        human_fraction: float,
        human: HumanPairSource | None,
        autoflow: AutoflowConfig = AutoflowConfig(),
        augmentation: AugmentConfig = AugmentConfig(),
    ) -> None:
        self.seed = seed
        self.batch_size = batch_size
        self.crop = crop
        self.human_fraction = human_fraction if human is not None else 0.0
        self.human = human
        self.autoflow = autoflow
        self.augmentation = augmentation

    def __len__(self) -> int:
        return 2**62  # indexed by step; the sampler decides which steps are drawn

    def __getitem__(self, step: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, int(step)])
        size = (self.crop[0] + GENERATION_MARGIN, self.crop[1] + GENERATION_MARGIN)
        samples = []
        for _ in range(self.batch_size):
            if self.human is not None and rng.random() < self.human_fraction:
                sample = self.human.sample(rng, int(step))
            else:
                sample = make_autoflow_pair(rng, size, self.autoflow)
            samples.append(augment(rng, sample, self.crop, self.augmentation))
        return collate(samples)


@dataclass(frozen=True)
class ValidationSet:
    """Fixed held-out pairs, made once from fixed seeds.

    Attributes:
        name: ``"autoflow"`` or ``"human"``.
        batch: the pairs as a :func:`collate` batch.
    """

    name: str
    batch: dict[str, torch.Tensor]


def autoflow_validation(count: int, size: tuple[int, int], seed: int) -> ValidationSet:
    """``count`` AutoFlow pairs from seeds disjoint from training (``[seed, -1, i]`` vs ``[seed, step]``).

    Args:
        count: number of pairs.
        size: (H, W).
        seed: base seed.

    Returns:
        The set.
    """
    samples = [make_autoflow_pair(np.random.default_rng([seed, 2**32 - 1, i]), size) for i in range(count)]
    return ValidationSet("autoflow", collate(samples))


def human_validation(
    motion_path: Path, clips: int, size: int, seed: int, config: HumanConfig
) -> ValidationSet:
    """Pairs rendered from a held-out motion file, ``clips`` clips with fixed seeds.

    Args:
        motion_path: the held-out clip (never used for training).
        clips: number of rendered clips (each gives ``config.clip_frames - 1`` pairs).
        size: square render size.
        seed: base seed.
        config: sampling ranges.

    Returns:
        The set.
    """
    motions = load_motions([motion_path])
    samples = []
    for i in range(clips):
        samples += render_random_clip(np.random.default_rng([seed, 2**32 - 2, i]), motions, size, config)
    return ValidationSet("human", collate(samples))
