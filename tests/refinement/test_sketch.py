"""Tests of the bone-motion sketch and the target composition (flowpose/refinement/sketch.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flowpose.errors import InputError, ShapeError
from flowpose.flow.field import FlowField
from flowpose.refinement import rasterize
from flowpose.refinement.sketch import Sketch, SketchConfig, compose_target, sketch_bone_motion

F = 100.0
K = np.array([[F, 0.0, 32.0], [0.0, F, 32.0], [0.0, 0.0, 1.0]])
# Plain geometry: no falloff, no motion or network factors, unless a test turns one on.
PLAIN = SketchConfig(
    limb_radius_m=0.1, falloff="none", max_weight=1.0, network_veto=0.0, min_view_angle_deg=0.0
)


def grid(P: int = 1, size: int = 64) -> FlowField:
    return FlowField.full_frame(np.zeros((P, size, size, 2), np.float32))


def vertical_bone(z: float = 2.0, shift=(0.0, 0.0, 0.0)) -> np.ndarray:
    """(2, 2, 3): a bone from (0, -0.2, z) to (0, 0.2, z), then moved by ``shift`` metres."""
    j0 = np.array([[0.0, -0.2, z], [0.0, 0.2, z]])
    return np.stack([j0, j0 + np.asarray(shift)])


def run(joints, conf=None, g=None, config=PLAIN, bones=((0, 1),)) -> Sketch:
    T, J = joints.shape[:2]
    conf = np.ones((T, J)) if conf is None else conf
    return sketch_bone_motion(joints, K, conf, grid(T - 1) if g is None else g, bones=bones, config=config)


def test_translating_bone_draws_its_displacement_and_nothing_far_away():
    # A 3D shift of (2, -1) cm at 2 m depth is (1, -0.5) px with f = 100.
    cfg = SketchConfig(limb_radius_m=0.05, max_weight=0.9, falloff="cosine")
    s = run(vertical_bone(shift=(0.02, -0.01, 0.0)), config=cfg)
    axis = s.flow[0, 23:42, 32]  # the projected bone spans y = 22..42 at x = 32
    np.testing.assert_allclose(axis, np.tile([1.0, -0.5], (19, 1)), atol=1e-5)
    np.testing.assert_allclose(s.weight[0, 23:42, 32], 0.9, atol=1e-6)  # max_weight on the core
    # Projected radius 100 * 0.05 / 2 = 2.5 px: nothing drawn 3 px or more off the axis, nor past the ends.
    assert np.all(s.weight[0, :, :29] == 0) and np.all(s.weight[0, :, 36:] == 0)
    assert np.all(s.weight[0, :19] == 0) and np.all(s.weight[0, 46:] == 0)
    assert np.all(s.flow[0][s.weight[0] == 0][:, 0] <= 1.0)
    assert np.all(s.flow[0, :, :29] == 0)


def test_defaults_draw_a_flat_full_weight_limb_without_network_veto():
    # The tuned defaults (module docstring, "Defaults"): W = 1 across the whole drawn width, and a confident
    # network that disagrees by far removes nothing.
    assert SketchConfig().network_veto == 0.0
    g = FlowField.full_frame(np.full((1, 64, 64, 2), 30.0, np.float32))
    s = run(vertical_bone(), g=g, config=SketchConfig(limb_radius_m=0.1, min_view_angle_deg=0.0))
    np.testing.assert_allclose(s.weight[0, 32, 28:37], 1.0)  # rho = 5 px: 4 px either side of the axis
    assert s.weight[0, 32, 38] == 0 and s.weight[0, 32, 26] == 0


def test_falloff_is_soft_and_monotone_across_the_limb():
    cfg = SketchConfig(limb_radius_m=0.1, max_weight=0.9, falloff="cosine", min_view_angle_deg=0.0)
    s = run(vertical_bone(), config=cfg)
    row = s.weight[0, 32, 32:40]  # rho = 5 px, core up to 2.5 px
    assert row[0] == pytest.approx(0.9) and row[2] == pytest.approx(0.9)
    assert np.all(np.diff(row) <= 1e-7)
    assert 0 < row[3] < 0.9 and 0 < row[4] < row[3]
    assert row[5] == pytest.approx(0.0, abs=1e-7)  # the edge: 0.5 (1 + cos(pi)) = 0


def test_rotating_bone_motion_is_linear_along_the_axis():
    # Joint A still, joint B moves 2 px right: an axis pixel at fraction lambda moves by lambda * (2, 0).
    joints = vertical_bone()
    joints[1, 1] += [0.04, 0.0, 0.0]
    s = run(joints)
    for y in (24, 27, 32, 37, 40):
        lam = (y - 22) / 20
        np.testing.assert_allclose(s.flow[0, y, 32], [2.0 * lam, 0.0], atol=1e-5)


def test_foreshortened_bone_follows_the_material_point():
    # A bone receding in depth moves (also in depth); each axis pixel must follow the 3D point it shows.
    A0, B0 = np.array([-0.2, 0.0, 2.0]), np.array([0.2, 0.0, 3.0])
    A1, B1 = A0 + [0.0, 0.05, 0.3], B0 + [0.0, -0.03, -0.2]
    s = run(np.stack([np.stack([A0, B0]), np.stack([A1, B1])]))
    mus = np.linspace(0.0, 1.0, 100001)
    X0 = (1 - mus)[:, None] * A0 + mus[:, None] * B0
    X1 = (1 - mus)[:, None] * A1 + mus[:, None] * B1
    x0 = F * X0[:, 0] / X0[:, 2] + 32
    for x in (24, 28, 33, 36):
        k = np.argmin(np.abs(x0 - x))  # the 3D point that projects on pixel column x (dense search)
        expected = F * X1[k, :2] / X1[k, 2] + 32 - np.array([x0[k], 32.0])
        np.testing.assert_allclose(s.flow[0, 32, x], expected, atol=2e-3)


@pytest.mark.parametrize("radius", [0.06, 0.1])
def test_width_follows_projected_thickness(radius):
    cfg = SketchConfig(limb_radius_m=radius, falloff="none", network_veto=0.0, min_view_angle_deg=0.0)
    near = run(vertical_bone(z=2.0), config=cfg).weight[0, 32]
    far = run(vertical_bone(z=4.0), config=cfg).weight[0, 32]
    width_near, width_far = int((near > 0).sum()), int((far > 0).sum())
    assert width_near > width_far
    # Covered where |x - 32| <= rho = f r / z: 2 floor(rho) + 1 pixels.
    assert width_near == 2 * math.floor(F * radius / 2.0) + 1
    assert width_far == 2 * math.floor(F * radius / 4.0) + 1


@pytest.mark.parametrize("frame, joint", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_zero_confidence_joint_gives_zero_weight(frame, joint):
    conf = np.ones((2, 2))
    conf[frame, joint] = 0.0
    s = run(vertical_bone(shift=(0.02, 0, 0)), conf=conf)
    assert np.all(s.weight == 0)


def test_confidence_scales_the_weight_and_missing_joints_are_safe():
    conf = np.array([[0.5, 0.8], [0.9, 0.7]])
    s = run(vertical_bone(shift=(0.02, 0, 0)), conf=conf)
    assert s.weight[0, 32, 32] == pytest.approx(0.5)  # min over both joints at t and t+1
    joints = vertical_bone()
    joints[1, 0] = np.nan
    s = run(joints)
    assert np.all(s.weight == 0) and np.all(np.isfinite(s.flow))


@pytest.mark.parametrize("vertical_nearer", [True, False])
def test_nearer_limb_wins_where_limbs_overlap(vertical_nearer):
    zv, zh = (2.0, 3.0) if vertical_nearer else (3.0, 2.0)
    vertical = np.array([[0.0, -0.2 * zv / 2, zv], [0.0, 0.2 * zv / 2, zv]])
    horizontal = np.array([[-0.2 * zh / 2, 0.0, zh], [0.2 * zh / 2, 0.0, zh]])
    j0 = np.concatenate([vertical, horizontal])
    # The vertical bone moves 1 px right, the horizontal one 1 px down.
    j1 = j0 + np.array([[0.01 * zv, 0, 0], [0.01 * zv, 0, 0], [0, 0.01 * zh, 0], [0, 0.01 * zh, 0]])
    s = run(np.stack([j0, j1]), bones=((0, 1), (2, 3)))
    expected = [1.0, 0.0] if vertical_nearer else [0.0, 1.0]
    np.testing.assert_allclose(s.flow[0, 32, 32], expected, atol=1e-5)
    # Away from the crossing each bone keeps its own motion.
    np.testing.assert_allclose(s.flow[0, 24, 32], [1.0, 0.0], atol=1e-5)
    np.testing.assert_allclose(s.flow[0, 32, 24], [0.0, 1.0], atol=1e-5)


def test_bone_along_the_view_ray_is_not_trusted():
    cfg = SketchConfig(
        limb_radius_m=0.1, falloff="none", max_weight=1.0, network_veto=0.0, min_view_angle_deg=20
    )
    along = np.array([[[0.0, 0.0, 2.0], [0.0, 0.0, 2.4]]] * 2)
    assert np.all(run(along, config=cfg).weight == 0)
    # 10 degrees off the ray at the bone's midpoint (on the optical axis): weight sin 10 / sin 20.
    d = 0.4 * np.array([math.sin(math.radians(10)), 0.0, math.cos(math.radians(10))])
    mid = np.array([0.0, 0.0, 2.2])
    tilted = np.array([[mid - d / 2, mid + d / 2]] * 2)
    w = run(tilted, config=cfg).weight[0]
    assert w.max() == pytest.approx(math.sin(math.radians(10)) / math.sin(math.radians(20)), rel=1e-4)


def test_jittery_pose_motion_lowers_the_weight():
    cfg = SketchConfig(limb_radius_m=0.1, falloff="none", max_weight=1.0, network_veto=0.0,
                       min_view_angle_deg=0.0, motion_trust_px=4.0)
    base = vertical_bone()[0]
    steady = np.stack([base + [0.02 * t, 0, 0] for t in range(3)])  # 1 px per frame, no acceleration
    jitter = steady.copy()
    jitter[1] += [0.02, 0, 0]  # frame 1 one px off: second difference 2 px at t = 1
    assert run(steady, config=cfg).weight[0, 32, 32] == pytest.approx(1.0)
    sigma2 = (2.0 / math.sqrt(3.0)) ** 2
    expected = 16.0 / (16.0 + sigma2)
    w = run(jitter, config=cfg).weight
    assert w[0, 32, 32] == pytest.approx(expected, rel=1e-5)
    assert w[1, 32, 32] == pytest.approx(expected, rel=1e-5)


def test_confident_disagreeing_network_vetoes_part_of_the_weight():
    cfg = SketchConfig(limb_radius_m=0.1, falloff="none", max_weight=1.0, network_veto=0.5,
                       min_view_angle_deg=0.0, disagree_px=8.0)
    joints = vertical_bone(shift=(0.16, 0.0, 0.0))  # the pose says 8 px right; the network says 0
    confident = FlowField.full_frame(np.zeros((1, 64, 64, 2)), np.ones((1, 64, 64)))
    unsure = FlowField.full_frame(np.zeros((1, 64, 64, 2)), np.zeros((1, 64, 64)))
    assert run(joints, g=confident, config=cfg).weight[0, 32, 32] == pytest.approx(1 - 0.5 * 0.5)
    assert run(joints, g=unsure, config=cfg).weight[0, 32, 32] == pytest.approx(1.0)


@pytest.mark.parametrize("origin, scale", [((16.0, 12.0), 0.5), ((0.0, 0.0), 2.0), ((8.0, 4.0), 1.0)])
def test_crop_grid_matches_the_full_frame(origin, scale):
    joints = vertical_bone(shift=(0.02, -0.01, 0.01))
    joints[1, 1] += [0.03, 0.0, 0.0]
    cfg = SketchConfig(limb_radius_m=0.1, network_veto=0.0, min_view_angle_deg=0.0)
    full = run(joints, config=cfg)
    crop = FlowField(
        np.zeros((1, 48, 48, 2)), np.ones((1, 48, 48)), np.array([origin]), np.array([scale]), (64, 64)
    )
    s = run(joints, g=crop, config=cfg)
    # Grid pixel (i, j) lies at full-frame origin + scale (j, i); compare where that is a whole pixel.
    ii, jj = np.mgrid[0:48, 0:48]
    x, y = origin[0] + scale * jj, origin[1] + scale * ii
    on_pixel = (x == np.round(x)) & (y == np.round(y)) & (x < 64) & (y < 64)
    xi, yi = x[on_pixel].astype(int), y[on_pixel].astype(int)
    np.testing.assert_allclose(s.flow[0][on_pixel], full.flow[0, yi, xi], atol=1e-5)
    np.testing.assert_allclose(s.weight[0][on_pixel], full.weight[0, yi, xi], atol=1e-6)
    assert s.weight[0][on_pixel].max() > 0


def test_full_skeleton_properties_and_chunking(monkeypatch):
    rng = np.random.default_rng(3)
    T = 5
    joints = np.array([0.0, 0.0, 3.0]) + 0.25 * rng.standard_normal((T, 17, 3))
    conf = rng.uniform(0.2, 1.0, (T, 17))
    g = grid(T - 1)
    s = sketch_bone_motion(joints, K, conf, g)
    assert s.flow.shape == (T - 1, 64, 64, 2) and s.weight.shape == (T - 1, 64, 64)
    assert np.all(np.isfinite(s.flow)) and s.weight.min() >= 0 and s.weight.max() <= 1.0 + 1e-6
    assert (s.weight > 0).mean() > 0.02
    monkeypatch.setattr(rasterize, "_CHUNK_ELEMENTS", 50)  # one pair per chunk
    s_small = sketch_bone_motion(joints, K, conf, g)
    np.testing.assert_array_equal(s.flow, s_small.flow)
    np.testing.assert_array_equal(s.weight, s_small.weight)


def test_compose_target_blends_flow_and_raises_confidence():
    rng = np.random.default_rng(0)
    F_net = rng.normal(size=(2, 8, 8, 2)).astype(np.float32)
    c_net = rng.uniform(size=(2, 8, 8)).astype(np.float32)
    S = rng.normal(size=(2, 8, 8, 2)).astype(np.float32)
    W = np.zeros((2, 8, 8), np.float32)
    W[0, :4] = 1.0
    W[1] = 0.25
    origin, scale = np.array([[3.0, 4.0], [5.0, 6.0]]), np.array([0.5, 2.0])
    net = FlowField(F_net, c_net, origin, scale, (40, 50))
    target = compose_target(net, Sketch(S, W))
    np.testing.assert_allclose(target.flow[0, 4:], F_net[0, 4:])  # W = 0: the network flow
    np.testing.assert_allclose(target.flow[0, :4], S[0, :4])  # W = 1: the sketch
    np.testing.assert_allclose(target.flow[1], 0.75 * F_net[1] + 0.25 * S[1], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(target.confidence[0, 4:], c_net[0, 4:])
    np.testing.assert_allclose(target.confidence[0, :4], 1.0, atol=1e-6)
    np.testing.assert_allclose(target.confidence[1], 1 - 0.75 * (1 - c_net[1]), rtol=1e-6)
    np.testing.assert_array_equal(target.origin, origin)
    np.testing.assert_array_equal(target.scale, scale)
    assert target.image_size == (40, 50)
    with pytest.raises(ShapeError, match="sketch.weight"):
        compose_target(net, Sketch(S[:, :4], W[:, :4]))


def test_exceptions():
    j = vertical_bone()
    with pytest.raises(ShapeError, match="joints3d"):
        sketch_bone_motion(j[:1], K, np.ones((1, 2)), grid(), bones=[(0, 1)], config=PLAIN)
    with pytest.raises(ShapeError, match="conf"):
        sketch_bone_motion(j, K, np.ones((2, 3)), grid(), bones=[(0, 1)], config=PLAIN)
    with pytest.raises(ShapeError, match="K"):
        sketch_bone_motion(j, np.eye(4), np.ones((2, 2)), grid(), bones=[(0, 1)], config=PLAIN)
    with pytest.raises(ShapeError, match="grid"):
        sketch_bone_motion(j, K, np.ones((2, 2)), grid(P=2), bones=[(0, 1)], config=PLAIN)
    with pytest.raises(InputError, match=r"\[0, 2\)"):
        sketch_bone_motion(j, K, np.ones((2, 2)), grid(), bones=[(0, 5)], config=PLAIN)
    with pytest.raises(InputError, match="16 radii .* 1 bones"):
        sketch_bone_motion(j, K, np.ones((2, 2)), grid(), bones=[(0, 1)])
    with pytest.raises(InputError, match="max_weight"):
        SketchConfig(max_weight=1.5)
    with pytest.raises(InputError, match="falloff"):
        SketchConfig(falloff="square")
    with pytest.raises(InputError, match="limb_radius_m"):
        SketchConfig(limb_radius_m=-0.1)


def test_each_pair_gets_its_own_motion():
    base = vertical_bone()[0]
    steps = [(0.02, 0.0), (0.0, 0.04), (-0.06, 0.02)]  # metres at 2 m: (1, 0), (0, 2), (-3, 1) px
    frames = [base]
    for dx, dy in steps:
        frames.append(frames[-1] + [dx, dy, 0.0])
    cfg = SketchConfig(limb_radius_m=0.1, max_weight=0.9, min_view_angle_deg=0.0, motion_trust_px=math.inf)
    s = run(np.stack(frames), config=cfg)
    for t, (dx, dy) in enumerate(steps):
        x, y = round(32 + 50 * sum(d[0] for d in steps[:t])), round(32 + 50 * sum(d[1] for d in steps[:t]))
        np.testing.assert_allclose(s.flow[t, y, x], [50 * dx, 50 * dy], atol=1e-5)
        assert s.weight[t, y, x] == pytest.approx(0.9)
