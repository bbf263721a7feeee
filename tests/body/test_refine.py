"""Tests of flowpose.body.refine on the stand-in model: a synthetic clip with exact mesh flow."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import flowpose.body.refine as refine_module
from flowpose.body.model import load_body_model
from flowpose.body.params import load_smpl, save_smpl
from flowpose.body.refine import (
    MESH_FLOW_WEIGHT,
    SMPL_TO_H36M,
    SmplRefineConfig,
    refine_smpl,
    visible_vertices,
)
from flowpose.body.standin import write_standin
from flowpose.body.synth import mesh_flow, perturb, smpl_motion, vertices_of
from flowpose.errors import InputError, ShapeError
from flowpose.metrics import mpjpe
from flowpose.refinement.pose_config import SMPL_MAX_STEPS, PoseStageConfig
from flowpose.skeleton import H36M17


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory):
    model = load_body_model(write_standin(tmp_path_factory.mktemp("body") / "standin.pkl"))
    gt = smpl_motion(16)
    fwd, bwd = mesh_flow(vertices_of(gt, model), gt.K, (256, 256))
    return model, gt, perturb(gt), fwd, bwd


def joints_and_vertices(seq, model):
    with torch.no_grad():
        out = model(torch.as_tensor(seq.betas, dtype=torch.float32), torch.as_tensor(seq.rotations(), dtype=torch.float32),
                    torch.as_tensor(seq.transl, dtype=torch.float32))
    return np.einsum("kj,tjc->tkc", SMPL_TO_H36M, out.joints.numpy()), out.vertices.numpy()


def pve_mm(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm((a - a[:, :1]) - (b - b[:, :1]), axis=-1).mean() * 1000)


def test_the_mapping_to_h36m_puts_the_head_top_on_the_neck() -> None:
    assert SMPL_TO_H36M.shape == (17, 24) and np.allclose(SMPL_TO_H36M.sum(1), 1.0)
    np.testing.assert_array_equal(SMPL_TO_H36M[H36M17.index("head")], SMPL_TO_H36M[H36M17.index("neck")])


def test_visibility_keeps_the_nearest_in_each_cell() -> None:
    p = np.array([[[10.0, 10.0], [11.0, 11.0], [40.0, 40.0]]])
    depth = np.array([[2.0, 2.5, 3.0]])
    np.testing.assert_array_equal(visible_vertices(p, depth, 4.0, 0.03), [[True, False, True]])
    assert visible_vertices(p, depth, 4.0, 1.0).all()


def test_zero_cycles_round_trip(scene, tmp_path: Path) -> None:
    model, gt, est, fwd, _ = scene
    save_smpl(est, tmp_path / "in.npz")
    result = refine_smpl(load_smpl(tmp_path / "in.npz"), model, fwd, solve=False)
    save_smpl(result.smpl, tmp_path / "out.npz")
    back = load_smpl(tmp_path / "out.npz")
    for key in ("global_orient", "body_pose", "betas", "transl", "K"):
        np.testing.assert_allclose(getattr(back, key), getattr(est, key), atol=1e-5, err_msg=key)
    assert result.poses.joints3d.shape == (16, 17, 3) and result.vertices.shape[1] == model.num_vertices


def test_the_estimate_is_posed_in_chunks_as_it_would_be_at_once(scene, monkeypatch: pytest.MonkeyPatch) -> None:
    model, _, _, _, _ = scene
    seq = perturb(smpl_motion(16))
    joints, vertices = joints_and_vertices(seq, model)
    monkeypatch.setattr(refine_module, "EVALUATED_FRAMES", 5)  # 16 frames: chunks of 5, 5, 5 and 1
    calls = []
    real = type(model).__call__

    def counted(self, betas, rotations, *args, **kwargs):
        calls.append(len(rotations))
        return real(self, betas, rotations, *args, **kwargs)

    monkeypatch.setattr(type(model), "__call__", counted)
    result = refine_smpl(seq, model, None, solve=False)
    assert calls == [5, 5, 5, 1]
    np.testing.assert_allclose(result.vertices, vertices, atol=1e-6)
    np.testing.assert_allclose(result.poses.joints3d, joints, atol=1e-6)


@pytest.mark.parametrize("mesh_weight", [0.0, MESH_FLOW_WEIGHT])
def test_only_the_mesh_term_poses_the_mesh_in_the_solve(scene, monkeypatch: pytest.MonkeyPatch, mesh_weight) -> None:
    """Without the mesh term the solve and its rounds read the joints alone: one vertex is posed (JOINTS_ONLY), the
    whole mesh only for the result; with it, the term's vertices in the solve and the whole mesh for its targets."""
    model, gt, est, fwd, _ = scene
    asked: list[int | None] = []
    real = type(model).__call__

    def recorded(self, betas, rotations, transl, vertex_ids=None, expression=None):  # noqa: ANN001, ANN202
        asked.append(None if vertex_ids is None else len(vertex_ids))
        return real(self, betas, rotations, transl, vertex_ids, expression)

    monkeypatch.setattr(type(model), "__call__", recorded)
    config = SmplRefineConfig(pose=PoseStageConfig(max_steps=3, flow_rounds=2), w_mesh_flow=mesh_weight,
                              mesh_flow_vertices=100)
    result = refine_smpl(est, model, fwd, config)
    term = 1 if mesh_weight == 0 else 100
    rounds = [1] if mesh_weight == 0 else [None]  # each round's targets: the joints, or the whole mesh's visibility
    assert asked[0] == 1  # the estimate's joints
    assert set(asked[1:-2]) == {term, *rounds}
    assert asked[-2:] == [None, term]  # the result's whole mesh, then its terms
    monkeypatch.setattr(type(model), "__call__", real)
    _, vertices = joints_and_vertices(result.smpl, model)
    np.testing.assert_allclose(result.vertices, vertices, atol=1e-6)


