"""Tests of flowpose.app.refine_smpl_video's checks (the whole run is in tests/cli/test_refine.py)."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from flowpose.app.refine_smpl_video import SmplVideoJob, refine_smpl_video
from flowpose.body.model import load_body_model_for
from flowpose.body.params import load_smpl, save_smpl
from flowpose.body.standin import write_standin
from flowpose.body.synth import smpl_motion
from flowpose.errors import InputError
from flowpose.io.video import open_video
from flowpose.io.video_writer import write_video
from tests.app.test_refine_video import DIS
from tests.io.test_video import variable_rate_mp4


@pytest.fixture
def inputs(tmp_path: Path) -> SmplVideoJob:
    write_video(tmp_path / "v.mp4", np.zeros((4, 64, 64, 3), np.uint8), fps=30.0)
    save_smpl(smpl_motion(5), tmp_path / "p.npz")  # one frame more than the video
    return SmplVideoJob(video=tmp_path / "v.mp4", smpl=tmp_path / "p.npz", body_model=write_standin(tmp_path / "m.pkl"),
                        config=DIS, cycles=0, out=tmp_path / "out", progress=False)


def test_refusals_before_any_output(inputs: SmplVideoJob) -> None:
    with pytest.raises(InputError, match=r"p\.npz: 5 frames, but .*v\.mp4 has 4"):
        refine_smpl_video(inputs)
    with pytest.raises(InputError, match="--export-mesh must be one of"):
        refine_smpl_video(SmplVideoJob(**{**inputs.__dict__, "export_mesh": "stl"}))
    with pytest.raises(InputError, match="--cycles must be >= 0"):
        refine_smpl_video(SmplVideoJob(**{**inputs.__dict__, "cycles": -1}))
    assert not inputs.out.exists()


def test_a_cut_video_is_told(inputs: SmplVideoJob, tmp_path: Path) -> None:
    from tests.io.test_video import cut_avi

    rng = np.random.default_rng(0)
    cut_avi(tmp_path / "cut.avi", rng.uniform(0, 255, (20, 64, 64, 3)).astype(np.uint8), 0.7, fps=30.0)
    with open_video(tmp_path / "cut.avi") as video:
        n = len(video)
    assert 2 <= n < 20
    save_smpl(smpl_motion(20), tmp_path / "p.npz")  # of the 20 frames listed
    job = replace(inputs, video=tmp_path / "cut.avi")
    with pytest.raises(InputError, match=rf"p\.npz: 20 frames, but .*cut\.avi has {n}; its container lists 20 frames: "
                                         r"a cut or damaged file\?$"):
        refine_smpl_video(job)
    save_smpl(smpl_motion(n), tmp_path / "p.npz")
    _, lines = refine_smpl_video(job)
    assert lines[0] == (f"warning: {tmp_path / 'cut.avi'}: its container lists 20 frames, and {n} decode (a cut or "
                        f"damaged file?); flowpose reads those {n}")


def test_parameters_that_put_the_body_behind_the_camera_name_the_file(inputs: SmplVideoJob) -> None:
    save_smpl(replace(smpl_motion(4), transl=np.zeros((4, 3))), inputs.smpl)  # the pelvis in the camera's centre
    with pytest.raises(InputError, match=r"p\.npz: the body model's joints3d must lie in front of the camera"):
        refine_smpl_video(inputs)
    assert not inputs.out.exists()


def test_zero_cycles_writes_the_input_back(inputs: SmplVideoJob, tmp_path: Path) -> None:
    save_smpl(smpl_motion(4), tmp_path / "p.npz")
    folder, lines = refine_smpl_video(SmplVideoJob(**{**inputs.__dict__, "export_mesh": "ply"}))
    assert (folder / "mesh_000003.ply").is_file() and "refined_smpl.npz" in lines[-1]
    np.testing.assert_allclose(load_smpl(folder / "refined_smpl.npz").transl, smpl_motion(4).transl, atol=1e-12)


def test_the_parameters_take_the_video_s_frame_rate(inputs: SmplVideoJob, tmp_path: Path) -> None:
    save_smpl(replace(smpl_motion(4), fps=60.0), tmp_path / "p.npz")
    folder, lines = refine_smpl_video(inputs)
    assert lines[0].startswith(f"{tmp_path / 'p.npz'}: 60 fps") and "plays at 30" in lines[0]
    assert load_smpl(folder / "refined_smpl.npz").fps == pytest.approx(30.0)
    folder, lines = refine_smpl_video(replace(inputs, fps=15.0, out=tmp_path / "at15", viz=True))  # --fps
    assert "plays at 15" in lines[0] and load_smpl(folder / "refined_smpl.npz").fps == 15.0


def test_later_cycles_on_an_unchanged_flow_say_the_solve_was_reused(inputs: SmplVideoJob, tmp_path: Path) -> None:
    save_smpl(smpl_motion(4), tmp_path / "p.npz")
    folder, lines = refine_smpl_video(SmplVideoJob(**{**inputs.__dict__, "cycles": 2}))
    assert lines[0].startswith("cycle 1:") and " steps, " in lines[0]
    assert lines[1].startswith("cycle 2:") and "the flow unchanged, the last solve reused" in lines[1]
    assert (folder / "history.json").is_file()


def test_a_variable_frame_rate_s_mesh_overlay_plays_each_frame_at_its_time(inputs: SmplVideoJob, tmp_path: Path) -> None:
    variable_rate_mp4(inputs.video, np.zeros((4, 64, 64, 3), np.uint8))  # frames at 0, 1, 2 and 4 thirtieths of a s
    save_smpl(smpl_motion(4), tmp_path / "p.npz")
    folder, lines = refine_smpl_video(replace(inputs, viz=True))
    assert any("a variable frame rate: 33.3 to 66.7 ms" in line for line in lines)
    with open_video(folder / "overlay.mp4") as overlay:  # the third frame shown for two ticks of 30 fps
        assert len(overlay) == 5 and overlay.fps == pytest.approx(30.0)
    np.testing.assert_allclose(load_smpl(folder / "refined_smpl.npz").times, [0, 1 / 30, 2 / 30, 4 / 30], atol=1e-3)


def test_parameters_of_a_y_up_frame_are_told(inputs: SmplVideoJob, tmp_path: Path) -> None:
    from scipy.spatial.transform import Rotation

    seq = smpl_motion(4)  # camera frame: the body's root turned half a turn about x from SMPL's y-up rest pose
    upright = (Rotation.from_euler("x", 180, degrees=True) * Rotation.from_rotvec(seq.global_orient)).as_rotvec()
    save_smpl(replace(seq, global_orient=upright), tmp_path / "p.npz")  # as a y-up world frame would have it
    folder, lines = refine_smpl_video(inputs)
    assert lines[0] == (f"warning: {tmp_path / 'p.npz'} (the body model's joints): its joints3d have the head below "
                        "the feet in 4 of 4 frames (fine for a handstand or a camera held upside down): are they y up? "
                        "flowpose's camera frame is x right, y down, z forward")
    save_smpl(seq, tmp_path / "p.npz")
    assert not any("head below the feet" in line for line in refine_smpl_video(replace(inputs, overwrite=True))[1])


def test_smpl_x_parameters_are_judged_by_their_body_joints(inputs: SmplVideoJob, tmp_path: Path) -> None:
    from scipy.spatial.transform import Rotation

    from flowpose.body.layouts import SMPLX

    seq = smpl_motion(4, layout=SMPLX)  # SMPL-X's joints 22 and 23 are its jaw and an eye, not SMPL's hands
    model = write_standin(tmp_path / "SMPLX_NEUTRAL.npz", layout=SMPLX)
    save_smpl(seq, tmp_path / "px.npz")
    job = replace(inputs, smpl=tmp_path / "px.npz", body_model=model, out=tmp_path / "x")
    assert not any(line.startswith("warning") for line in refine_smpl_video(job)[1])
    turned = (Rotation.from_euler("x", 180, degrees=True) * Rotation.from_rotvec(seq.global_orient)).as_rotvec()
    save_smpl(replace(seq, global_orient=turned), tmp_path / "px.npz")
    lines = refine_smpl_video(replace(job, overwrite=True))[1]
    assert "(the body model's joints): its joints3d have the head below the feet in 4 of 4 frames" in lines[0]


def test_a_segment_is_refined_alone_and_its_meshes_keep_the_video_s_frame_numbers(inputs: SmplVideoJob,
                                                                                   tmp_path: Path) -> None:
    seq = smpl_motion(4)
    save_smpl(seq, tmp_path / "p.npz")
    folder, lines = refine_smpl_video(replace(inputs, start=1, num_frames=2, export_mesh="obj", viz=True))
    assert lines[0] == "frames 1 to 2 of the video's 4 (2)"
    with open_video(folder / "overlay.mp4") as overlay:  # the segment's frames only
        assert len(overlay) == 2
    np.testing.assert_allclose(load_smpl(folder / "refined_smpl.npz").transl, seq.transl[1:3], atol=1e-12)
    assert sorted(p.name for p in folder.glob("mesh_*")) == ["mesh_000001.obj", "mesh_000002.obj"]
    with pytest.raises(InputError, match=r"--start 4: .*v\.mp4 has 4 frames \(0 to 3\)"):
        refine_smpl_video(replace(inputs, start=4, out=tmp_path / "o2"))
    with pytest.raises(InputError, match=r"refinement needs at least 2 frames, and frames 3 to 3 of its 4 are 1"):
        refine_smpl_video(replace(inputs, start=3, out=tmp_path / "o2"))
    assert not (tmp_path / "o2").exists()


def test_a_video_too_long_for_the_memory_is_told_before_the_work(inputs: SmplVideoJob, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import flowpose.body.loop as loop
    from flowpose.errors import MemoryNoteWarning
    from flowpose.refinement.memory import MemoryNeed

    save_smpl(smpl_motion(4), tmp_path / "p.npz")
    told = []
    monkeypatch.setattr(loop, "smpl_refine_memory", lambda *a: told.append(a[4:]) or MemoryNeed(100.0, 100.0))
    monkeypatch.setattr(loop, "available_memory_bytes", lambda: 350)  # (350 - 100) / 100 pairs: 3 frames fit
    with pytest.warns(MemoryNoteWarning, match=r"v\.mp4: refining its 4 frames .* refine it in segments of up to about "
                                               r"3 frames \(--start S --frames N; in Python, VideoReader\.segment with "
                                               r"SmplSequence\.frames\)"):
        folder, _ = refine_smpl_video(replace(inputs, cycles=1))
    model = load_body_model_for(inputs.body_model, smpl_motion(4), "m")
    assert told == [(model.num_vertices,)]  # the model's size foresees its memory
    assert (folder / "refined_smpl.npz").is_file()  # told, and still refined
    monkeypatch.setattr(loop, "available_memory_bytes", lambda: 250)  # 2 frames fit
    with pytest.warns(MemoryNoteWarning, match=r"v\.mp4 \(frames 1 to 3\): refining its 3 frames .* segments of up "
                                               r"to about 2 frames"):  # a segment: named as one
        refine_smpl_video(replace(inputs, cycles=1, start=1, out=tmp_path / "seg"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", MemoryNoteWarning)  # with 0 cycles nothing is refined, nothing said
        refine_smpl_video(replace(inputs, out=tmp_path / "zero"))
