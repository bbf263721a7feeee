"""Tests of flowpose.body.synth: the mesh flow is the visible vertices' exact motion."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flowpose.body.model import load_body_model
from flowpose.body.standin import write_standin
from flowpose.body.synth import EstimatorErrors, mesh_flow, perturb, smpl_motion, vertices_of
from flowpose.camera import project_np


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory):
    return load_body_model(write_standin(tmp_path_factory.mktemp("body") / "standin.pkl"))


def test_flow_at_a_visible_vertex_is_its_motion(model) -> None:
    seq = smpl_motion(4)
    V = vertices_of(seq, model)
    fwd, bwd = mesh_flow(V, seq.K, (256, 256), splat=0)
    p = project_np(V, seq.K)
    inside = ((p[:2] >= 1) & (p[:2] <= 254)).all(-1).all(0)
    nearest = np.flatnonzero(inside)[np.argmin(V[0, inside, 2])]  # the nearest vertex in view is visible
    x, y = np.round(p[0, nearest]).astype(int)
    np.testing.assert_allclose(fwd.flow[0, y, x], p[1, nearest] - p[0, nearest], atol=1e-4)
    assert fwd.confidence[0, y, x] == 1.0 and fwd.confidence[0].mean() < 0.2  # sparse: only vertex pixels
    x1, y1 = np.round(p[1, nearest]).astype(int)
    np.testing.assert_allclose(bwd.flow[0, y1, x1], p[0, nearest] - p[1, nearest], atol=1e-4)


def test_perturbation_is_an_estimators_error() -> None:
    seq = smpl_motion(10)
    est = perturb(seq, EstimatorErrors(pose_noise_rad=0.1, pose_bias_rad=0.0, depth_bias_m=0.2), seed=3)
    angle = (Rotation.from_rotvec(est.body_pose.reshape(-1, 3)).inv() * Rotation.from_rotvec(
        seq.body_pose.reshape(-1, 3))).magnitude()
    assert 0.1 < np.median(angle) < 0.25  # |N(0, 0.1 I3)| has median ~ 0.15 rad
    assert np.mean(est.transl[:, 2] - seq.transl[:, 2]) == pytest.approx(0.2, abs=0.05)
    assert not np.allclose(est.betas, seq.betas)


def test_the_acceleration_error_is_of_the_model_s_joints(model) -> None:
    from flowpose.body.model import model_joints
    from flowpose.body.refine import h36m_matrix
    from flowpose.body.synth import accel_error_mm
    from flowpose.metrics import accel_error

    gt = smpl_motion(12)
    est = perturb(gt, seed=2)
    assert accel_error_mm(gt, gt, model) == 0.0
    M = h36m_matrix(model.layout)
    joints = [np.einsum("kj,tjc->tkc", M, model_joints(model, s)) for s in (est, gt)]
    assert accel_error_mm(est, gt, model) == pytest.approx(accel_error(*joints)) and accel_error(*joints) > 10.0
