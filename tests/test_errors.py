"""Tests for flowpose.errors: the family the command line turns into one line, and the messages it builds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from flowpose.errors import (
    FlowposeError,
    InputError,
    ShapeError,
    WeightsUnavailableError,
    check_fields,
    unknown_name_error,
)


def test_the_family() -> None:
    assert issubclass(ShapeError, InputError) and issubclass(InputError, ValueError)
    assert issubclass(WeightsUnavailableError, FlowposeError) and issubclass(WeightsUnavailableError, RuntimeError)
    assert not issubclass(WeightsUnavailableError, InputError)


def test_a_shape_error_names_the_array_its_source_and_both_shapes() -> None:
    err = ShapeError("joints3d", "(T, J, 3)", np.zeros((4, 17, 2)).shape, source="poses.npz")
    assert str(err) == "poses.npz: joints3d must have shape (T, J, 3), got (4, 17, 2)"
    assert err.actual == (4, 17, 2) and err.name == "joints3d" and err.source == "poses.npz"
    assert str(ShapeError("K", "(3, 3)", (np.int64(2), 3))) == "K must have shape (3, 3), got (2, 3)"


def test_an_unknown_name_lists_the_choices_sorted() -> None:
    err = unknown_name_error("flow network", "rafts", ["raft", "gma", "dis"])
    assert isinstance(err, InputError)
    assert str(err) == "unknown flow network 'rafts'; choose from ['dis', 'gma', 'raft']"


@dataclass(frozen=True)
class _Config:
    steps: int = 10
    rate: float = -1.0


def test_check_fields_names_the_first_field_out_of_range() -> None:
    config = _Config()
    check_fields(config, {"steps": config.steps > 0})
    with pytest.raises(InputError, match=r"^_Config\.rate is out of range: got -1\.0$"):
        check_fields(config, {"steps": config.steps > 0, "rate": config.rate > 0})
