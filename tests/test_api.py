"""Tests of the public entry point `flowpose.refine`: input handling and an end-to-end smoke run."""

from __future__ import annotations

import warnings
from dataclasses import replace

import cv2
import numpy as np
import pytest

import flowpose
from flowpose.config import FlowConfig, RefineConfig
from flowpose.errors import InputError, InputNoteWarning
from flowpose.io.poses import save_poses
from flowpose.io.video import open_video
from flowpose.io.video_writer import write_video
from flowpose.lens import distort_pixels, undistort_pixels
from flowpose.refinement.finetune import FinetuneConfig
from flowpose.refinement.pose_config import PoseStageConfig
from tests.io.test_video import VFR_TIMES, rotated_mp4, variable_rate_mp4

DIS = RefineConfig(cycles=1, flow=FlowConfig(names=("dis",), weights=(None,), work_size=64), pose=PoseStageConfig(max_steps=30))


def test_refine_is_the_function_not_the_subpackage():
    import flowpose.refinement.loop  # noqa: F401 - importing the subpackage must not shadow the API

    assert callable(flowpose.refine)


def test_smoke_dis(tiny_clip):
    result = flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=DIS, gt=tiny_clip.gt)
    assert [r.cycle for r in result.history] == [0, 1]
    assert result.poses.joints3d.shape == (8, 17, 3)
    assert result.flow.num_pairs == 7
    for key in ("mpjpe", "pa_mpjpe", "accel_error", "epe_all", "epe_human", "epe_sparse", "accel", "bone_std"):
        assert np.isfinite(result.history[1].metrics[key]), key
    # The pose stage smooths: acceleration of the refined poses drops.
    assert result.history[1].metrics["accel"] < result.history[0].metrics["accel"]


def test_ground_truth_of_the_joints_alone_and_of_another_skeleton(tiny_clip):
    from flowpose.io.groundtruth import GroundTruth
    from flowpose.joint_map import from_h36m17
    from flowpose.metrics import mpjpe

    gt = GroundTruth(joints3d=from_h36m17(tiny_clip.gt.joints3d, "smpl24"), skeleton="smpl24")  # as SMPL-24
    result = flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=DIS, gt=gt)
    metrics = result.history[1].metrics
    assert "epe_all" not in metrics and np.isfinite(metrics["mpjpe"])
    assert metrics["mpjpe"] == pytest.approx(float(mpjpe(result.poses.joints3d, gt.as_h36m17().joints3d)))
    with pytest.warns(InputNoteWarning, match=r"^gt: its torso is 9[0-9][0-9] times the poses' \(the median over 8 frames"):
        flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=DIS, cycles=0,
                        gt=GroundTruth(joints3d=tiny_clip.gt.joints3d * 1000))


def test_smoke_random_raft_small_fine_tunes(tiny_clip):
    """STYLE #13: 8 frames, 1 cycle, random-init RAFT-small, on the CPU."""
    from flowpose.flow.registry import FLOW_BACKENDS

    net = FLOW_BACKENDS["raft-small"].build().eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    config = replace(
        DIS,
        flow=FlowConfig(names=("raft-small",), weights=("random",), work_size=64, iters=2),
        finetune=FinetuneConfig(epochs=1, iters=2, batch_size=4),
    )
    result = flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=config, flow_models=[net],
                             keep_flow_state=True)
    assert set(result.history[1].seconds) >= {"sketch", "finetune", "flow_inference", "pose"}
    changed = [k for k, v in net.state_dict().items() if v.dtype.is_floating_point and not torch_equal(v, before[k])]
    assert changed, "fine-tuning must update the network"
    assert result.flow_state is not None and len(result.flow_state) == 1


def torch_equal(a, b) -> bool:
    return bool((a == b).all())


def test_deterministic(tiny_clip):
    a = flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=DIS, seed=5)
    b = flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=DIS, seed=5)
    np.testing.assert_array_equal(a.poses.joints3d, b.poses.joints3d)


def test_files_in(tiny_clip, tmp_path):
    save_poses(tiny_clip.estimate, tmp_path / "v.poses.npz")
    write_video(tmp_path / "v.mp4", tiny_clip.rendered.frames, 30.0)
    result = flowpose.refine(tmp_path / "v.poses.npz", tmp_path / "v.mp4", config=DIS, cycles=0)
    assert len(result.history) == 1