def test_the_solve_started_from_the_estimate_smoothed_ends_lower(scene) -> None:
    model, gt, est, fwd, bwd = scene
    config = SmplRefineConfig(pose=PoseStageConfig(max_steps=60, flow_rounds=1))
    assert config.start_smoothing_s == 0.05
    smoothed = refine_smpl(est, model, fwd, config, backward=bwd)
    as_given = refine_smpl(est, model, fwd, replace(config, start_smoothing_s=None), backward=bwd)
    assert smoothed.losses["total"] < 0.9 * as_given.losses["total"]  # one objective, a lower end in as many steps
    with pytest.raises(InputError, match="start_smoothing_s"):
        SmplRefineConfig(start_smoothing_s=-1.0)


@pytest.mark.parametrize("vertices", [0, 120])  # every vertex; a spread subset
def test_refinement_recovers_the_motion(scene, vertices: int) -> None:
    model, gt, est, fwd, bwd = scene
    config = SmplRefineConfig(pose=PoseStageConfig(max_steps=60, flow_rounds=2), mesh_flow_vertices=vertices)
    result = refine_smpl(est, model, fwd, config, backward=bwd)
    (Jg, Vg), (Je, Ve), (Jr, Vr) = (joints_and_vertices(s, model) for s in (gt, est, result.smpl))
    assert mpjpe(Jr, Jg) < 0.9 * mpjpe(Je, Jg)
    assert pve_mm(Vr, Vg) < 0.9 * pve_mm(Ve, Vg)
    assert result.losses["mesh"] > 0 and np.isfinite(result.losses["total"])
    assert result.smpl.body_pose.shape == est.body_pose.shape and result.smpl.betas.shape == est.betas.shape


