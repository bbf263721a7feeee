"""Tests of flowpose.body.model with the stand-in model in SMPL's file format (never the licensed SMPL)."""

from __future__ import annotations

import contextlib
import io
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


def test_every_vertex_set_poses_its_own_rows(model_file: Path) -> None:
    # The arrays of a vertex set are made once and a few kept: sets asked for in turn, more than are kept, and the
    # first again, each give the whole mesh's rows.
    model = load_body_model(model_file)
    rng = np.random.default_rng(1)
    R = torch.as_tensor(Rotation.from_rotvec(rng.normal(0, 0.4, (2 * 24, 3))).as_matrix(), dtype=torch.float32)
    R = R.view(2, 24, 3, 3)
    betas, transl = torch.as_tensor(rng.normal(0, 1, 10), dtype=torch.float32), torch.zeros(2, 3)
    whole = model(betas, R, transl).vertices
    sets = [torch.as_tensor(rng.choice(model.num_vertices, 20 + k, replace=False)) for k in range(6)]
    for ids in (*sets, sets[0]):
        np.testing.assert_allclose(model(betas, R, transl, ids).vertices.numpy(), whole[:, ids].numpy(), atol=1e-6)


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


def arrays_of(key: str) -> np.ndarray:
    """One array of the stand-in model."""
    return np.asarray(standin_arrays()[key])


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
    with pytest.raises(InputError) as info:
        read_model_arrays(model_file.rename(tmp_path / "model.bin"))
    assert str(info.value) == (f"{tmp_path / 'model.bin'}: expected an SMPL model file ending in .pkl or .npz, "
                               "got '.bin'")
    for key, value, message in (("weights", arrays_of("weights")[:10], r"weights must be \(V, J\) with V = \d+ "
                                 r"vertices and J = 24 joints \(from v_template and kintree_table\), got \(10, 24\)"),
                                ("J_regressor", np.zeros((24, 3)), r"J_regressor must be \(J, V\) .* got \(24, 3\)"),
                                ("posedirs", arrays_of("posedirs")[..., :9], r"posedirs must be \(V, 3, 9 \(J - 1\)\)"),
                                ("f", arrays_of("f") + 10_000, r"f indexes vertices \d+ to \d+, the model has \d+")):
        (tmp_path / "damaged.pkl").write_bytes(pickle.dumps({**standin_arrays(), key: value}, protocol=2))
        with pytest.raises(InputError, match=r"damaged\.pkl: not a consistent SMPL model file: " + message):
            read_model_arrays(tmp_path / "damaged.pkl")
    (tmp_path / "page.npz").write_text("<html>Sign in to download SMPL</html>")
    with pytest.raises(InputError) as info:
        read_model_arrays(tmp_path / "page.npz")
    assert str(info.value) == (f"{tmp_path / 'page.npz'}: not a readable .npz SMPL model file (corrupt or truncated?): "
                               "not a zip archive, as every .npz is (it starts with b'<htm')")


def _identity_joint_selector(model: torch.nn.Module) -> None:
    """smplx.SMPLX appends joints at real SMPL-X vertex ids, which the stand-in lacks: keep its 55 joints."""

    class Joints(torch.nn.Module):
        def forward(self, vertices: torch.Tensor, joints: torch.Tensor) -> torch.Tensor:
            return joints

    model.vertex_joint_selector = Joints()