def test_a_video_gives_the_poses_its_frame_rate(tiny_clip, tmp_path):
    write_video(tmp_path / "v.mp4", tiny_clip.rendered.frames, 15.0)
    seq = replace(tiny_clip.estimate, fps=30.0)
    with pytest.warns(UserWarning, match=r"poses: 30 fps .* plays at 15: the video's rate is used"):
        from_file = flowpose.refine(seq, tmp_path / "v.mp4", config=DIS)
    assert from_file.poses.fps == pytest.approx(15.0)
    frames = flowpose.refine(replace(seq, fps=15.0), _decoded(tmp_path / "v.mp4"), config=DIS)
    np.testing.assert_array_equal(from_file.poses.joints3d, frames.poses.joints3d)  # as if the poses said 15
    assert flowpose.refine(seq, _decoded(tmp_path / "v.mp4"), config=DIS).poses.fps == 30.0  # no rate known


def test_a_variable_frame_rate_gives_the_poses_their_times(tiny_clip, tmp_path):
    variable_rate_mp4(tmp_path / "v.mp4", tiny_clip.rendered.frames)  # 8 frames: 4 at 30 fps, then 4 at 15
    with open_video(tmp_path / "v.mp4") as video:
        seq = replace(tiny_clip.estimate, fps=video.fps)  # the container's mean rate
    with pytest.warns(UserWarning, match=r"v\.mp4: a variable frame rate: 33\.3 to 66\.7 ms between frames"):
        from_file = flowpose.refine(seq, tmp_path / "v.mp4", config=DIS)
    np.testing.assert_allclose(from_file.poses.times, VFR_TIMES, atol=1e-3)
    frames = flowpose.refine(replace(seq, times=from_file.poses.times), _decoded(tmp_path / "v.mp4"), config=DIS)
    np.testing.assert_array_equal(from_file.poses.joints3d, frames.poses.joints3d)  # as if the poses had them
    evenly = flowpose.refine(seq, _decoded(tmp_path / "v.mp4"), config=DIS)
    assert evenly.poses.times is None and not np.array_equal(evenly.poses.joints3d, frames.poses.joints3d)


def test_a_rotated_video_is_warned_of(tiny_clip, tmp_path):
    rotated_mp4(tmp_path / "v.mp4", tiny_clip.rendered.frames, 180)
    with pytest.warns(UserWarning, match=r"v\.mp4: stored rotated by 180° \(its rotation metadata\); flowpose reads"):
        flowpose.refine(replace(tiny_clip.estimate, fps=30.0), tmp_path / "v.mp4", config=DIS, cycles=0)


def test_a_cut_video_is_warned_of(tiny_clip, tmp_path):
    from tests.io.test_video import cut_avi

    cut_avi(tmp_path / "cut.avi", np.concatenate([tiny_clip.rendered.frames] * 2), 0.5)  # 16 frames listed
    with open_video(tmp_path / "cut.avi") as video:
        n = len(video)
    assert 2 <= n < 8
    est = replace(tiny_clip.estimate, fps=10.0)
    with pytest.raises(InputError, match=rf"has {n} frames but the poses have 8; they must match frame for frame; its "
                                         r"container lists 16 frames: a cut or damaged file\?$"):
        flowpose.refine(est, tmp_path / "cut.avi", config=DIS, cycles=0)
    with pytest.warns(InputNoteWarning, match=rf"cut\.avi: its container lists 16 frames, and {n} decode \(a cut or "
                                              rf"damaged file\?\); flowpose reads those {n}$"):
        flowpose.refine(est.slice(0, n), tmp_path / "cut.avi", config=DIS, cycles=0)


def _decoded(path):
    """The frames of a video file as an array (no frame rate comes with them)."""
    with open_video(path) as video:
        return video.read()


def test_frame_count_mismatch_names_the_video(tiny_clip, tmp_path):
    write_video(tmp_path / "v.mp4", tiny_clip.rendered.frames[:6], 30.0)
    with pytest.raises(InputError, match=r"v\.mp4: the video has 6 frames but the poses have 8"):
        flowpose.refine(tiny_clip.estimate, tmp_path / "v.mp4", config=DIS)
    with open_video(tmp_path / "v.mp4") as video, pytest.raises(
            InputError, match=r"v\.mp4 \(frames 1 to 4\): the video has 4 frames but the poses have 8; they must "
                              r"match frame for frame \(frames of part of the video: pass the poses of those frames, "
                              r"poses\.slice\(start, start \+ 4\)\)$"):
        flowpose.refine(tiny_clip.estimate, video.segment(1, 5), config=DIS)