@pytest.mark.parametrize("mesh_weight", [0.0, MESH_FLOW_WEIGHT])  # joints only; the default mesh term
def test_rotations_in_the_translations_units_converge_faster(scene, monkeypatch: pytest.MonkeyPatch,
                                                            mesh_weight: float) -> None:
    """Within the default cap, rotation unknowns of 2 mrad a unit (a millimetre at half a metre, as the translation's)
    reach a lower loss and a better fit than raw 6D vectors (1 rad a unit), which left the solve far from its minimum."""
    model, gt, est, fwd, bwd = scene
    config = SmplRefineConfig(pose=PoseStageConfig(max_steps=SMPL_MAX_STEPS, flow_rounds=1, tol=0.0),
                              w_mesh_flow=mesh_weight, start_smoothing_s=None)  # from the estimate as given: the hard case
    scaled = refine_smpl(est, model, fwd, config, backward=bwd)
    monkeypatch.setattr(refine_module, "ROTATION_UNIT", 1.0)
    raw = refine_smpl(est, model, fwd, config, backward=bwd)
    assert scaled.losses["total"] < 0.9 * raw.losses["total"]
    Jg, Js, Jr = (joints_and_vertices(s, model)[0] for s in (gt, scaled.smpl, raw.smpl))
    assert mpjpe(Js, Jg) < 0.95 * mpjpe(Jr, Jg)


def test_smplx_refinement_recovers_the_body_and_keeps_the_face_and_hands(tmp_path: Path) -> None:
    from flowpose.body.layouts import SMPLX
    from flowpose.body.refine import h36m_matrix
    from flowpose.body.synth import body_of

    model = load_body_model(write_standin(tmp_path / "smplx.npz", layout=SMPLX))
    gt = smpl_motion(16, layout=SMPLX)
    fwd, bwd = mesh_flow(vertices_of(gt, model), gt.K, (256, 256))
    est = perturb(gt)
    config = SmplRefineConfig(pose=PoseStageConfig(max_steps=60, flow_rounds=2), mesh_flow_vertices=200)
    result = refine_smpl(est, model, fwd, config, backward=bwd)
    M = h36m_matrix(SMPLX)
    assert M.shape == (17, 55) and np.allclose(M[:, :24], np.c_[SMPL_TO_H36M[:, :22], np.zeros((17, 2))])
    (Jg, Vg), (Je, Ve), (Jr, Vr) = ((np.einsum("kj,tjc->tkc", M, out.joints.numpy()), out.vertices.numpy())
                                    for out in (body_of(s, model) for s in (gt, est, result.smpl)))
    assert mpjpe(Jr, Jg) < 0.9 * mpjpe(Je, Jg) and pve_mm(Vr, Vg) < 0.9 * pve_mm(Ve, Vg)
    assert result.smpl.body_pose.shape == (16, 21, 3) and result.smpl.flat_hand_mean == est.flat_hand_mean
    for key, value in est.extras.items():
        np.testing.assert_array_equal(result.smpl.extras[key], value, err_msg=key)
    assert result.poses.joints3d.shape == (16, 17, 3)


def test_exceptions(scene) -> None:
    model, gt, est, fwd, _ = scene
    with pytest.raises(ShapeError, match=r"14 frame pairs for 15 frames, got \(15, 256, 256, 2\)"):
        refine_smpl(est.__class__(est.global_orient[:15], est.body_pose[:15], est.betas, est.transl[:15], est.K),
                    model, fwd)
    with pytest.raises(InputError, match=r"^betas: 5 shape coefficients, the body model .*standin\.pkl uses 10$"):
        refine_smpl(est.__class__(est.global_orient, est.body_pose, est.betas[:5], est.transl, est.K), model, fwd)
    with pytest.raises(InputError, match=r"SmplRefineConfig.w_mesh_flow is out of range"):
        SmplRefineConfig(w_mesh_flow=-1.0)
    with pytest.raises(InputError, match=r"SmplRefineConfig.mesh_flow_penalty is out of range"):
        SmplRefineConfig(mesh_flow_penalty="cauchy")


def test_the_frames_own_times_reach_the_joint_terms(scene) -> None:
    model, _, est, _, _ = scene
    times = np.concatenate([[0], np.cumsum(np.tile([1, 3], 8)[:15])]) / 30.0  # a variable frame rate
    config = SmplRefineConfig(pose=PoseStageConfig(max_steps=20))
    timed, even = refine_smpl(est, model, None, config, times=times), refine_smpl(est, model, None, config)
    np.testing.assert_array_equal(timed.poses.times, times)
    assert even.poses.times is None and refine_smpl(est, model, None, times=times, solve=False).poses.times is not None
    assert np.abs(timed.poses.joints3d - even.poses.joints3d).max() > 1e-4  # the temporal terms see the times