@pytest.mark.parametrize("flat_hand_mean, pca", [(False, 6), (True, 0)])
def test_smplx_equals_smplx_own_model(tmp_path: Path, flat_hand_mean: bool, pca: int) -> None:
    import smplx

    from flowpose.body.layouts import SMPLX
    from flowpose.body.params import SmplSequence

    path = write_standin(tmp_path / "SMPLX_NEUTRAL.npz", layout=SMPLX)
    model = load_body_model(path)
    assert model.layout is SMPLX and model.num_joints == 55 and model.num_expression == 10
    T, rng = 3, np.random.default_rng(0)
    hand = rng.normal(0, 0.3, (T, pca or 45))
    extras = {"jaw_pose": rng.normal(0, 0.2, (T, 3)), "leye_pose": rng.normal(0, 0.2, (T, 3)),
              "reye_pose": rng.normal(0, 0.2, (T, 3)), "left_hand_pose": hand, "right_hand_pose": hand[::-1].copy(),
              "expression": rng.normal(0, 1, (T, 10))}
    K = np.array([[500.0, 0, 128], [0, 500.0, 128], [0, 0, 1]])
    seq = SmplSequence(rng.normal(0, 0.3, (T, 3)), rng.normal(0, 0.3, (T, 21, 3)), rng.normal(0, 1, 10),
                       rng.normal(0, 1, (T, 3)), K, extras=extras, flat_hand_mean=flat_hand_mean)
    with contextlib.redirect_stdout(io.StringIO()):  # smplx prints notes about the coefficient counts
        reference = smplx.SMPLX(model_path=str(path), ext="npz", use_pca=pca > 0, num_pca_comps=max(pca, 1),
                                flat_hand_mean=flat_hand_mean, num_betas=10, num_expression_coeffs=10, batch_size=T)
    _identity_joint_selector(reference)

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, dtype=torch.float32)

    with torch.no_grad():
        ref = reference(betas=t(np.repeat(seq.betas[None], T, 0)), global_orient=t(seq.global_orient),
                        body_pose=t(seq.body_pose.reshape(T, -1)), transl=t(seq.transl),
                        **{k: t(v) for k, v in extras.items()})
        ours = model(t(seq.betas), t(model.pose_rotations(seq)), t(seq.transl), expression=model.expression_of(seq))
    np.testing.assert_allclose(ours.vertices.numpy(), ref.vertices.numpy(), atol=1e-5)
    np.testing.assert_allclose(ours.joints.numpy(), ref.joints[:, :55].numpy(), atol=1e-5)
    ids = torch.as_tensor(model.spread_vertices(50))
    with torch.no_grad():
        part = model(t(seq.betas), t(model.pose_rotations(seq)), t(seq.transl), ids, model.expression_of(seq))
    np.testing.assert_allclose(part.vertices.numpy(), ours.vertices[:, ids].numpy(), atol=1e-6)
    np.testing.assert_allclose(part.joints.numpy(), ours.joints.numpy(), atol=1e-6)
    # The expression moves the face only.
    with torch.no_grad():
        neutral = model(t(seq.betas), t(model.pose_rotations(seq)), t(seq.transl))
    moved = np.linalg.norm(ours.vertices.numpy() - neutral.vertices.numpy(), axis=-1).max(0) > 1e-6
    face = np.asarray(standin_arrays(layout=SMPLX)["weights"])[:, [15, 22, 23, 24]].sum(1) > 0  # head, jaw, eyes
    assert moved.any() and not (moved & ~face).any()


def test_smplx_files_with_pickled_extras_and_mismatched_parameters(tmp_path: Path) -> None:
    from flowpose.body.layouts import SMPLX
    from flowpose.body.model import load_body_model_for
    from flowpose.body.params import SmplSequence

    arrays = standin_arrays(layout=SMPLX)
    # The SMPL-X site's .npz also stores dictionaries as pickled object arrays: never unpickled, not needed.
    np.savez(tmp_path / "site.npz", **arrays, joint2num=np.array({"pelvis": 0}, dtype=object))
    model = load_body_model(tmp_path / "site.npz")
    assert model.layout is SMPLX
    K = np.array([[500.0, 0, 128], [0, 500.0, 128], [0, 0, 1]])
    smpl = SmplSequence(np.zeros((2, 3)), np.zeros((2, 23, 3)), np.zeros(10), np.zeros((2, 3)), K)
    with pytest.raises(InputError, match=r"the parameters are SMPL \(body_pose of 23 joints\), but the body model "
                                         r".*site.npz is SMPL-X \(55 joints\)"):
        load_body_model_for(tmp_path / "site.npz", smpl)
    wide = SmplSequence(np.zeros((2, 3)), np.zeros((2, 21, 3)), np.zeros(10), np.zeros((2, 3)), K,
                        extras={"expression": np.zeros((2, 50))})
    with pytest.raises(InputError, match="site.npz: 10 expression directions, 50 asked for$"):
        load_body_model_for(tmp_path / "site.npz", wide)
    with pytest.raises(InputError) as info:  # the parameters' file, when known, is named first
        load_body_model_for(tmp_path / "site.npz", smpl, "params.npz")
    assert str(info.value) == (f"params.npz: the parameters are SMPL (body_pose of 23 joints), but the body model "
                               f"{tmp_path / 'site.npz'} is SMPL-X (55 joints)")
    with pytest.raises(InputError, match="site.npz: 10 expression directions, 50 asked for by params.npz$"):
        load_body_model_for(tmp_path / "site.npz", wide, "params.npz")
    many_betas = SmplSequence(np.zeros((2, 3)), np.zeros((2, 21, 3)), np.zeros(16), np.zeros((2, 3)), K)
    with pytest.raises(InputError, match="site.npz: 10 shape directions, 16 betas asked for by params.npz$"):
        load_body_model_for(tmp_path / "site.npz", many_betas, "params.npz")
    del arrays["hands_meanl"]
    np.savez(tmp_path / "no_hands.npz", **arrays)
    with pytest.raises(InputError, match=r"an SMPL-X model file \(55 joints\) without \['hands_meanl'\]"):
        load_body_model(tmp_path / "no_hands.npz")
