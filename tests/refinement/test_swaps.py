"""Left-right limb swaps found along the flow (flowpose/refinement/swaps.py)."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.flow.field import FlowField
from flowpose.metrics import swapped_limbs
from flowpose.refinement.swaps import (
    SwapConfig,
    _viterbi,
    describe_swaps,
    detect_swaps,
    relabel,
    repair_swaps,
)

ARMS = [11, 12, 13, 14, 15, 16]


def _swap_arms(poses, frames):
    swapped = np.zeros((poses.num_frames, 2), bool)
    swapped[frames, 1] = True
    return relabel(poses, swapped)


def test_viterbi_prefers_the_labelling_the_motion_supports() -> None:
    same = np.array([0.0, 5.0, 0.0, 0.0, 5.0, 0.0])  # the labels jump at pairs 1 and 4
    cross = np.array([5.0, 0.0, 5.0, 5.0, 0.0, 5.0])
    np.testing.assert_array_equal(_viterbi(same, cross, prior=0.1), [0, 0, 1, 1, 1, 0, 0])
    # No evidence: the prior keeps every frame as labelled.
    np.testing.assert_array_equal(_viterbi(np.zeros(4), np.zeros(4), prior=0.3), np.zeros(5))


def test_relabel_swaps_3d_2d_and_confidence_and_is_its_own_inverse(tiny_clip) -> None:
    est = tiny_clip.estimate
    once = _swap_arms(est, [2, 3])
    np.testing.assert_array_equal(once.joints3d[2, 11], est.joints3d[2, 14])
    np.testing.assert_array_equal(once.joints2d[3, 16], est.joints2d[3, 13])
    np.testing.assert_array_equal(once.conf[2, 12], est.conf[2, 15])
    np.testing.assert_array_equal(once.joints3d[4], est.joints3d[4])
    np.testing.assert_array_equal(_swap_arms(once, [2, 3]).joints3d, est.joints3d)


def test_a_swapped_run_is_found_along_the_true_flow(tiny_clip) -> None:
    gt = tiny_clip.gt
    flow = FlowField.full_frame(gt.flow, gt.flow_valid.astype(np.float32))
    est = tiny_clip.estimate
    bad = _swap_arms(est, [3, 4, 5])
    assert swapped_limbs(bad.joints3d, gt.joints3d)[3:6, 1].all()
    found = detect_swaps(bad, flow, SwapConfig(motion="flow"))
    np.testing.assert_array_equal(np.flatnonzero(found[:, 1]), [3, 4, 5])
    assert not found[:, 0].any()
    repaired = repair_swaps(bad, flow, SwapConfig(motion="flow"))
    assert repaired.count == 3
    np.testing.assert_allclose(repaired.poses.joints3d, est.joints3d)
    assert not detect_swaps(est, flow, SwapConfig(motion="flow")).any()  # a clean estimate is left alone


def test_continuity_mode_needs_no_flow_and_flow_mode_does(tiny_clip) -> None:
    est = tiny_clip.estimate
    assert detect_swaps(est, None, SwapConfig(motion="none")).shape == (est.num_frames, 2)
    with pytest.raises(InputError, match="needs the flow"):
        detect_swaps(est, None, SwapConfig(motion="flow"))
    with pytest.raises(InputError, match="motion"):
        SwapConfig(motion="magic")


def test_describe_swaps_names_each_limb_pair_and_its_frames() -> None:
    swapped = np.zeros((30, 2), bool)
    assert describe_swaps(swapped) is None
    swapped[[4, 5, 6], 0] = True
    swapped[[9], 1] = True
    assert describe_swaps(swapped) == (
        "left/right swaps repaired before refinement: legs in 3 frames (4-6); arms in 1 frame (9)"
    )
    assert describe_swaps(swapped, first_frame=100).endswith("legs in 3 frames (104-106); arms in 1 frame (109)")
    many = np.zeros((30, 2), bool)
    many[::3, 1] = True  # ten runs of one frame
    assert describe_swaps(many, max_runs=2) == (
        "left/right swaps repaired before refinement: arms in 10 frames (0, 3, and 8 more runs)"
    )
