"""The points L_opt follows: the joints and points sampled along the bones, a linear map of the joints.

The flow constrains the whole limb, not only its ends, so L_opt (:mod:`flowpose.refinement.objective`) compares
the image motion of points on each bone with the flow as well as the joints'.
"""

from __future__ import annotations

import torch


def bone_point_matrix(num_joints: int, bones: torch.Tensor, samples: int, dtype: torch.dtype) -> torch.Tensor:
    """The joints followed by ``samples`` interior points on each bone, as a linear map: P_t = A X_t.

    P_{t,b,s} = X_{t,a} + s / (S + 1) (X_{t,c} - X_{t,a}),  s = 1..S, for bone b = (a, c) (parent, child): the
    joints, then bone 0's S points (parent to child), bone 1's, ... A matrix product (forward and backward) is
    several times faster than gathers and a concatenation.

    Args:
        num_joints: J.
        bones: (B, 2) long (parent, child).
        samples: S interior points per bone.
        dtype: of the matrix.

    Returns:
        (J + B * S, J): the identity on top, then per bone rows with 1 - s/(S+1) at the parent, s/(S+1) at the
        child.
    """
    B = bones.shape[0]
    s = torch.arange(1, samples + 1, dtype=dtype, device=bones.device) / (samples + 1)  # (S,)
    inner = torch.zeros(B, samples, num_joints, dtype=dtype, device=bones.device)
    rows = torch.arange(B, device=bones.device)[:, None].expand(B, samples)
    cols = torch.arange(samples, device=bones.device)[None].expand(B, samples)
    inner[rows, cols, bones[:, 0:1].expand(B, samples)] += 1.0 - s
    inner[rows, cols, bones[:, 1:2].expand(B, samples)] += s
    eye = torch.eye(num_joints, dtype=dtype, device=bones.device)
    return torch.cat([eye, inner.reshape(B * samples, num_joints)], dim=0)


def bone_point_weights(conf: torch.Tensor, bones: torch.Tensor, samples: int) -> torch.Tensor:
    """Weights of the points of :func:`bone_point_matrix`.

    Joints keep theirs; a bone point gets the lower of its two end joints'.

    Args:
        conf: (T, J) joint weights.
        bones: (B, 2) long.
        samples: S.

    Returns:
        (T, J + B * S).
    """
    if samples == 0 or bones.shape[0] == 0:
        return conf
    inner = torch.minimum(conf[:, bones[:, 0]], conf[:, bones[:, 1]])  # (T, B)
    return torch.cat([conf, inner.repeat_interleave(samples, dim=1)], dim=1)
