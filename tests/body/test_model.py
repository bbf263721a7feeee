"""Tests of flowpose.body.model with the stand-in model in SMPL's file format (never the licensed SMPL)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from flowpose.body.model import load_body_model, read_model_arrays
from flowpose.body.standin import REST_JOINTS, standin_arrays, write_standin
from flowpose.errors import InputError


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_standin(tmp_path_factory.mktemp("body") / "standin.pkl")


def test_loads_through_smplx_and_regresses_the_rest_joints(model_file: Path) -> None:
    model = load_body_model(model_file)
    assert model.num_betas == 10 and model.num_vertices == len(standin_arrays()["v_template"])
    assert model.faces.shape[1] == 3 and model.faces.max() < model.num_vertices
    out = model(torch.zeros(10), torch.eye(3).expand(2, 24, 3, 3), torch.tensor([[0.0, 0.0, 3.0]] * 2))
    assert out.vertices.shape == (2, model.num_vertices, 3) and out.joints.shape == (2, 24, 3)
    np.testing.assert_allclose(out.joints[0].numpy(), REST_JOINTS + [0, 0, 3.0], atol=1e-5)


def test_skinning_moves_the_child_joints_rigidly(model_file: Path) -> None:
    model = load_body_model(model_file)
    R = torch.eye(3).expand(1, 24, 3, 3).clone()
    R[0, 18] = torch.as_tensor(Rotation.from_rotvec([0.0, 0.0, np.pi / 2]).as_matrix(), dtype=torch.float32)
    out = model(torch.zeros(10), R, torch.zeros(1, 3))
    elbow, wrist = out.joints[0, 18].numpy(), out.joints[0, 20].numpy()
    # The left forearm (0.26 m along +x) turns 90 degrees about z at the elbow: it now points along +y.
    np.testing.assert_allclose(wrist - elbow, [0.0, 0.26, 0.0], atol=1e-5)
    np.testing.assert_allclose(out.joints[0, :18].numpy(), REST_JOINTS[:18], atol=1e-5)
    tall = model(torch.tensor([2.0] + [0.0] * 9), torch.eye(3).expand(1, 24, 3, 3), torch.zeros(1, 3))
    assert tall.joints[0, 15, 1] > REST_JOINTS[15, 1] + 0.05  # beta 0 makes it taller


def test_skinning_equals_smplx_lbs_and_a_subset_equals_its_rows(model_file: Path) -> None:
    from smplx.lbs import lbs

    model = load_body_model(model_file)
    rng = np.random.default_rng(0)
    R = torch.as_tensor(Rotation.from_rotvec(rng.normal(0, 0.4, (5 * 24, 3))).as_matrix(), dtype=torch.float32)
    R = R.view(5, 24, 3, 3)
    betas = torch.as_tensor(rng.normal(0, 1, 10), dtype=torch.float32)
    transl = torch.as_tensor(rng.normal(0, 1, (5, 3)), dtype=torch.float32)
    s = model.smpl
    ref_v, ref_j = lbs(betas.expand(5, -1), R, s.v_template, s.shapedirs, s.posedirs, s.J_regressor, s.parents,
                       s.lbs_weights, pose2rot=False)
    for shape in (betas, betas.expand(5, -1)):  # one shape for the video, or one per frame
        out = model(shape, R, transl)
        np.testing.assert_allclose(out.vertices.numpy(), (ref_v + transl[:, None]).numpy(), atol=1e-5)
        np.testing.assert_allclose(out.joints.numpy(), (ref_j + transl[:, None]).numpy(), atol=1e-5)
    ids = torch.as_tensor(model.spread_vertices(50))
    part = model(betas, R, transl, ids)
    np.testing.assert_allclose(part.vertices.numpy(), out.vertices[:, ids].numpy(), atol=1e-6)
    np.testing.assert_allclose(part.joints.numpy(), out.joints.numpy(), atol=1e-6)


def test_spread_vertices_are_distinct_and_cover_the_body(model_file: Path) -> None:
    model = load_body_model(model_file)
    ids = model.spread_vertices(64)
    assert len(set(ids.tolist())) == 64 and ids[0] == 0
    points = model.smpl.v_template.numpy()
    gap = np.linalg.norm(points[:, None] - points[ids][None], axis=-1).min(1).max()
    random = np.random.default_rng(0).choice(len(points), 64, replace=False)
    random_gap = np.linalg.norm(points[:, None] - points[random][None], axis=-1).min(1).max()
    assert gap < random_gap  # no vertex is as far from the picked ones as from a random pick
    assert len(model.spread_vertices(10**6)) == model.num_vertices


def test_npz_and_refusals(tmp_path: Path, model_file: Path) -> None:
    npz = write_standin(tmp_path / "standin.npz")
    assert load_body_model(npz).num_vertices == load_body_model(model_file).num_vertices
    with pytest.raises(InputError, match=r"no such body model file.*smpl\.is\.tue\.mpg\.de.*--body-model"):
        load_body_model(tmp_path / "SMPL_NEUTRAL.pkl")
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps({"v_template": Path("/")}))
    with pytest.raises(InputError, match=r"refusing to unpickle pathlib"):
        read_model_arrays(tmp_path / "evil.pkl")
    arrays = standin_arrays()
    del arrays["posedirs"]
    (tmp_path / "partial.pkl").write_bytes(pickle.dumps(arrays, protocol=2))
    with pytest.raises(InputError, match=r"missing \['posedirs'\]"):
        read_model_arrays(tmp_path / "partial.pkl")
    with pytest.raises(InputError, match="ending in .pkl or .npz"):
        read_model_arrays(model_file.rename(tmp_path / "model.bin"))