def test_poses_of_the_whole_video_for_a_segment_name_their_slice(tiny_clip, tmp_path):
    write_video(tmp_path / "v.mp4", tiny_clip.rendered.frames, 30.0)
    with open_video(tmp_path / "v.mp4") as video:
        part = video.segment(2, 6)
        with pytest.raises(InputError, match=r"\(frames 2 to 5\): the video has 4 frames but the poses have 8; they "
                                             r"must match frame for frame \(the poses of the whole video: pass "
                                             r"poses\.slice\(2, 6\)\)$"):
            flowpose.refine(tiny_clip.estimate, part, config=DIS, cycles=0)
        result = flowpose.refine(tiny_clip.estimate.slice(2, 6), part, config=DIS, cycles=0)  # as the hint says
    assert result.poses.num_frames == 4
    with pytest.raises(InputError, match=r"^frames: the video has 9 frames but the poses have 8; they must match frame "
                                         r"for frame$"):  # fewer poses than frames: no slice to name
        flowpose.refine(tiny_clip.estimate, np.concatenate([tiny_clip.rendered.frames] * 2)[:9], config=DIS)


def test_bad_frames_array(tiny_clip):
    with pytest.raises(InputError, match="uint8"):
        flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames.astype(np.float32), config=DIS)


def test_list_of_frames_is_accepted(tiny_clip):
    frames = list(tiny_clip.rendered.frames)
    result = flowpose.refine(tiny_clip.estimate, frames, config=DIS)
    assert result.poses.num_frames == len(frames)


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ([np.zeros((64, 64, 3), np.uint8), np.zeros((32, 32, 3), np.uint8)], "one size"),
        (np.zeros((8, 0, 0, 3), np.uint8), "at least 16x16"),
        ([], "at least 16x16|shape"),
        (42, "got int"),
        (np.zeros((8, 64, 64, 3), np.float64), "uint8"),
    ],
)
def test_bad_frames_are_flowpose_errors(tiny_clip, frames, message):
    with pytest.raises(InputError, match=message):
        flowpose.refine(tiny_clip.estimate, frames, config=DIS)


@pytest.mark.parametrize(("kwargs", "message"), [({"device": "tpu"}, "'tpu'"), ({"seed": 2**70}, "seed")])
def test_bad_device_and_seed_are_flowpose_errors(tiny_clip, kwargs, message):
    with pytest.raises(InputError, match=message):
        flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=DIS, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"config": {"cycles": 1}}, "config must be a flowpose.config.RefineConfig, got dict$"),
        ({"config": "quality"}, r"got str \(a preset by name: flowpose\.config\.get_preset\('quality'\)\)$"),
        ({"cycles": 1.5}, r"cycles must be an integer >= 0, got 1\.5"),
        ({"gt": 3}, "gt must be a GroundTruth or a ground-truth file"),
    ],
)
def test_arguments_of_the_wrong_type_are_flowpose_errors(tiny_clip, kwargs, message):
    with pytest.raises(InputError, match=message):
        flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, **({"config": DIS} | kwargs))


@pytest.mark.parametrize("poses", ["joints", [], 7])
def test_poses_that_are_not_poses_say_what_is_expected(tiny_clip, poses):
    given = tiny_clip.estimate.joints3d if poses == "joints" else poses
    with pytest.raises(InputError, match=r"poses must be a PoseSequence, a pose file, or a non-empty list of them"):
        flowpose.refine(given, tiny_clip.rendered.frames, config=DIS)


def test_single_frame_is_refused(tiny_clip):
    one = replace(tiny_clip.estimate, joints3d=tiny_clip.estimate.joints3d[:1], joints2d=tiny_clip.estimate.joints2d[:1],
                  conf=tiny_clip.estimate.conf[:1])
    with pytest.raises(InputError, match="at least 2 frames"):
        flowpose.refine(one, tiny_clip.rendered.frames[:1], config=DIS)


def test_two_frames_work(tiny_clip):
    est = tiny_clip.estimate
    two = replace(est, joints3d=est.joints3d[:2], joints2d=est.joints2d[:2], conf=est.conf[:2])
    result = flowpose.refine(two, tiny_clip.rendered.frames[:2], config=DIS)
    assert np.isfinite(result.poses.joints3d).all()


def test_nan_and_zero_confidence_joints(tiny_clip):
    est = tiny_clip.estimate
    j3 = est.joints3d.copy()
    j3[2:5, 13] = np.nan  # a wrist lost for three frames
    conf = est.conf.copy()
    conf[:, 16] = 0.0  # the other wrist never detected
    result = flowpose.refine(replace(est, joints3d=j3, conf=conf), tiny_clip.rendered.frames, config=DIS)
    assert np.isfinite(result.poses.joints3d).all()


