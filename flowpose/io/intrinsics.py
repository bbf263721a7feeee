"""The camera of a video: intrinsics from a file, a focal length, or a field-of-view guess.

Conventions. Pixel (0, 0) is the centre of the top-left pixel. A field of view is *horizontal*: it spans the
image's width (its longer side on landscape video, its shorter side on portrait video), so
``f = (W / 2) / tan(fov / 2)``. Without a file the principal point is the image centre,
``((W - 1) / 2, (H - 1) / 2)``; a calibrated K is the only way to give another one.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flowpose.camera import intrinsics_from_fov
from flowpose.errors import InputError, ShapeError
from flowpose.io.npz import npy_header_problem, read_npz
from flowpose.io.poses import check_readable, read_json
from flowpose.pose import check_intrinsics

INTRINSICS_SUFFIXES = (".npy", ".txt", ".npz", ".json")


def intrinsics_matrix(values: np.ndarray, source: str) -> np.ndarray:
    """A (3, 3) K from 9 numbers (row-major 3x3) or 4 numbers ``fx fy cx cy``, checked.

    Args:
        values: the numbers, any shape holding 9 or 4 of them.
        source: the file or option they came from, for messages.

    Returns:
        (3, 3) float64 K.

    Raises:
        ShapeError: for any other count.
        InputError: for a K that is not a pinhole matrix with positive focal lengths.

    Example:
        >>> intrinsics_matrix(np.array([500.0, 500.0, 320.0, 240.0]), "K").tolist()[0]
        [500.0, 0.0, 320.0]
    """
    v = np.asarray(values, np.float64)
    if v.size == 4:
        fx, fy, cx, cy = v.ravel()
        K = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    elif v.shape == (3, 3) or v.shape == (9,):
        K = v.reshape(3, 3)
    else:
        raise ShapeError("K", "(3, 3) or 4 numbers fx fy cx cy", v.shape, source)
    check_intrinsics(K, f"{source}: ")
    return K


def load_intrinsics(path: str | os.PathLike[str]) -> np.ndarray:
    """Read K from a file: 3x3 or ``fx fy cx cy``.

    Formats: ``.npy`` (the array), ``.txt`` (three rows of three numbers, or one row of four), ``.npz`` (key
    ``K``), ``.json`` (a 3x3 list, a list of four, or an object with ``K`` or with ``fx, fy, cx, cy``).

    Raises:
        InputError: for a missing or unreadable file, or a K that is not 3x3 with positive focal lengths.
    """
    p = check_readable(path, INTRINSICS_SUFFIXES, "camera intrinsics file (3x3 K or fx fy cx cy)")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npz":
            data = read_npz(p, "camera intrinsics file")
            if "K" not in data:
                raise InputError(f"{p}: missing key 'K'; has {sorted(data)}")
            values = data["K"]
        elif suffix == ".npy":
            problem = npy_header_problem(p)
            if problem is not None:
                raise InputError(f"{p}: not a readable camera intrinsics file: {problem}")
            values = np.load(p, allow_pickle=False)
        elif suffix == ".json":
            values = _json_values(p, read_json(p, "camera intrinsics file"))
        else:
            values = np.loadtxt(p, ndmin=2)
    except InputError:
        raise  # already names the file and the problem
    except (ValueError, OSError, EOFError) as e:
        raise InputError(f"{p}: not a readable camera intrinsics file: {e}") from None
    return intrinsics_matrix(values, str(p))


def _json_values(path: Path, doc: object) -> np.ndarray:
    if isinstance(doc, dict):
        if "K" in doc:
            doc = doc["K"]
        elif all(k in doc for k in ("fx", "fy", "cx", "cy")):
            doc = [doc["fx"], doc["fy"], doc["cx"], doc["cy"]]
        else:
            raise InputError(f"{path}: expected key 'K' or keys fx, fy, cx, cy; has {sorted(doc)}")
    return np.asarray(doc, np.float64)


@dataclass(frozen=True)
class CameraOptions:
    """How the user described the camera (``--intrinsics``, ``--focal-px``, ``--fov``); the first given wins."""

    intrinsics: Path | None = None
    """A file holding K (:func:`load_intrinsics`)."""
    focal_px: float | None = None
    """The focal length in pixels (square pixels, principal point at the image centre)."""
    fov_deg: float = 60.0
    """The horizontal field of view, degrees: a guess when nothing else is known (60 suits phones and webcams)."""

    def __post_init__(self) -> None:
        if self.focal_px is not None and not (math.isfinite(self.focal_px) and self.focal_px > 0):
            raise InputError(f"--focal-px must be a positive number of pixels, got {self.focal_px}")
        if not 0.0 < self.fov_deg < 180.0:
            raise InputError(f"--fov must lie in (0, 180) degrees, got {self.fov_deg}")

    @property
    def guessed(self) -> bool:
        """True when only the field of view (a guess) describes the camera."""
        return self.intrinsics is None and self.focal_px is None

    def matrix(self, image_size: tuple[int, int]) -> np.ndarray:
        """(3, 3) K for frames of ``image_size`` (H, W) px.

        Raises:
            InputError: for an unreadable intrinsics file.
        """
        if self.intrinsics is not None:
            return load_intrinsics(self.intrinsics)
        H, W = image_size
        if self.focal_px is not None:
            return np.array([[self.focal_px, 0.0, (W - 1) / 2], [0.0, self.focal_px, (H - 1) / 2], [0.0, 0.0, 1.0]])
        return intrinsics_from_fov(W, H, self.fov_deg)

    def describe(self, image_size: tuple[int, int]) -> str:
        """One line for the user: where the focal length came from, and whether it is a guess."""
        K = self.matrix(image_size)
        if self.intrinsics is not None:
            return f"camera: K from {self.intrinsics} (fx {K[0, 0]:.1f} px)"
        if self.focal_px is not None:
            return f"camera: focal length {self.focal_px:.1f} px, principal point at the image centre"
        return (
            f"camera: focal length {K[0, 0]:.1f} px is a GUESS from --fov {self.fov_deg:g} (horizontal); "
            "pass --intrinsics FILE or --focal-px F for metric depth"
        )
