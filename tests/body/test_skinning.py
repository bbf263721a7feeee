"""Tests of flowpose.body.skinning: the blend of the joints' transforms, its values and its gradients."""

from __future__ import annotations

import torch

from flowpose.body.skinning import blend_skin


def _inputs(dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    A = torch.randn(3, 5, 3, 4, generator=g, dtype=dtype)
    weights = torch.rand(5, 7, generator=g, dtype=dtype)
    weights = weights / weights.sum(0)
    points = torch.randn(3, 3, 7, generator=g, dtype=dtype)
    return A, weights, points


def test_each_vertex_moves_by_its_weighted_transforms() -> None:
    A, weights, points = _inputs()
    out = blend_skin(A, weights, points)
    T, J, N = 3, 5, 7
    expected = torch.zeros(T, 3, N, dtype=A.dtype)
    for t in range(T):
        for n in range(N):
            for j in range(J):
                expected[t, :, n] += weights[j, n] * (A[t, j, :, :3] @ points[t, :, n] + A[t, j, :, 3])
    torch.testing.assert_close(out, expected)


def test_a_rigid_body_moves_rigidly() -> None:
    # One transform for every joint: the weights, summing to 1, blend it to itself.
    _, weights, points = _inputs()
    angle = torch.tensor(0.7, dtype=torch.float64)
    c, s = torch.cos(angle), torch.sin(angle)
    R = torch.stack([torch.stack([c, -s, 0 * c]), torch.stack([s, c, 0 * c]), torch.tensor([0.0, 0, 1]).double()])
    A = torch.cat([R, torch.tensor([[0.1], [-0.2], [2.0]]).double()], 1).expand(3, 5, 3, 4)
    torch.testing.assert_close(blend_skin(A, weights, points), R @ points + A[0, 0, :, 3:])


def test_gradients_equal_finite_differences() -> None:
    A, weights, points = _inputs()
    A.requires_grad_(True)
    points.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, p: blend_skin(a, weights, p), (A, points))


def test_gradient_for_one_input_only() -> None:
    A, weights, points = _inputs(torch.float32)
    A.requires_grad_(True)
    blend_skin(A, weights, points).square().sum().backward()
    reference = A.detach().clone().requires_grad_(True)
    G = torch.einsum("tjck,jn->tckn", reference, weights)
    ((G[:, :, :3] * points[:, None]).sum(2) + G[:, :, 3]).square().sum().backward()
    torch.testing.assert_close(A.grad, reference.grad)
    assert points.grad is None
