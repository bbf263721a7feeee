"""A stand-in for MediaPipe's single-image ``Pose`` solution in tests: bodies are coloured rectangles."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

RED, BLUE = np.array([220, 0, 0]), np.array([0, 0, 220])


def region(image: np.ndarray, colour: np.ndarray) -> tuple[int, int, int, int] | None:
    """The (x0, y0, x1, y1) box (x1, y1 exclusive) of the pixels of ``colour`` in an (H, W, 3) image, or None."""
    ys, xs = np.nonzero((np.abs(image.astype(int) - colour) < 30).all(-1))
    return None if len(xs) == 0 else (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


class FakePose:
    """MediaPipe's ``Pose`` as the estimator uses it (a context manager with ``process``); subclasses give
    :meth:`landmarks`."""

    def __init__(self, **_: object) -> None:
        pass

    def __enter__(self) -> FakePose:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def landmarks(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(33, 2) px landmarks and (33,) visibilities found in ``image``, or None (nobody)."""
        raise NotImplementedError

    def world(self, image: np.ndarray) -> np.ndarray:
        """(33, 3) hip-centred metres of the body found in ``image`` (image axes: x right, y down); zeros here."""
        return np.zeros((33, 3))

    def process(self, image: np.ndarray) -> SimpleNamespace:
        """MediaPipe's result object for ``image``."""
        found = self.landmarks(image)
        if found is None:
            return SimpleNamespace(pose_landmarks=None, pose_world_landmarks=None)
        H, W = image.shape[:2]
        points, vis = found
        marks = [SimpleNamespace(x=(x + 0.5) / W, y=(y + 0.5) / H, z=0.0, visibility=float(v))
                 for (x, y), v in zip(points, vis)]
        world = [SimpleNamespace(x=float(x), y=float(y), z=float(z)) for x, y, z in self.world(image)]
        return SimpleNamespace(pose_landmarks=SimpleNamespace(landmark=marks),
                               pose_world_landmarks=SimpleNamespace(landmark=world))


ESTIMATE_MODULES = ("people", "gaps", "separate", "looks")
"""The modules of :mod:`flowpose.estimate` that open MediaPipe (each through its own ``require_mediapipe``)."""


def use_fake_mediapipe(monkeypatch: pytest.MonkeyPatch, pose: type[FakePose]) -> None:
    """Make every module of :data:`ESTIMATE_MODULES` open ``pose`` in place of MediaPipe's ``Pose``."""
    import importlib

    fake = SimpleNamespace(Pose=pose)
    for name in ESTIMATE_MODULES:
        monkeypatch.setattr(importlib.import_module(f"flowpose.estimate.{name}"), "require_mediapipe", lambda: fake)
