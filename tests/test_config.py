"""Tests of the refinement configuration and presets."""

from __future__ import annotations

import dataclasses

import pytest

from flowpose.config import PRESETS, FlowConfig, RefineConfig, get_preset, with_cycles, without_flow
from flowpose.errors import InputError


def test_presets_exist_and_are_frozen():
    assert set(PRESETS) >= {"fast", "quality"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRESETS["fast"].cycles = 9  # type: ignore[misc]


def test_unknown_preset_lists_choices():
    with pytest.raises(InputError, match=r"unknown preset 'slow'.*fast.*quality"):
        get_preset("slow")


def test_with_cycles_copies():
    cfg = with_cycles(PRESETS["fast"], 5)
    assert cfg.cycles == 5
    assert cfg.flow == PRESETS["fast"].flow and PRESETS["fast"].cycles == 3


def test_without_flow_is_the_same_refinement_with_no_use_of_the_flow():
    quality = PRESETS["quality"]
    base = without_flow(quality)
    assert base.pose.w_flow == 0.0 and not base.finetune_flow
    assert base.swaps.enabled and base.swaps.motion == "none"  # swaps repaired by continuity, not along the flow
    assert dataclasses.replace(base.pose, w_flow=quality.pose.w_flow) == quality.pose  # every other weight kept
    assert (base.cycles, base.flow) == (quality.cycles, quality.flow) and quality.pose.w_flow > 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"names": ()}, "at least one"),
        ({"names": ("dis", "raft"), "weights": (None,)}, "one entry per backend"),
        ({"work_size": 100}, "multiple of 8"),
        ({"iters": 0}, r"^FlowConfig\.iters must be >= 1, got 0$"),
        ({"crop_window": -1}, r"^FlowConfig\.crop_window must be >= 1, got -1$"),
        ({"batch_size": 0}, r"^FlowConfig\.batch_size must be >= 1, got 0$"),
        ({"crop_pad": -0.1}, r"^FlowConfig\.crop_pad must be a finite fraction >= 0, got -0\.1$"),
        ({"crop_pad": float("nan")}, r"crop_pad must be a finite fraction >= 0, got nan$"),
    ],
)
def test_flow_config_validation(kwargs, message):
    with pytest.raises(InputError, match=message):
        FlowConfig(**kwargs)


def test_negative_cycles_refused():
    with pytest.raises(InputError, match="cycles"):
        RefineConfig(cycles=-1)
    with pytest.raises(InputError, match="smpl_max_steps must be >= 0, got -5"):
        RefineConfig(smpl_max_steps=-5)
