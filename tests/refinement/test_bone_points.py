"""Tests of flowpose.refinement.bone_points: the points L_opt follows and their weights."""

from __future__ import annotations

import numpy as np
import torch

from flowpose.flow.field import FlowField
from flowpose.refinement import bone_points as L
from tests.refinement.test_losses import CHAIN


def constant_flow(T: int, u: float, v: float = 0.0, size: int = 64) -> FlowField:
    """A full-frame FlowField whose flow is (u, v) px everywhere, confidence 1."""
    flow = np.zeros((T - 1, size, size, 2), np.float32)
    flow[..., 0], flow[..., 1] = u, v
    return FlowField.full_frame(flow)



# ----------------------------------------------------------------------------------------------------------
# Bone points


class TestBonePointMatrix:
    def test_cardinality(self):
        assert L.bone_point_matrix(3, CHAIN, 4, torch.float64).shape == (3 + 2 * 4, 3)
        torch.testing.assert_close(L.bone_point_matrix(3, CHAIN, 0, torch.float64), torch.eye(3, dtype=torch.float64))

    def test_hand_values(self):
        X = torch.tensor([[[0.0, 0, 0], [3.0, 0, 0], [3.0, 6.0, 0]]])
        P = torch.einsum("nj,tjc->tnc", L.bone_point_matrix(3, CHAIN, 2, torch.float32), X)
        expected = torch.tensor([[1.0, 0, 0], [2.0, 0, 0], [3.0, 2.0, 0], [3.0, 4.0, 0]])
        torch.testing.assert_close(P[0, 3:], expected)
        torch.testing.assert_close(P[0, :3], X[0])

    def test_weights_take_the_lower_end(self):
        conf = torch.tensor([[1.0, 0.5, 0.0]])
        w = L.bone_point_weights(conf, CHAIN, 2)
        torch.testing.assert_close(w, torch.tensor([[1.0, 0.5, 0.0, 0.5, 0.5, 0.0, 0.0]]))
