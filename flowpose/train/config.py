"""The training recipe of the flow network (:func:`flowpose.train.trainer.train`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flowpose.errors import InputError
from flowpose.train.human import HumanConfig


@dataclass(frozen=True)
class TrainConfig:
    """The training recipe."""

    steps: int = 100_000
    """Total optimisation steps (sets the one-cycle schedule)."""
    batch_size: int = 8
    """Pairs per step."""
    crop: tuple[int, int] = (128, 128)
    """Training crop (H, W), multiples of 8."""
    lr: float = 4e-4
    """Peak learning rate (RAFT: 4e-4 on FlyingChairs)."""
    weight_decay: float = 1e-4
    """AdamW weight decay (RAFT: 1e-4)."""
    pct_start: float = 0.05
    """Fraction of the schedule spent warming up (RAFT: 0.05)."""
    grad_clip: float = 1.0
    """Gradient-norm clip (RAFT: 1.0)."""
    iters: int = 12
    """GRU iterations in training and validation (RAFT: 12)."""
    gamma: float = 0.8
    """Sequence-loss decay (RAFT: 0.8)."""
    max_flow: float = 400.0
    """Ground-truth magnitudes excluded from the loss, px."""
    human_fraction: float = 0.3
    """Share of rendered human pairs in a batch (the rest AutoFlow scenes); ignored without mocap data."""
    human: HumanConfig = field(default_factory=HumanConfig)
    """Human clip sampling."""
    human_loss_weight: float = 1.0
    """Weight of a person's pixels in the loss relative to other valid pixels (1: RAFT's plain mean)."""
    init_weights: str | None = None
    """State dict (bare keys) to start from instead of a random initialisation: a second training stage,
    like RAFT's Chairs -> Things -> Sintel schedule. None trains from scratch."""
    score_human_pixels: bool = False
    """Also average the human set's human-pixel EPE into the validation score that picks ``best.pt``."""
    held_out_motion: str = "cmu_3dsmax/131_03.bvh"
    """Mocap file, relative to the mocap folder, kept out of training and rendered for validation."""
    log_every: int = 10
    """Steps per training log line."""
    val_every: int = 500
    """Steps per validation (also run at the last step)."""
    val_autoflow_pairs: int = 32
    """Held-out AutoFlow pairs."""
    val_human_clips: int = 6
    """Held-out rendered human clips."""
    checkpoint_every: int = 200
    """Steps per checkpoint."""
    checkpoint_minutes: float = 10.0
    """Also checkpoint when this much wall time has passed since the last one."""
    seed: int = 0
    """Seed of the model initialisation and of all data."""
    num_threads: int = 1
    """Torch threads of the optimisation process."""
    data_workers: int = 1
    """Background data processes (0 = generate in the main process)."""

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise InputError(
                f"TrainConfig: steps and batch_size must be >= 1, got {self.steps}, {self.batch_size}"
            )
        if len(self.crop) != 2 or any(c % 8 or c < 64 for c in self.crop):
            raise InputError(f"TrainConfig.crop must be (H, W), multiples of 8 and >= 64, got {self.crop}")
        if not 0.0 <= self.human_fraction <= 1.0:
            raise InputError(f"TrainConfig.human_fraction must be in [0, 1], got {self.human_fraction}")
        if self.human_loss_weight <= 0.0:
            raise InputError(f"TrainConfig.human_loss_weight must be > 0, got {self.human_loss_weight}")
