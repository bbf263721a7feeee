"""Tests of pose and flow ensembles."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.flow.field import FlowField
from flowpose.pose import PoseSequence
from flowpose.refinement.ensemble import average_flows, average_poses

K = np.array([[100.0, 0, 32], [0, 100.0, 32], [0, 0, 1]], np.float32)


def seq(value: float, conf: float = 1.0) -> PoseSequence:
    j = np.full((4, 17, 3), value, np.float32)
    j[..., 2] += 3.0
    return PoseSequence(j, K, conf=np.full((4, 17), conf, np.float32))


def test_confidence_weighted_mean():
    out = average_poses([seq(0.0, 1.0), seq(0.3, 0.5)])
    np.testing.assert_allclose(out.joints3d[..., 0], 0.1, atol=1e-6)  # (0*1 + 0.3*0.5) / 1.5
    np.testing.assert_allclose(out.conf, 0.75)


def test_sources_of_other_frames_are_refused_and_a_known_first_frame_is_kept():
    with pytest.raises(InputError, match="pose source 1 begins at video frame 8, source 0 at 0"):
        average_poses([replace(seq(0.0), first_frame=0), replace(seq(0.2), first_frame=8)])
    assert average_poses([seq(0.0), replace(seq(0.2), first_frame=8)]).first_frame == 8  # None: not known
    with pytest.raises(InputError, match="pose source 2 begins at video frame 3, source 1 at 8"):
        average_poses([seq(0.0), replace(seq(0.2), first_frame=8), replace(seq(0.1), first_frame=3)])


def test_sources_of_other_lenses_are_refused():
    lens = np.array([-0.2, 0.05, 0.0, 0.0])
    with pytest.raises(InputError, match=r"pose source 1 has lens distortion k1 -0.2, k2 0.05, p1 0, p2 0, source 0 "
                                         r"none: ensembles average 2D keypoints, which needs one camera"):
        average_poses([seq(0.0), replace(seq(0.2), dist=lens)])
    both = average_poses([replace(seq(0.0), dist=lens), replace(seq(0.2), dist=lens.copy())])
    np.testing.assert_array_equal(both.dist, lens)


def test_nan_source_is_skipped_and_unobserved_stays_nan():
    a, b = seq(0.0), seq(0.2)
    ja = a.joints3d.copy()
    ja[1, 5] = np.nan
    jb = b.joints3d.copy()
    jb[1, 5] = np.nan
    jb[2, 6] = np.nan
    out = average_poses([a.with_joints3d(ja), b.with_joints3d(jb)])
    assert np.isnan(out.joints3d[1, 5]).all()
    np.testing.assert_allclose(out.joints3d[2, 6, 0], 0.0)  # only source a saw it


def test_single_source_is_returned_unchanged():
    a = seq(0.1)
    assert average_poses([a]) is a


def test_mismatch_and_empty_raise():
    with pytest.raises(InputError, match="at least one"):
        average_poses([])
    short = PoseSequence(np.ones((3, 17, 3), np.float32), K)
    with pytest.raises(InputError, match="same frames and skeleton"):
        average_poses([seq(0.0), short])


def test_average_flows_weights_by_confidence():
    f1 = FlowField.full_frame(np.full((2, 4, 5, 2), 1.0, np.float32), np.full((2, 4, 5), 1.0, np.float32))
    f2 = FlowField.full_frame(np.full((2, 4, 5, 2), 4.0, np.float32), np.full((2, 4, 5), 0.5, np.float32))
    out = average_flows([f1, f2])
    np.testing.assert_allclose(out.flow, 2.0, atol=1e-4)  # (1*1 + 4*0.5) / 1.5
    np.testing.assert_allclose(out.confidence, 0.75)
    assert out.reverse is None
    with_back = [replace(f, reverse=FlowField.full_frame(-f.flow, f.confidence)) for f in (f1, f2)]
    np.testing.assert_allclose(average_flows(with_back).reverse.flow, -2.0, atol=1e-4)  # averaged alike
    assert average_flows([with_back[0], f2]).reverse is None  # only when every network kept it


def test_average_flows_refuses_other_grids():
    f1 = FlowField.full_frame(np.zeros((2, 4, 5, 2), np.float32))
    f2 = FlowField(np.zeros((2, 4, 5, 2)), np.ones((2, 4, 5)), np.ones((2, 2)), np.ones(2), (4, 5))
    with pytest.raises(InputError, match="same crop grids"):
        average_flows([f1, f2])
