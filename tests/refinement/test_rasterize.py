"""Tests of flowpose.refinement.rasterize: drawing single bones into the z-buffered maps.

The sketch as a whole (radii, falloff, trust factors) is tested through sketch_bone_motion in test_sketch.py;
here draw_bone is called directly, to check the z-buffer and the usable-pair mask.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from flowpose.camera import project
from flowpose.refinement.rasterize import PairGeometry, ZBufferMaps, draw_bone, front_depth, segment_foot
from flowpose.refinement.sketch import SketchConfig

F = 100.0
K = np.array([[F, 0.0, 32.0], [0.0, F, 32.0], [0.0, 0.0, 1.0]])
SIZE = 64
R = 0.1  # limb radius, m
PLAIN = SketchConfig(
    limb_radius_m=R, falloff="none", max_weight=1.0, network_veto=0.0, min_view_angle_deg=0.0
)


def two_bones() -> np.ndarray:
    """(2, 4, 3): a vertical bone (0, 1) at 2 m moving +2 cm in x (+1 px), and a longer bone (2, 3) right
    behind it at 3 m moving -3 cm (-1 px); both project onto the column x = 32.

    Projected: the near bone spans y = 22..42 px with radius 100 * 0.1 / 2 = 5 px, the far one y = 17..47
    with radius 3.3 px, so the far bone shows only beyond the near one's ends (e.g. at y = 16 and 48).
    """
    near = np.array([[0.0, -0.2, 2.0], [0.0, 0.2, 2.0]])
    far = np.array([[0.0, -0.45, 3.0], [0.0, 0.45, 3.0]])
    t0 = np.concatenate([near, far])
    return np.stack([t0, t0 + np.array([[0.02, 0, 0]] * 2 + [[-0.03, 0, 0]] * 2)])


def geometry(X: np.ndarray) -> PairGeometry:
    Ks = np.broadcast_to(K, (X.shape[0], 3, 3)).copy()
    X_t = torch.from_numpy(X)
    P = X.shape[0] - 1
    return PairGeometry(
        X=X_t,
        uv=project(X_t, torch.from_numpy(Ks)),
        f=torch.full((P,), F, dtype=torch.float64),
        K1=torch.from_numpy(Ks[1:]),
        origin=torch.zeros(P, 2, dtype=torch.float64),
        scale=torch.ones(P, dtype=torch.float64),
        shape=(SIZE, SIZE),
    )


def empty_maps(P: int = 1) -> ZBufferMaps:
    return ZBufferMaps(
        zbuf=torch.full((P, SIZE, SIZE), math.inf),
        flow=torch.zeros(P, SIZE, SIZE, 2),
        weight=torch.zeros(P, SIZE, SIZE),
    )


def draw(maps: ZBufferMaps, geo: PairGeometry, bone: tuple[int, int], ok: bool = True) -> None:
    scalar = torch.ones(1, dtype=torch.float64)  # max_weight * c_det * g_view = 1
    sigma = torch.zeros(1, geo.X.shape[1], dtype=torch.float64)  # no motion uncertainty
    draw_bone(geo, maps, *bone, R, np.array([ok]), scalar, sigma, PLAIN)


def test_nearest_surface_wins_in_any_drawing_order():
    geo = geometry(two_bones())
    results = []
    for order in (((0, 1), (2, 3)), ((2, 3), (0, 1))):
        maps = empty_maps()
        for bone in order:
            draw(maps, geo, bone)
        results.append(maps)
    for maps in results:
        # On the shared column the near bone (front surface at 2 m - r on its axis) hides the far one.
        np.testing.assert_allclose(maps.flow[0, 32, 32].numpy(), [1.0, 0.0], atol=1e-5)
        assert maps.zbuf[0, 32, 32].item() == np.float32(2.0 - R)
        np.testing.assert_allclose(maps.flow[0, 20, 32].numpy(), [1.0, 0.0], atol=1e-5)  # near's round end
        # Beyond the near bone's capsule (more than 5 px past its ends) the far bone shows.
        for y in (16, 48):
            np.testing.assert_allclose(maps.flow[0, y, 32].numpy(), [-1.0, 0.0], atol=1e-5)
    for name in ("zbuf", "flow", "weight"):
        torch.testing.assert_close(getattr(results[0], name), getattr(results[1], name))


def test_unusable_pair_draws_nothing_and_leaves_the_other_bone_visible():
    geo = geometry(two_bones())
    maps = empty_maps()
    draw(maps, geo, (0, 1), ok=False)
    assert (maps.weight == 0).all() and torch.isinf(maps.zbuf).all()
    draw(maps, geo, (2, 3))
    np.testing.assert_allclose(maps.flow[0, 32, 32].numpy(), [-1.0, 0.0], atol=1e-5)
    assert maps.weight[0, 32, 32].item() == 1.0
    # The far bone's capsule: y = 17..47 px and x = 32, widened by its 3.3 px radius, no further.
    ys, xs = torch.nonzero(maps.weight[0] > 0, as_tuple=True)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (14, 50, 29, 35)


def test_segment_foot_and_front_depth_of_a_bone_in_depth() -> None:
    # A bone from (0, 0, 2) to (1, 0, 4) m: its projections (f = 100, c = 0) are (0, 0) and (25, 0) px.
    a, b = torch.tensor([0.0, 0.0]), torch.tensor([25.0, 0.0])
    za, zb = torch.tensor(2.0), torch.tensor(4.0)
    px = torch.tensor([[12.5, 3.0], [-5.0, 0.0], [40.0, -4.0]])
    lam, d, inv_z = segment_foot(px, a, b, za, zb)
    torch.testing.assert_close(lam, torch.tensor([0.5, 0.0, 1.0]))
    torch.testing.assert_close(d, torch.tensor([3.0, 5.0, math.hypot(15.0, 4.0)]))
    # Half way on screen is not half way along the bone: the axis point (x/z = 0.125) is X = (1/3, 0, 8/3).
    torch.testing.assert_close(1.0 / inv_z, torch.tensor([8.0 / 3.0, 2.0, 4.0]))
    u = torch.tensor([0.0, 0.6, 1.0])
    torch.testing.assert_close(front_depth(inv_z, 0.1, u), 1.0 / inv_z - 0.1 * torch.tensor([1.0, 0.8, 0.0]))
