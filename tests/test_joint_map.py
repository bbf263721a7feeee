"""Tests for flowpose.joint_map: the tables and the mappings to and from H36M-17."""

from __future__ import annotations

import numpy as np
import pytest

from flowpose.errors import InputError, ShapeError
from flowpose.joint_map import FROM_H36M17, TO_H36M17, confidence_to_h36m17, from_h36m17, to_h36m17
from flowpose.skeleton import H36M17, SKELETONS, get_skeleton

NAMES = sorted(SKELETONS)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "h36m17"])
def test_mapping_tables_name_real_joints(name: str) -> None:
    skel = SKELETONS[name]
    assert set(TO_H36M17[name]) == set(H36M17.joint_names)
    for sources in TO_H36M17[name].values():
        assert sources is None or all(s in skel.joint_names for s in sources)
    for target, source in FROM_H36M17[name].items():
        assert target in skel.joint_names and source in H36M17.joint_names


def test_identity_for_h36m17() -> None:
    x = np.random.randn(4, 17, 3).astype(np.float32)
    for fn in (to_h36m17, from_h36m17):
        y = fn(x, "h36m17")
        np.testing.assert_array_equal(y, x)
        assert y is not x and y.dtype == np.float32


def test_coco_hips_map_to_pelvis_midpoint() -> None:
    coco = np.random.rand(2, 17, 2) * 100
    coco[:, 11] = [[10.0, 20.0], [0.0, 0.0]]  # l_hip
    coco[:, 12] = [[30.0, 40.0], [4.0, -2.0]]  # r_hip
    h36m = to_h36m17(coco, "coco17", missing="nan")
    np.testing.assert_allclose(h36m[:, 0], [[20.0, 30.0], [2.0, -1.0]])
    np.testing.assert_array_equal(h36m[:, 1], coco[:, 12])  # r_hip picked
    np.testing.assert_array_equal(h36m[:, 13], coco[:, 9])  # l_wrist picked
    np.testing.assert_allclose(h36m[:, 8], 0.5 * (coco[:, 5] + coco[:, 6]))  # thorax: shoulder midpoint
    np.testing.assert_array_equal(h36m[:, 9], coco[:, 0])  # neck/nose: nose
    assert np.isnan(h36m[:, 10]).all()  # no head top


def test_underivable_joint_raises_by_default() -> None:
    message = r"cannot derive h36m17 joint 'head' from skeleton 'coco17'.*missing='nan'"
    with pytest.raises(InputError, match=message):
        to_h36m17(np.zeros((17, 2)), "coco17")


def test_round_trip_h36m17_lsp14_for_shared_joints() -> None:
    h36m = np.random.randn(5, 17, 3)
    lsp = from_h36m17(h36m, "lsp14")
    assert lsp.shape == (5, 14, 3) and np.isfinite(lsp).all()
    back = to_h36m17(lsp, "lsp14")
    shared = [H36M17.index(n) for n in (*FROM_H36M17["lsp14"].values(),)]
    assert len(shared) == 14
    np.testing.assert_array_equal(back[:, shared], h36m[:, shared])
    np.testing.assert_allclose(back[:, 0], 0.5 * (h36m[:, 1] + h36m[:, 4]))  # pelvis becomes the hip midpoint


@pytest.mark.parametrize("name", [n for n in NAMES if n != "h36m17"])
def test_round_trip_reproduces_every_picked_joint(name: str) -> None:
    h36m = np.random.randn(3, 17, 3)
    back = to_h36m17(from_h36m17(h36m, name), name, missing="nan")
    for k, target in enumerate(H36M17.joint_names):
        sources = TO_H36M17[name][target]
        if sources is not None and len(sources) == 1 and FROM_H36M17[name].get(sources[0]) == target:
            np.testing.assert_array_equal(back[:, k], h36m[:, k])


def test_from_h36m17_fills_underivable_joints_with_nan() -> None:
    smpl = from_h36m17(np.ones((17, 3), np.float32), "smpl24")
    assert smpl.dtype == np.float32
    derived = [get_skeleton("smpl24").index(n) for n in FROM_H36M17["smpl24"]]
    assert np.isfinite(smpl[derived]).all()
    assert np.isnan(np.delete(smpl, derived, axis=0)).all()


def test_mapping_exceptions() -> None:
    message = r"joints must have shape \(\.\.\., 14, D\) for skeleton 'lsp14', got \(17, 3\)"
    with pytest.raises(ShapeError, match=message):
        to_h36m17(np.zeros((17, 3)), "lsp14")
    with pytest.raises(InputError, match="unknown skeleton 'nope'"):
        from_h36m17(np.zeros((17, 3)), "nope")
    with pytest.raises(InputError, match="missing must be 'raise' or 'nan', got 'zero'"):
        to_h36m17(np.zeros((14, 3)), "lsp14", missing="zero")


@pytest.mark.parametrize("name", ["openpose25", "openpose25b", "openpose18", "coco17"])
def test_openpose_layouts_map_limbs_by_name_and_confidence_by_the_least_sure_source(name: str) -> None:
    skel = SKELETONS[name]
    joints = np.arange(skel.num_joints * 2, dtype=np.float64).reshape(skel.num_joints, 2)
    h36 = to_h36m17(joints, name, missing="nan")
    for limb in ("l_wrist", "r_knee", "l_ankle", "r_shoulder"):
        np.testing.assert_array_equal(h36[H36M17.index(limb)], joints[skel.index(limb)])
    conf = np.ones(skel.num_joints)
    conf[skel.hips[0]] = 0.25  # the left hip
    c = confidence_to_h36m17(conf, name)
    pelvis_from_hips = name != "openpose25"  # BODY_25 has its own mid-hip joint
    assert (c[H36M17.index("pelvis")] == pytest.approx(0.25)) == pelvis_from_hips
    assert c[H36M17.index("l_hip")] == pytest.approx(0.25)
    assert c[H36M17.index("r_hip")] == 1.0
    assert (c[H36M17.index("head")] == 0.0) == (name != "openpose25b")


def test_halpe_and_wholebody_layouts() -> None:
    halpe = get_skeleton("halpe26")
    joints = np.arange(26 * 2, dtype=np.float64).reshape(26, 2)
    h36 = to_h36m17(joints, "halpe26")  # every H36M joint derivable: Halpe has a head top
    for h36_joint, halpe_joint in (("pelvis", "mid_hip"), ("thorax", "neck"), ("neck", "nose"), ("head", "head_top"),
                                   ("l_wrist", "l_wrist"), ("r_ankle", "r_ankle")):
        np.testing.assert_array_equal(h36[H36M17.index(h36_joint)], joints[halpe.index(halpe_joint)])
    whole = get_skeleton("coco_wholebody133")
    body = np.random.default_rng(0).normal(size=(17, 2))
    joints = np.concatenate([body, np.full((116, 2), 1e6)])  # feet, face and hands: none of them used
    np.testing.assert_array_equal(to_h36m17(joints, "coco_wholebody133", missing="nan"),
                                  to_h36m17(body, "coco17", missing="nan"))
    assert whole.parents[whole.index("l_hand_1")] == whole.index("l_wrist")
    assert whole.parents[whole.index("r_hand_5")] == whole.index("r_hand_4")  # the thumb's tip on its last joint
    assert whole.parents[whole.index("r_hand_6")] == whole.index("r_hand_1")  # the index finger on the hand's root