def test_ensemble_of_pose_sources(tiny_clip):
    est = tiny_clip.estimate
    shifted = est.with_joints3d(est.joints3d + np.float32(0.01))
    result = flowpose.refine([est, shifted], tiny_clip.rendered.frames, config=DIS, cycles=0)
    assert result.poses.num_frames == 8


def test_other_skeleton_is_converted(tiny_clip):
    from flowpose.joint_map import from_h36m17

    est = tiny_clip.estimate
    lsp = replace(est, joints3d=from_h36m17(est.joints3d, "lsp14"), joints2d=from_h36m17(est.joints2d, "lsp14"),
                  conf=from_h36m17(est.conf[..., None], "lsp14")[..., 0], skeleton="lsp14")
    result = flowpose.refine(lsp, tiny_clip.rendered.frames, config=DIS)
    assert result.poses.skeleton == "h36m17" and result.poses.num_joints == 17


def test_untrainable_flow_reuses_the_pose_stage(tiny_clip):
    """With DIS the flow never changes, so cycles 2..N repeat cycle 1 exactly, without recomputing it."""
    result = flowpose.refine(tiny_clip.estimate, tiny_clip.rendered.frames, config=replace(DIS, cycles=3))
    m = [r.metrics for r in result.history]
    assert m[1] == m[2] == m[3]
    assert result.history[1].seconds["pose"] > 0 and result.history[3].seconds["pose"] == 0.0


def test_a_frame_pair_with_no_motion(tiny_clip):
    """A frozen video frame (pair 3 -> 4 identical) must not break flow, confidence or the pose stage."""
    frames = tiny_clip.rendered.frames.copy()
    frames[4] = frames[3]
    result = flowpose.refine(tiny_clip.estimate, frames, config=DIS)
    assert np.isfinite(result.poses.joints3d).all()
    assert np.abs(result.flow.flow[3]).max() < 0.5  # DIS sees (almost) no motion in the frozen pair


def test_person_partly_out_of_frame(tiny_clip):
    """Shift the person so that one side leaves the image: crops overhang the frame and still work."""
    est = tiny_clip.estimate
    shift = np.array([0.9, 0.0, 0.0], np.float32)  # about 20 px at this depth, to the right
    moved = replace(est, joints3d=est.joints3d + shift, joints2d=est.joints2d + np.float32([20.0, 0.0]))
    frames = np.zeros_like(tiny_clip.rendered.frames)
    frames[:, :, 20:] = tiny_clip.rendered.frames[:, :, :-20]
    assert (moved.joints2d[..., 0] > 63).any()  # some keypoints are outside the 64 px image
    result = flowpose.refine(moved, frames, config=DIS)
    assert np.isfinite(result.poses.joints3d).all()
    assert result.flow.origin[:, 0].max() + result.flow.scale.max() * 63 > 63  # the crop overhangs the frame


def test_nothing_observed_is_a_clear_error(tiny_clip):
    est = tiny_clip.estimate
    blind = replace(est, joints3d=np.full_like(est.joints3d, np.nan), joints2d=None, conf=None)
    with pytest.raises(InputError, match="every joint is NaN in every frame"):
        flowpose.refine(blind, tiny_clip.rendered.frames, config=DIS)


def test_frames_with_nothing_observed_are_warned_of(tiny_clip):
    est = tiny_clip.estimate
    conf = est.confidence().copy()
    conf[5:] = 0.0  # the person is lost after frame 4: a confidence of 0 observes nothing
    with pytest.warns(InputNoteWarning, match=r"poses: 3 of its 8 frames have no observed joint \(5-7\)"):
        result = flowpose.refine(replace(est, conf=conf), tiny_clip.rendered.frames, config=DIS, cycles=0)
    assert (result.poses.confidence()[5:] == 0).all()  # as the warning says: made up, and marked so


def test_a_joint_in_no_frame_is_told_once_as_the_command_line_tells_it(tiny_clip):
    joints3d = tiny_clip.estimate.joints3d.copy()
    joints3d[:, 10] = np.nan  # MediaPipe's, COCO's and SMPL's head top
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = flowpose.refine(replace(tiny_clip.estimate, joints3d=joints3d, joints2d=None),
                                 tiny_clip.rendered.frames, config=DIS, cycles=1)
    told = [str(w.message) for w in caught if issubclass(w.category, InputNoteWarning)]
    assert [t for t in told if "head (10)" in t] == [
        "poses: head (10) is in none of its frames, so it is kept on its nearest observed joint, with conf 0: "
        "head (10) on neck (9)"], told
    assert [w.filename for w in caught if "head (10)" in str(w.message)] == [__file__]  # the caller's line
    np.testing.assert_allclose(result.poses.joints3d[:, 10], result.poses.joints3d[:, 9])


