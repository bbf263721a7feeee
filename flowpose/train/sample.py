"""The training sample of the flow trainer: two frames, their forward flow and where that flow is defined."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowpose.errors import ShapeError


@dataclass(frozen=True)
class FlowSample:
    """One training pair with dense ground-truth forward flow, frame 1 -> frame 2.

    Attributes:
        image1: (H, W, 3) uint8 RGB, frame 1.
        image2: (H, W, 3) uint8 RGB, frame 2.
        flow: (H, W, 2) float32 displacement (u, v) in pixels of every frame-1 pixel.
        valid: (H, W) bool, True where the frame-1 point is visible in frame 2 and lands inside the image.
        human: (H, W) bool, True on pixels of a person in frame 1 (all False for scenes without one).

    Raises:
        ShapeError: if the arrays disagree in shape.
    """

    image1: np.ndarray
    image2: np.ndarray
    flow: np.ndarray
    valid: np.ndarray
    human: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.image1.ndim != 3 or self.image1.shape[-1] != 3:
            raise ShapeError("image1", "(H, W, 3)", self.image1.shape)
        H, W = self.image1.shape[:2]
        if self.image2.shape != (H, W, 3):
            raise ShapeError("image2", f"({H}, {W}, 3)", self.image2.shape)
        if self.flow.shape != (H, W, 2):
            raise ShapeError("flow", f"({H}, {W}, 2)", self.flow.shape)
        if self.valid.shape != (H, W):
            raise ShapeError("valid", f"({H}, {W})", self.valid.shape)
        human = np.zeros((H, W), bool) if self.human is None else np.asarray(self.human, bool)
        if human.shape != (H, W):
            raise ShapeError("human", f"({H}, {W})", human.shape)
        object.__setattr__(self, "image1", np.ascontiguousarray(self.image1, np.uint8))
        object.__setattr__(self, "image2", np.ascontiguousarray(self.image2, np.uint8))
        object.__setattr__(self, "flow", np.ascontiguousarray(self.flow, np.float32))
        object.__setattr__(self, "valid", np.ascontiguousarray(self.valid, bool))
        object.__setattr__(self, "human", human)

    @property
    def size(self) -> tuple[int, int]:
        """(H, W) of the pair."""
        return self.image1.shape[0], self.image1.shape[1]
