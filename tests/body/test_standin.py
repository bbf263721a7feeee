"""Tests of the stand-in body model: the promises of its docstring, array by array, and its two file formats.

Loading it through ``smplx`` is tested in ``tests/body/test_model.py``.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from flowpose.body.layouts import SMPL, SMPLX
from flowpose.body.standin import (
    REST_JOINTS,
    SMPLX_SMALL_JOINT,
    _smplx_rest_joints,
    standin_arrays,
    write_standin,
)


@pytest.fixture(scope="module", params=["smpl", "smplx"])
def layout_arrays(request):
    layout = SMPL if request.param == "smpl" else SMPLX
    return layout, standin_arrays(layout=layout)


def test_shapes_are_those_of_an_smpl_file(layout_arrays):
    layout, a = layout_arrays
    J, V = len(layout.parents), len(a["v_template"])
    directions = 10 if layout is SMPL else 20  # SMPL-X: ten shape, then ten expression directions
    assert a["v_template"].shape == (V, 3)
    assert a["shapedirs"].shape == (V, 3, directions)
    assert a["posedirs"].shape == (V, 3, 9 * (J - 1))
    assert a["J_regressor"].shape == (J, V) and a["weights"].shape == (V, J)
    assert a["kintree_table"].shape == (2, J) and a["f"].shape[1] == 3
    # one ring of 8 vertices at each joint, three rings along each bone
    assert V == 8 * J + 3 * 8 * (J - 1)


def test_the_regressor_returns_the_rest_joints_exactly(layout_arrays):
    layout, a = layout_arrays
    rest = REST_JOINTS if layout is SMPL else _smplx_rest_joints()
    np.testing.assert_allclose(a["J_regressor"].sum(1), 1.0)
    np.testing.assert_allclose(a["J_regressor"] @ a["v_template"], rest, atol=1e-12)


def test_skinning_weights_are_a_partition_of_unity_on_a_bone_and_its_child(layout_arrays):
    layout, a = layout_arrays
    w = a["weights"]
    assert (w >= 0).all()
    np.testing.assert_allclose(w.sum(1), 1.0)
    parents = np.asarray(layout.parents)
    for v in range(len(w)):
        joints = np.flatnonzero(w[v])
        assert len(joints) in (1, 2)  # a ring at a joint follows it; a ring along a bone blends parent and child
        if len(joints) == 2:
            assert parents[joints.max()] == joints.min()
            assert w[v, joints.min()] > w[v, joints.max()]  # the bone follows its parent


def test_kinematic_tree_is_smpls_with_the_root_marked_as_in_the_files(layout_arrays):
    layout, a = layout_arrays
    kintree = a["kintree_table"]
    assert kintree.dtype == np.int64
    assert kintree[0, 0] == 4294967295  # the root's parent, as SMPL's pickles store it
    np.testing.assert_array_equal(kintree[0, 1:], np.asarray(layout.parents)[1:])
    np.testing.assert_array_equal(kintree[1], np.arange(len(layout.parents)))
    assert (kintree[0, 1:] < kintree[1, 1:]).all()  # parents come before their children


def test_faces_join_existing_distinct_vertices(layout_arrays):
    _, a = layout_arrays
    f = a["f"]
    assert f.min() >= 0 and f.max() < len(a["v_template"])
    assert (f[:, 0] != f[:, 1]).all() and (f[:, 1] != f[:, 2]).all() and (f[:, 0] != f[:, 2]).all()
    areas = 0.5 * np.linalg.norm(
        np.cross(a["v_template"][f[:, 1]] - a["v_template"][f[:, 0]], a["v_template"][f[:, 2]] - a["v_template"][f[:, 0]]),
        axis=1,
    )
    assert (areas > 1e-8).all()  # no degenerate triangle


def test_first_shape_directions_make_the_body_taller_and_wider():
    a = standin_arrays()
    v, d = a["v_template"], a["shapedirs"]
    taller, wider = v + d[..., 0], v + d[..., 1]
    assert np.ptp(taller[:, 1]) > np.ptp(v[:, 1]) * 1.04
    np.testing.assert_allclose(taller[:, [0, 2]], v[:, [0, 2]])
    assert np.ptp(wider[:, 0]) > np.ptp(v[:, 0]) * 1.02
    np.testing.assert_allclose(wider[:, 1:], v[:, 1:])


def test_smplx_extras_are_well_formed():
    a = standin_arrays(layout=SMPLX)
    for side in "lr":
        c = a[f"hands_components{side}"]
        np.testing.assert_allclose(c @ c.T, np.eye(45), atol=1e-10)  # PCA components are orthonormal
        assert a[f"hands_mean{side}"].shape == (45,)
    assert a["lmk_faces_idx"].shape == (51,) and a["lmk_faces_idx"].max() < len(a["f"])
    np.testing.assert_allclose(a["lmk_bary_coords"].sum(1), 1.0)
    # expressions move only the head's and the jaw's vertices
    moved = np.abs(a["shapedirs"][..., 10:]).sum((1, 2)) > 0
    face = a["weights"][:, [15, 22]].sum(1) > 0
    np.testing.assert_array_equal(moved, face)
    # the face and the fingers get thin rings
    rings = a["v_template"][: 8 * len(SMPLX.parents)].reshape(len(SMPLX.parents), 8, 3)
    radius = np.linalg.norm(rings - _smplx_rest_joints()[:, None], axis=-1).mean(1)
    np.testing.assert_allclose(radius[:SMPLX_SMALL_JOINT], 0.05)
    np.testing.assert_allclose(radius[SMPLX_SMALL_JOINT:], 0.008)


def test_the_seed_sets_the_random_directions_only():
    a, b, c = standin_arrays(seed=0), standin_arrays(seed=0), standin_arrays(seed=1)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.allclose(a["posedirs"], c["posedirs"])
    assert not np.allclose(a["shapedirs"][..., 2:], c["shapedirs"][..., 2:])
    for key in ("v_template", "J_regressor", "weights", "f", "kintree_table"):
        np.testing.assert_array_equal(a[key], c[key])


def test_resolution_arguments_change_the_mesh():
    a = standin_arrays(rings_per_bone=6, ring_size=12)
    J = len(SMPL.parents)
    assert len(a["v_template"]) == 12 * J + 6 * 12 * (J - 1)
    np.testing.assert_allclose(a["J_regressor"] @ a["v_template"], REST_JOINTS, atol=1e-12)


@pytest.mark.parametrize("suffix", [".pkl", ".npz"])
def test_written_file_holds_the_same_arrays(tmp_path, suffix):
    path = write_standin(tmp_path / f"model{suffix}", layout=SMPLX)
    assert path == tmp_path / f"model{suffix}"
    if suffix == ".npz":
        with np.load(path) as f:
            stored = dict(f)
    else:
        stored = pickle.loads(path.read_bytes())
    expected = standin_arrays(layout=SMPLX)
    assert set(stored) == set(expected)
    for key, value in expected.items():
        np.testing.assert_array_equal(stored[key], value)
