"""Left-right limb swaps found along the flow (flowpose/refinement/swaps.py)."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.flow.field import FlowField
from flowpose.metrics import swapped_limbs
from flowpose.refinement.swaps import SwapConfig, _viterbi, detect_swaps, relabel, repair_swaps

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
