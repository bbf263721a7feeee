"""Tests of flowpose.body.loop: the SMPL flow-pose loop on a rendered clip of the stand-in model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import flowpose.body.loop as body_loop
from flowpose.body.loop import refine_smpl_frames, smpl_flow_weighted, smpl_stage_config
from flowpose.body.model import load_body_model
from flowpose.body.refine import SmplRefineConfig, refine_smpl
from flowpose.body.render import render_mesh_clip
from flowpose.body.standin import write_standin
from flowpose.body.synth import body_of, errors_mm, perturb, smpl_motion
from flowpose.config import RefineConfig, get_preset
from flowpose.errors import InputError
from flowpose.refinement.finetune import FinetuneConfig
from flowpose.refinement.loop import person_scale
from flowpose.refinement.parts import plan_parts
from flowpose.refinement.pose_config import SMPL_MAX_STEPS


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory):
    model = load_body_model(write_standin(tmp_path_factory.mktemp("body") / "standin.pkl", rings_per_bone=6,
                                          ring_size=12))
    gt = smpl_motion(16)
    clip = render_mesh_clip(body_of(gt, model).vertices.numpy(), model.faces, model.smpl.v_template.numpy(), gt.K,
                            (256, 256))
    return model, gt, perturb(gt), clip


def test_the_default_flow_refines_the_estimate(scene) -> None:
    model, gt, est, clip = scene
    loop = refine_smpl_frames(est, model, clip.frames, get_preset("fast"), cycles=2, keep_flows=True)
    assert len(loop.history) == 2 and len(loop.flows) == 3
    assert loop.history[0]["steps"] > 0 and loop.history[1]["steps"] == 0  # DIS: the same flow, the solve reused
    assert all(h["flow_noise"] > 0 for h in loop.history)
    assert errors_mm(loop.result.smpl, gt, model)[0] < 0.9 * errors_mm(est, gt, model)[0]
    zero = refine_smpl_frames(est, model, clip.frames, get_preset("fast"), cycles=0)
    assert zero.result is zero.estimate and not zero.history


def test_the_mesh_sketch_is_what_the_network_is_fine_tuned_toward(scene, monkeypatch: pytest.MonkeyPatch) -> None:
    model, gt, est, clip = scene
    fast = get_preset("fast")
    config = replace(fast, flow=replace(fast.flow, names=("raft-small",), weights=(None,), work_size=64, iters=2,
                                        warm_iters=1),
                     finetune=FinetuneConfig(lr=1e-4, epochs=1, iters=2, batch_size=4, warm_start=True))
    drawn = []
    real = body_loop.sketch_mesh_motion

    def spy(vertices, faces, K, parts, grid, sketch_config):
        drawn.append(vertices)
        return real(vertices, faces, K, parts, grid, sketch_config)

    monkeypatch.setattr(body_loop, "sketch_mesh_motion", spy)
    loop = refine_smpl_frames(est, model, clip.frames[:16], config, cycles=2, sketch="mesh", keep_flows=True)
    assert len(drawn) == 2  # once a cycle, from the fit of the cycle before
    np.testing.assert_allclose(drawn[0], loop.estimate.vertices)
    assert not np.allclose(drawn[1], drawn[0])
    assert not np.allclose(loop.flows[1].flow, loop.flows[0].flow)  # the network moved
    refine_smpl_frames(est, model, clip.frames, config, cycles=1, sketch="bones")
    assert len(drawn) == 2  # the bone sketch does not draw the mesh


def test_refusals(scene) -> None:
    model, gt, est, clip = scene
    with pytest.raises(InputError, match=r"sketch must be one of \['bones', 'mesh'\], got 'skin'"):
        refine_smpl_frames(est, model, clip.frames, get_preset("fast"), sketch="skin")
    with pytest.raises(InputError, match="16 frames of parameters, but 15 video frames"):
        refine_smpl_frames(est, model, clip.frames[:15], get_preset("fast"))


def test_the_mesh_term_scales_with_the_person_as_the_joint_terms_do(scene) -> None:
    model, gt, est, clip = scene
    poses = refine_smpl(est, model, None, solve=False).poses
    config = RefineConfig()
    s = person_scale(poses, (256, 256), config)
    assert s > 1.5  # the stand-in fills the 256x256 frame: about twice the reference box
    scaled = smpl_stage_config(poses, (256, 256), config, w_mesh_flow=4.0)
    plain = smpl_stage_config(poses, (256, 256), replace(config, reference_box_px=None), w_mesh_flow=4.0)
    assert plain.w_mesh_flow == 4.0 and plain.pose == replace(config.pose, max_steps=SMPL_MAX_STEPS)
    assert config.pose.max_steps > SMPL_MAX_STEPS  # the SMPL stage's own cap (its steps cost more)
    longer = smpl_stage_config(poses, (256, 256), replace(config, smpl_max_steps=700), w_mesh_flow=4.0)
    assert longer.pose.max_steps == 700 and SmplRefineConfig().pose.max_steps == SMPL_MAX_STEPS
    np.testing.assert_allclose(scaled.w_mesh_flow, 4.0 / s**2)
    np.testing.assert_allclose(scaled.mesh_flow_delta_px, plain.mesh_flow_delta_px * s)
    np.testing.assert_allclose(scaled.visibility_cell_px, plain.visibility_cell_px * s)
    # the ratio of the mesh term to L_opt is the one it was specified with
    np.testing.assert_allclose(scaled.w_mesh_flow / scaled.pose.w_flow, plain.w_mesh_flow / plain.pose.w_flow)


def test_a_noisy_flow_lowers_the_mesh_term_with_l_opt() -> None:
    config = SmplRefineConfig()
    assert smpl_flow_weighted(config, 0.1, 2.0) == config  # a flow better than the configured sigma: unchanged
    assert smpl_flow_weighted(config, float("nan"), 2.0) == config and smpl_flow_weighted(config, 5.0, None) == config
    noisy = smpl_flow_weighted(config, 3.0, 2.0)  # sigma 6 px
    np.testing.assert_allclose(noisy.pose.w_flow, 1 / 36)
    np.testing.assert_allclose(noisy.w_mesh_flow / noisy.pose.w_flow, config.w_mesh_flow / config.pose.w_flow)


def test_a_sequence_too_long_for_the_memory_is_told_before_the_flow(scene, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowpose.body.memory import smpl_refine_memory
    from flowpose.errors import MemoryNoteWarning

    model, _, est, clip = scene
    config = get_preset("fast")
    need = smpl_refine_memory(refine_smpl(est, model, None, solve=False).poses, (256, 256), config, [], model.num_vertices)
    monkeypatch.setattr(body_loop, "available_memory_bytes", lambda: need.bytes(10) + 1)  # 10 of its 16 frames fit

    def no_flow(*args, **kwargs):
        raise AssertionError("the flow was computed before the note")

    monkeypatch.setattr(body_loop.FlowStage, "initial", no_flow)
    with pytest.warns(MemoryNoteWarning, match=r"^frames: refining its 16 frames takes about .* refine it in segments "
                                               r"of up to about 10 frames \(--start S --frames N; in Python, "
                                               r"VideoReader\.segment with SmplSequence\.frames\)$"):
        with pytest.raises(AssertionError, match="before the note"):
            refine_smpl_frames(est, model, clip.frames, config, cycles=1)


def test_a_long_sequence_is_refined_in_parts_and_joined(scene, monkeypatch: pytest.MonkeyPatch) -> None:
    model, gt, est, clip = scene
    config = replace(get_preset("fast"), part_frames=8, part_overlap=2)
    runs = []
    real = body_loop._Run.cycles

    def spy(self, seq, estimate, frames, models, times):
        out = real(self, seq, estimate, frames, models, times)
        runs.append((seq, len(frames), self.scale, out[0].smpl))
        return out

    monkeypatch.setattr(body_loop._Run, "cycles", spy)
    loop = refine_smpl_frames(est, model, clip.frames, config, cycles=2)
    parts = plan_parts(16, 8, 2)
    assert loop.part_frames == 8 and len(parts) == 3
    assert [(s.num_frames, n) for s, n, _, _ in runs] == [(p.stop - p.start,) * 2 for p in parts]
    whole_scale = person_scale(loop.estimate.poses, (256, 256), config)
    assert all(scale == whole_scale for _, _, scale, _ in runs)  # the person's size over the whole video
    # Each part after the first starts, where it overlaps the one before, from that part's refinement.
    for (seq, _, _, _), (_, _, _, before), part, previous in zip(runs[1:], runs, parts[1:], parts):
        shared = previous.stop - part.start
        np.testing.assert_allclose(seq.transl[:shared], before.transl[part.start - previous.start:])
        np.testing.assert_allclose(seq.betas, before.betas)
    result = loop.result
    assert result.smpl.num_frames == 16 and result.poses.num_frames == 16 and result.vertices.shape[0] == 16
    assert len(loop.history) == 2 and result.steps == sum(h["steps"] for h in loop.history) > 0
    assert errors_mm(result.smpl, gt, model)[0] < 0.9 * errors_mm(est, gt, model)[0]
    with pytest.raises(InputError, match="keep_flows keeps the flow of a video refined whole; this one is refined in "
                                         "parts of 8 frames"):
        refine_smpl_frames(est, model, clip.frames, config, cycles=1, keep_flows=True)
    whole = refine_smpl_frames(est, model, clip.frames, replace(config, part_frames=16), cycles=1)
    assert whole.part_frames is None and whole.result.steps == whole.history[0]["steps"]  # no longer than a part: whole


def test_auto_parts_are_the_longest_the_memory_holds(scene, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowpose.body.memory import smpl_refine_memory

    model, _, est, clip = scene
    config = replace(get_preset("fast"), part_frames="auto", part_overlap=2)
    need = smpl_refine_memory(refine_smpl(est, model, None, solve=False).poses, (256, 256), config, [],
                              model.num_vertices)
    monkeypatch.setattr(body_loop, "available_memory_bytes", lambda: need.bytes(16, 10) + 1)
    loop = refine_smpl_frames(est, model, clip.frames, config, cycles=1)
    assert loop.part_frames == 10 == need.part_frames_within(16, need.bytes(16, 10) + 1)
    monkeypatch.setattr(body_loop, "available_memory_bytes", lambda: need.bytes(16) + 1)
    assert refine_smpl_frames(est, model, clip.frames, config, cycles=1).part_frames is None  # it fits whole
