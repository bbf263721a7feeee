"""Tests of a video refined in overlapping parts (:mod:`flowpose.refinement.parts`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

import flowpose
from flowpose.config import FlowConfig, RefineConfig
from flowpose.coverage import unseen_joints
from flowpose.errors import InputError
from flowpose.flow.classical import DISFlow
from flowpose.refinement import parts as parts_module
from flowpose.refinement.evaluate import flow_metrics, pose_metrics, pose_motion_stats
from flowpose.refinement.loop import person_scale
from flowpose.refinement.parts import (
    anchored,
    join_joints,
    one_body,
    own_frames,
    part_weights,
    parts_note,
    plan_parts,
    refine_in_parts,
    video_filled,
)
from flowpose.refinement.pose_config import PoseStageConfig
from tests.conftest import swinging_motion

CONFIG = RefineConfig(cycles=1, flow=FlowConfig(names=("dis",), weights=(None,), work_size=64),
                      pose=PoseStageConfig(max_steps=60))


@pytest.fixture(scope="module")
def clip40():
    """A rendered 40-frame 64x64 clip with exact ground truth and a `metro` estimate."""
    from flowpose.synth.clip import SynthConfig, make_clip

    return make_clip(swinging_motion(40), SynthConfig(frames=40, size=64, profile="metro", seed=3))


@pytest.mark.parametrize("T, L, overlap", [(250, 100, 20), (101, 100, 30), (1000, 90, 30), (91, 90, 2), (5000, 999, 31)])
def test_parts_cover_the_video_own_it_once_and_overlap_where_they_meet(T: int, L: int, overlap: int) -> None:
    parts = plan_parts(T, L, overlap)
    assert len(parts) == -(-T // (L - overlap)) >= 2
    assert parts[0].start == parts[0].own_start == 0 and parts[-1].stop == parts[-1].own_stop == T
    for p in parts:
        assert p.stop - p.start <= L and p.own_stop - p.own_start >= overlap
        assert p.start <= p.own_start < p.own_stop <= p.stop
    for a, b in zip(parts, parts[1:]):
        assert a.own_stop == b.own_start  # the own runs tile the video
        assert a.stop - b.start == overlap and b.start == a.own_stop - overlap // 2  # overlap frames shared about the cut
    weights = np.zeros(T)
    for p, w in zip(parts, part_weights(parts, overlap)):
        assert ((w >= 0) & (w <= 1)).all()
        weights[p.start:p.stop] += w
    np.testing.assert_allclose(weights, 1.0)  # every frame's weights add up to one


def test_a_video_no_longer_than_a_part_is_one_part_and_short_parts_are_refused() -> None:
    assert [(p.start, p.stop, p.own_start, p.own_stop) for p in plan_parts(90, 90, 30)] == [(0, 90, 0, 90)]
    with pytest.raises(InputError, match="at least 3 x the overlap"):
        plan_parts(1000, 89, 30)
    with pytest.raises(InputError, match="part_frames must be at least 3 x part_overlap"):
        RefineConfig(part_frames=89)
    with pytest.raises(InputError, match="part_overlap must be at least 2"):
        RefineConfig(part_overlap=1)


def test_the_user_is_told_the_parts_and_their_frames() -> None:
    config = RefineConfig(part_frames=90)
    assert parts_note(90, config) is None and parts_note(1000, RefineConfig()) is None  # refined whole
    assert parts_note(100, config, first_frame=20) == ("refined in 2 parts of up to 90 frames, sharing 30 where they "
                                                       "meet: frames 20-84, 55-119")
    many = parts_note(1000, config)  # 17 parts: the first three and the last two
    assert many.startswith("refined in 17 parts of up to 90 frames") and many.endswith(", ..., 867-955, 926-999")


def test_joints_pass_linearly_from_one_part_to_the_next() -> None:
    parts = plan_parts(30, 14, 4)  # 3 parts, cuts at 10 and 20
    assert [(p.start, p.stop) for p in parts] == [(0, 12), (8, 22), (18, 30)]
    joints = [np.full((p.stop - p.start, 1, 3), float(i)) for i, p in enumerate(parts)]
    joined = join_joints(parts, joints, 4)[:, 0, 0]
    np.testing.assert_allclose(joined[:8], 0.0)
    np.testing.assert_allclose(joined[8:12], [0.125, 0.375, 0.625, 0.875])  # (t - 8 + 1/2) / 4
    np.testing.assert_allclose(joined[12:18], 1.0)
    np.testing.assert_allclose(joined[18:22], [1.125, 1.375, 1.625, 1.875])
    joints[1][0:3, 0] = np.nan  # frames 8-10: the second part lacks the joint, the first's is kept whole
    joined = join_joints(parts, joints, 4)[:, 0, 0]
    np.testing.assert_allclose(joined[8:12], [0.0, 0.0, 0.0, 0.875])
    assert own_frames(parts, [np.arange(p.start, p.stop) for p in parts]).tolist() == list(range(30))


def test_a_video_in_parts_is_its_parts_refined_one_after_another_and_joined(clip40, monkeypatch) -> None:
    runs = []
    real = parts_module.run_refinement

    def recorded(init, frames, models, config, **options):
        result = real(init, frames, models, config, **options)
        runs.append((init, options["scale"], result))
        return result

    monkeypatch.setattr(parts_module, "run_refinement", recorded)
    config = replace(CONFIG, part_frames=15, part_overlap=4)
    parted = flowpose.refine(clip40.estimate, clip40.rendered.frames, config=config, gt=clip40.gt)
    parts = plan_parts(40, 15, 4)
    assert len(parts) == len(runs) == 4 and parted.poses.num_frames == 40 and parted.flow.num_pairs == 39
    joined = join_joints(parts, [r.poses.joints3d for _, _, r in runs], 4)
    np.testing.assert_allclose(parted.poses.joints3d, one_body(joined, clip40.estimate.skel.parents), atol=1e-6)
    assert pose_motion_stats(parted.poses.joints3d, "h36m17")["bone_std"] < 1e-3  # one skeleton, mm
    video_scale = person_scale(clip40.estimate, (64, 64), config)
    first_init = runs[0][0]
    np.testing.assert_array_equal(first_init.joints3d, clip40.estimate.joints3d[:parts[0].stop])
    for i, (part, (init, scale, result)) in enumerate(zip(parts, runs)):
        assert scale == video_scale  # the pixel terms weighed for the whole video's person, not the part's
        if i > 0:  # the frames shared with the previous part: its refined joints, held at confidence 1
            previous, shared = parts[i - 1], parts[i - 1].stop - part.start
            np.testing.assert_array_equal(init.joints3d[:shared],
                                          runs[i - 1][2].poses.joints3d[part.start - previous.start:])
            assert (init.conf[:shared] == 1).all()
            np.testing.assert_array_equal(init.joints3d[shared:], clip40.estimate.joints3d[part.start + shared:part.stop])
        inner = slice(part.own_start + 2, part.own_stop - 2)  # its own frames outside the overlaps: the part's
        np.testing.assert_allclose(joined[inner], result.poses.joints3d[inner.start - part.start:inner.stop - part.start],
                                   atol=1e-6)
        pairs = slice(part.own_start, min(part.own_stop, 39))
        np.testing.assert_array_equal(parted.flow.flow[pairs],
                                      result.flow.flow[pairs.start - part.start:pairs.stop - part.start])
    # The history is the joined video's: its pose figures are of the joined joints, its EPE of the joined flow.
    last = parted.history[-1].metrics
    for name, value in pose_metrics(parted.poses, clip40.gt).items():
        assert last[name] == pytest.approx(value, rel=1e-5), name
    assert last["accel"] == pytest.approx(pose_motion_stats(parted.poses.joints3d, "h36m17")["accel"], rel=1e-5)
    for name, value in flow_metrics(parted.flow, clip40.gt).items():
        assert last[name] == pytest.approx(value, rel=1e-9), name
    assert np.isfinite(last["flow_residual"]) and np.isfinite(last["flow_noise"])
    assert parted.history[0].metrics["mpjpe"] == pytest.approx(pose_metrics(clip40.estimate, clip40.gt)["mpjpe"])
    assert parted.swapped is not None and parted.swapped.shape == (40, 2)
    assert parted.history[0].metrics["swaps_repaired"] == parted.swapped.sum()
    assert set(parted.history[1].seconds) >= {"pose"} and parted.history[1].losses


def test_a_part_starts_a_joint_where_the_video_would_and_ties_only_joints_of_no_frame(clip40) -> None:
    X = clip40.estimate.joints3d.copy()
    X[:, 3] = np.nan  # observed in no frame: stays NaN, tied in every part as in the whole video
    X[10:30, 6] = np.nan  # unobserved through a whole part: filled from the frames around it
    conf = clip40.estimate.confidence().copy()
    conf[10:30, 6] = 0.0
    poses = replace(clip40.estimate, joints3d=X, conf=conf, joints2d=None)
    filled = video_filled(poses)
    assert np.isnan(filled.joints3d[:, 3]).all()
    np.testing.assert_allclose(filled.joints3d[20, 6], X[9, 6] + (X[30, 6] - X[9, 6]) * 11 / 21, rtol=1e-5)
    assert (filled.conf[10:30, 6] == 0).all()  # a start, never a target
    held = anchored(filled.slice(15, 30), np.ones((4, 17, 3)), unseen_joints(poses))
    assert (held.joints3d[:4, 6] == 1).all() and np.isnan(held.joints3d[:4, 3]).all()
    assert (held.conf[:4, 6] == 1).all() and (held.conf[4:, 6] == 0).all()


def test_every_part_starts_from_the_same_network_weights(clip40, monkeypatch) -> None:
    network = torch.nn.Linear(2, 2)
    seen = []
    real = parts_module.run_refinement

    def fine_tuned(init, frames, models, config, **options):
        seen.append(models[0].weight.detach().clone())
        with torch.no_grad():
            models[0].weight += 1.0  # what a part's fine-tuning leaves behind
        return real(init, frames, [DISFlow()], config, **options)

    monkeypatch.setattr(parts_module, "run_refinement", fine_tuned)
    refine_in_parts(clip40.estimate, clip40.rendered.frames, [network], replace(CONFIG, part_frames=15, part_overlap=4))
    assert len(seen) == 4 and all(torch.equal(w, seen[0]) for w in seen)


def test_one_body_gives_every_bone_its_median_length_along_its_own_direction_from_the_root() -> None:
    rng = np.random.default_rng(0)
    parents = (-1, 0, 1, 0)
    X = rng.normal(size=(9, 4, 3))
    X[4:, 2] = X[4:, 1] + 1.1 * (X[4:, 2] - X[4:, 1])  # the second part's bone 1-2 longer than the first's
    Y = one_body(X, parents)
    np.testing.assert_array_equal(Y[:, 0], X[:, 0])  # the root stays
    for j, p in enumerate(parents[1:], start=1):
        length = np.linalg.norm(Y[:, j] - Y[:, p], axis=-1)
        np.testing.assert_allclose(length, np.median(np.linalg.norm(X[:, j] - X[:, p], axis=-1)))
        bone_y, bone_x = Y[:, j] - Y[:, p], X[:, j] - X[:, p]
        np.testing.assert_allclose(bone_y / length[:, None], bone_x / np.linalg.norm(bone_x, axis=-1, keepdims=True),
                                   atol=1e-12)  # along its own direction
    rigid = np.array(one_body(X, parents))
    np.testing.assert_allclose(one_body(rigid, parents), rigid, atol=1e-12)  # one body already: unchanged


def test_one_body_keeps_the_joined_offset_where_a_bone_has_no_direction_or_no_length() -> None:
    parents = (-1, 0, 1, 0)
    X = np.stack([np.zeros((5, 3)), np.tile([0.0, 0.5, 0.0], (5, 1)), np.tile([0.0, 1.0, 0.0], (5, 1)),
                  np.tile([0.2, 0.0, 0.0], (5, 1))], axis=1)
    X[0, 1] *= 2.0  # bone 0-1 one metre in frame 0, half a metre in the three other frames that have it: median half
    X[3, 2] = X[3, 1]  # joint 2 on its parent in frame 3: no direction
    X[:, 3] = np.nan  # joint 3 missing in every frame: no length
    X[4, 0] = np.nan  # the root missing in frame 4
    Y = one_body(X, parents)
    np.testing.assert_allclose(Y[:4, 1], np.tile([0.0, 0.5, 0.0], (4, 1)))
    np.testing.assert_allclose(Y[3, 2], Y[3, 1])  # the joined offset, none
    assert np.isnan(Y[:, 3]).all() and np.isnan(Y[4]).all()  # missing stays missing; so do a missing root's children
    with pytest.raises(InputError, match=r"each joint's parent must come before it, got parents \(-1, 2, 0\)"):
        one_body(X[:, :3], (-1, 2, 0))


def test_parts_that_keep_no_flow_never_join_it_and_refine_the_same(clip40, monkeypatch) -> None:
    config = replace(CONFIG, part_frames=15, part_overlap=4)
    kept = refine_in_parts(clip40.estimate, clip40.rendered.frames, [DISFlow()], config, gt=clip40.gt)

    def refused(like, num_pairs):
        raise AssertionError("the joined flow was made")

    monkeypatch.setattr(parts_module, "_allocated", refused)
    dropped = refine_in_parts(clip40.estimate, clip40.rendered.frames, [DISFlow()], config, gt=clip40.gt,
                              keep_flow=False)
    assert dropped.flow is None and kept.flow is not None
    np.testing.assert_array_equal(dropped.poses.joints3d, kept.poses.joints3d)
    assert [r.metrics for r in dropped.history] == [r.metrics for r in kept.history]  # EPE too: read in each part
    whole = refine_in_parts(clip40.estimate, clip40.rendered.frames, [DISFlow()], CONFIG, keep_flow=False)
    assert whole.flow is None and whole.poses.num_frames == 40


def test_a_part_s_flow_is_let_go_before_the_next_part_is_refined(clip40, monkeypatch) -> None:
    import gc
    import weakref

    real, flows, alive = parts_module.run_refinement, [], []

    def recorded(init, frames, models, config, **options):
        gc.collect()
        alive.append([ref() is not None for ref in flows])  # the earlier parts' flow fields, at this part's start
        result = real(init, frames, models, config, **options)
        flows.append(weakref.ref(result.flow))
        return result

    monkeypatch.setattr(parts_module, "run_refinement", recorded)
    config = replace(CONFIG, part_frames=15, part_overlap=4)
    for keep_flow in (True, False):
        flows.clear()
        alive.clear()
        refine_in_parts(clip40.estimate, clip40.rendered.frames, [DISFlow()], config, keep_flow=keep_flow)
        assert alive == [[], [False], [False, False], [False, False, False]]
