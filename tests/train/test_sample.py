"""Tests for flowpose.train.sample: a training pair checks its shapes and stores compact dtypes."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import ShapeError
from flowpose.train.sample import FlowSample


def _arrays(H: int = 6, W: int = 8) -> dict[str, np.ndarray]:
    return {
        "image1": np.zeros((H, W, 3), np.float64),
        "image2": np.ones((H, W, 3), np.int64),
        "flow": np.zeros((H, W, 2), np.float64),
        "valid": np.ones((H, W), np.uint8),
    }


def test_a_pair_is_stored_in_compact_dtypes_with_no_person_by_default() -> None:
    sample = FlowSample(**_arrays())
    assert sample.size == (6, 8)
    assert (sample.image1.dtype, sample.image2.dtype, sample.flow.dtype, sample.valid.dtype) == (
        np.uint8, np.uint8, np.float32, np.bool_
    )
    assert sample.human.shape == (6, 8) and not sample.human.any()


@pytest.mark.parametrize(
    ("key", "bad", "message"),
    [
        ("image1", np.zeros((6, 8)), r"image1 must have shape \(H, W, 3\)"),
        ("image2", np.zeros((6, 7, 3)), r"image2 must have shape \(6, 8, 3\)"),
        ("flow", np.zeros((6, 8, 3)), r"flow must have shape \(6, 8, 2\)"),
        ("valid", np.zeros((8, 6)), r"valid must have shape \(6, 8\)"),
        ("human", np.zeros((6, 8, 1)), r"human must have shape \(6, 8\)"),
    ],
)
def test_arrays_that_disagree_are_refused(key: str, bad: np.ndarray, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        FlowSample(**{**_arrays(), key: bad})