def test_poses_in_a_y_up_camera_frame_are_warned_of(tiny_clip):
    turned = replace(tiny_clip.estimate, joints3d=tiny_clip.estimate.joints3d * [1, -1, 1])
    with pytest.warns(InputNoteWarning, match=r"poses: its joints3d have the head below the feet in 8 of 8 frames"):
        flowpose.refine(turned, tiny_clip.rendered.frames, config=DIS, cycles=0)


def test_a_camera_normalised_by_the_image_size_is_warned_of(tiny_clip):
    normalised = replace(tiny_clip.estimate, K=np.diag([1 / 64, 1 / 64, 1.0]) @ tiny_clip.estimate.K)
    with pytest.warns(InputNoteWarning) as told:
        flowpose.refine(normalised, tiny_clip.rendered.frames, config=DIS, cycles=0)
    lines = [str(w.message) for w in told]
    assert lines[0].startswith("poses: its camera K has its principal point at (0.49, 0.49): normalised by the image's")
    assert lines[1].startswith("poses: its joints2d lie far from the projection of its joints3d")  # pixels, K not


def test_a_camera_with_lens_distortion_is_refined_as_its_pinhole_camera(tiny_clip):
    # The clip recorded through a strong lens: each recorded pixel shows what the pinhole camera sees where the
    # lens model sends it, and the estimate's 2D keypoints move with it (0.3-1.4 px here; 1 px is about 5 cm).
    est, frames = tiny_clip.estimate, tiny_clip.rendered.frames
    dist = np.array([-0.4, 0.0, 0.0, 0.0, 0.0])
    H, W = frames.shape[1:3]
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    looks = undistort_pixels(np.stack([xs, ys], -1), est.K, dist).astype(np.float32)
    recorded = np.stack([cv2.remap(f, looks[..., 0], looks[..., 1], cv2.INTER_LINEAR) for f in frames])
    joints2d = distort_pixels(est.joints2d, est.K, dist).astype(np.float32)
    flow_off = replace(DIS, pose=replace(DIS.pose, w_flow=0.0))

    def apart_mm(config: RefineConfig) -> tuple[float, float]:
        """How far the refinement of the recorded clip lies from the pinhole clip's, the lens modelled and ignored."""
        pinhole = flowpose.refine(est, frames, config=config).poses
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InputNoteWarning)
            modelled = flowpose.refine(replace(est, joints2d=joints2d, dist=dist), recorded, config=config).poses
            ignored = flowpose.refine(replace(est, joints2d=joints2d), recorded, config=config).poses
        np.testing.assert_array_equal(modelled.dist, dist)  # the refined 2D are pixels of the recorded video again
        np.testing.assert_allclose(modelled.joints2d, joints2d, atol=1e-3)
        return tuple(1000 * float(np.nanmean(np.linalg.norm(p.joints3d - pinhole.joints3d, axis=-1)))
                     for p in (modelled, ignored))

    # Without the flow, the lens modelled is exact (0.05 mm); ignored, it moves the joints by 38 mm.
    modelled, ignored = apart_mm(flow_off)
    assert modelled < 1.0 and ignored > 10.0
    # With the flow, the frames resampled twice (recorded, undistorted) give a slightly different flow on this 64 px
    # clip, by OpenCV's interpolation: 0.4 mm with OpenCV 4.14, 6.8 mm with 5.1, against 46 mm ignored.
    modelled, ignored = apart_mm(DIS)
    assert modelled < ignored / 4 and ignored > 10.0


def test_ground_truth_flow_is_not_scored_against_the_flow_of_undistorted_frames(tiny_clip):
    poses = replace(tiny_clip.estimate, dist=np.array([-0.1, 0.0, 0.0, 0.0]))
    with pytest.warns(InputNoteWarning, match=r"gt: its flow is of the recorded frames, the refined flow of the "
                                              r"undistorted ones \(the poses have lens distortion\): no EPE"):
        result = flowpose.refine(poses, tiny_clip.rendered.frames, config=DIS, gt=tiny_clip.gt)
    metrics = result.history[-1].metrics
    assert np.isfinite(metrics["mpjpe"]) and not any(k.startswith("epe") for k in metrics)
