"""Linear blend skinning's last step, for whole videos: each vertex moved by its weighted blend of the joints'
rigid transforms,

    v'_{t,n} = sum_j w_{j,n} (R_{t,j} v_{t,n} + s_{t,j}),

with (R_{t,j} | s_{t,j}) the (3, 4) transform of joint j at frame t (rest joints removed, as
:func:`smplx.lbs.batch_rigid_transform` returns it) and v_{t,n} the posed rest vertex (shape and pose blend shapes
added). It is smplx's ``lbs`` step written as one autograd function: the blended transforms G = A W, (T, 3, 4, N),
are the only array of that size made going forward, and one more going back (the gradient of A needs
dL/dG = dL/dv' [v, 1]). Plain autograd made several (the product with [v, 1]; going back a zero-filled array for
the slice of G, the product's gradients and a copy): passes over memory that cost more than the arithmetic, and
with the whole mesh, fresh pages from the system each time (``benchmarks/RESULTS.md``, fifty-eighth session).
"""

from __future__ import annotations

import torch


class _BlendSkin(torch.autograd.Function):
    """v' = sum_k G[:, :, k] v[:, k] + G[:, :, 3], G = A W; differentiable in A and v (W is constant)."""

    @staticmethod
    def forward(ctx, A: torch.Tensor, weights: torch.Tensor, points: torch.Tensor) -> torch.Tensor:  # noqa: D102
        T, J = A.shape[:2]
        N = weights.shape[1]
        G = (A.reshape(T, J, 12).transpose(1, 2).reshape(T * 12, J) @ weights).view(T, 3, 4, N)
        out = G[:, :, 3].clone()
        for k in range(3):
            out.addcmul_(G[:, :, k], points[:, k : k + 1])
        ctx.save_for_backward(G, weights, points)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, None, torch.Tensor | None]:  # noqa: D102
        G, weights, points = ctx.saved_tensors
        T, _, _, N = G.shape
        grad_A = grad_points = None
        if ctx.needs_input_grad[0]:
            grad_G = torch.empty_like(G)  # dL/dG[t, c, k, n] = dL/dv'[t, c, n] [v, 1][t, k, n]
            torch.mul(grad[:, :, None], points[:, None], out=grad_G[:, :, :3])
            grad_G[:, :, 3] = grad
            J = weights.shape[0]
            grad_A = (grad_G.view(T * 12, N) @ weights.T).view(T, 12, J).transpose(1, 2).reshape(T, J, 3, 4)
        if ctx.needs_input_grad[2]:  # dL/dv[t, k, n] = sum_c G[t, c, k, n] dL/dv'[t, c, n]
            grad_points = G[:, 0, :3] * grad[:, 0:1]
            for c in (1, 2):
                grad_points.addcmul_(G[:, c, :3], grad[:, c : c + 1])
        return grad_A, None, grad_points


def blend_skin(transforms: torch.Tensor, weights: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Move each vertex by its skinning weights' blend of the joints' rigid transforms (module docstring).

    Args:
        transforms: (T, J, 3, 4) each joint's rotation and translation, rest joints removed, metres.
        weights: (J, N) skinning weights, constant (no gradient flows to them).
        points: (T, 3, N) the posed rest vertices, laid out coordinate first, metres.

    Returns:
        (T, 3, N) the skinned vertices, metres, differentiable in ``transforms`` and ``points``.
    """
    return _BlendSkin.apply(transforms, weights, points)
