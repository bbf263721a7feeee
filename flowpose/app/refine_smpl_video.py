"""Refine an SMPL or SMPL-X sequence of a video into a results folder: ``flowpose refine VIDEO --smpl P --body-model M``.

The flow-pose loop of :mod:`flowpose.body.loop` (flow stage with the bone or the mesh sketch, SMPL pose stage
with the mesh term in both directions) on the video's frames. The folder holds
``refined_smpl.npz`` (the input's keys and layouts), ``refined.npz`` (the model's joints as a pose file),
``history.json`` and, on request, the mesh of every frame (``mesh_000000.obj`` or ``.ply``, numbered as the video's
frames). ``--start S --frames N`` refine frames S to S + N - 1 only (the folder then holds those frames).
``--part-frames N|auto`` refines a video too long for the memory, which is told before the work
(:mod:`flowpose.body.memory`), in overlapping parts joined into one sequence (:mod:`flowpose.body.parts`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from flowpose.app.inputs import check_refinable, segment, segment_note, select_gt_frames
from flowpose.app.outputs import default_out_dir
from flowpose.body.loop import SKETCHES, refine_smpl_frames
from flowpose.body.mesh_io import write_mesh
from flowpose.body.model import check_in_front, load_body_model_for
from flowpose.body.overlay import write_mesh_overlay
from flowpose.body.params import load_smpl, save_smpl
from flowpose.body.refine import HEAD, MESH_FLOW_WEIGHT
from flowpose.config import RefineConfig
from flowpose.errors import InputError
from flowpose.frame_convention import frame_convention_note
from flowpose.io.groundtruth import load_gt
from flowpose.io.outdir import check_output_folder, write_output_folder
from flowpose.io.poses import save_poses
from flowpose.io.video import open_video
from flowpose.io.video_notes import frame_times, listed_note, rate_for, rotation_note, truncation_note
from flowpose.pose import PoseSequence
from flowpose.refinement.evaluate import pose_metrics
from flowpose.refinement.parts import used_parts_note
from flowpose.skeleton import SMPL24
from flowpose.truth_checks import ground_truth_note

BODY_JOINTS = 22
"""The body joints SMPL and SMPL-X share, in the same order (SMPL's 22 and 23 are its hands, SMPL-X's its jaw and an
eye)."""
MESH_FORMATS = ("obj", "ply")
"""What ``--export-mesh`` writes."""


@dataclass(frozen=True)
class SmplVideoJob:
    """One SMPL refinement run.

    Attributes:
        video: a video file or a folder of frames, with as many frames as the sequence.
        smpl: the SMPL parameter file (:mod:`flowpose.body.params`).
        body_model: the user's SMPL model file (:mod:`flowpose.body.model`).
        config: flow backends and flow stage (its ``pose`` supplies the joint terms' weights; ``part_frames`` the
            parts, :mod:`flowpose.body.parts`).
        cycles: flow-pose cycles; 0 writes the input back (with its joints and meshes).
        w_mesh_flow: weight of the mesh-flow term, px^-2 (0: joints only).
        sketch: what the flow stage sketches, ``"bones"`` or ``"mesh"`` (:mod:`flowpose.body.loop`).
        export_mesh: ``"obj"``, ``"ply"`` or None.
        viz: also write ``overlay.mp4``, the estimate's and the refined mesh over the frames.
        out: the results folder; None: ``<video stem>.flowpose`` beside the video.
        device: torch device of the flow networks.
        seed: seeds fine-tuning.
        overwrite: replace an earlier flowpose results folder.
        progress: show progress bars.
        fps: the frames' rate, overriding the video's own; None: the video's (an image folder's: the parameters').
        gt: a ground-truth file (its 3D joints will do) to score the estimate's and the refined joints against, or
            None.
        start: the first frame refined (``--start``).
        num_frames: frames refined from ``start`` (``--frames``); None: to the end.
    """

    video: Path
    smpl: Path
    body_model: Path
    config: RefineConfig
    cycles: int = 3
    w_mesh_flow: float = MESH_FLOW_WEIGHT
    sketch: str = "bones"
    export_mesh: str | None = None
    viz: bool = False
    out: Path | None = None
    device: str = "cpu"
    seed: int = 0
    overwrite: bool = False
    progress: bool = True
    fps: float | None = None
    gt: Path | None = None
    start: int = 0
    num_frames: int | None = None


def without_head_top(poses: PoseSequence) -> PoseSequence:
    """The model's joints as Human3.6M-17 with the head top unobserved (NaN), not on the neck: SMPL has none, and a
    ground truth's would score the neck's distance to it."""
    joints = np.array(poses.joints3d, dtype=np.float32)
    joints[:, HEAD] = np.nan
    return replace(poses, joints3d=joints)


def refine_smpl_video(job: SmplVideoJob) -> tuple[Path, list[str]]:
    """Run the job (module docstring); returns the folder and one-line messages (the per-cycle losses).

    Raises:
        InputError: for bad options or inputs, before anything is written.
    """
    if job.cycles < 0:
        raise InputError(f"--cycles must be >= 0, got {job.cycles}")
    if job.export_mesh is not None and job.export_mesh not in MESH_FORMATS:
        raise InputError(f"--export-mesh must be one of {list(MESH_FORMATS)}, got {job.export_mesh!r}")
    if job.sketch not in SKETCHES:
        raise InputError(f"--sketch must be one of {list(SKETCHES)}, got {job.sketch!r}")
    seq = load_smpl(job.smpl)
    model = load_body_model_for(job.body_model, seq, str(job.smpl))
    out = job.out if job.out is not None else default_out_dir(job.video)
    inputs = [p for p in (job.video, job.smpl, job.body_model, job.gt) if p is not None]
    check_output_folder(out, overwrite=job.overwrite, inputs=inputs)
    with open_video(job.video, fps=job.fps) as reader:
        count_note = listed_note(reader)
        if len(reader) != seq.num_frames:
            raise InputError(f"{job.smpl}: {seq.num_frames} frames, but {job.video} has {len(reader)}{count_note}")
        start, stop = segment(len(reader), job.start, job.num_frames, job.video, count_note)
        whole = (start, stop) == (0, len(reader))
        if not whole:  # a segment; the whole video is taken as before
            check_refinable(len(reader), start, stop, job.video, count_note)
        seq = seq if whole else seq.frames(start, stop)
        checked = check_in_front(model, seq, str(job.smpl))
        joints = np.full((seq.num_frames, SMPL24.num_joints, 3), np.nan)  # hands unknown: SMPL-X's 22, 23 are others
        joints[:, :BODY_JOINTS] = checked[:, :BODY_JOINTS]
        body = PoseSequence(joints, seq.K, skeleton=SMPL24.name)
        convention = frame_convention_note(body, f"{job.smpl} (the body model's joints)")
        gt = None
        if job.gt is not None:
            gt = select_gt_frames(load_gt(job.gt), len(reader), start, stop, source=str(job.gt),
                                  image_size=reader.size).as_h36m17()
        fps, rate_note = rate_for(seq.fps, reader, str(job.smpl))
        times, timing_note = frame_times(reader, start, stop, seq.times)
        seq = replace(seq, fps=fps, times=times)  # refined_smpl.npz keeps them: export amass resamples by them
        turned, cut = rotation_note(reader), truncation_note(reader)
        loop = refine_smpl_frames(seq, model, reader.segment(start, stop), job.config, cycles=job.cycles,
                                  w_mesh_flow=job.w_mesh_flow, sketch=job.sketch, device=job.device, seed=job.seed,
                                  progress=job.progress, times=times,
                                  source=str(job.video) if whole else f"{job.video} (frames {start} to {stop - 1})")
    estimate, result, history = loop.estimate, loop.result, loop.history
    poses = result.poses
    parted = used_parts_note(seq.num_frames, job.config, loop.part_frames, start)
    lines = [note for note in (turned, rate_note, timing_note, parted) if note is not None]
    if not whole:
        lines.insert(0, segment_note(len(reader), start, stop, job.num_frames))
    if cut is not None:
        lines.insert(0, f"warning: {cut}")
    if convention is not None:
        lines.insert(0, f"warning: {convention}")
    lines += [f"cycle {h['cycle']}: total loss {h['losses']['total']:.3f}, mesh {h['losses']['mesh']:.3f}, "
             + (f"{h['steps']} steps" if h["steps"] else "the flow unchanged, the last solve reused")
             + f", {h['seconds']:.1f} s" for h in history]
    if gt is not None:
        if (truth := ground_truth_note(estimate.poses, gt, str(job.gt))) is not None:
            lines.append(f"warning: {truth}")
        before, after = (pose_metrics(without_head_top(p), gt) for p in (estimate.poses, poses))
        lines.append(f"against {job.gt} (16 joints: SMPL has no head top): MPJPE {before['mpjpe']:.1f} -> "
                     f"{after['mpjpe']:.1f} mm, PA-MPJPE {before['pa_mpjpe']:.1f} -> {after['pa_mpjpe']:.1f} mm, "
                     f"accel err {before['accel_error']:.2f} -> {after['accel_error']:.2f} mm/f²")

    def fill(tmp: Path) -> None:
        save_smpl(result.smpl, tmp / "refined_smpl.npz")
        save_poses(poses, tmp / "refined.npz")
        (tmp / "history.json").write_text(json.dumps(history, indent=1))
        if job.export_mesh is not None:  # top-level files: the folder's manifest lists every one of them
            for t, vertices in enumerate(result.vertices, start=start):  # the video's frame numbers
                write_mesh(tmp / f"mesh_{t:06d}.{job.export_mesh}", vertices, model.faces)
        if job.viz:
            with open_video(job.video, fps=job.fps) as frames:
                write_mesh_overlay(tmp / "overlay.mp4", frames.segment(start, stop), estimate.vertices,
                                   result.vertices, model.faces, seq.K, fps=seq.fps, times=times)

    folder = write_output_folder(out, fill, overwrite=job.overwrite, inputs=inputs)
    lines.append(f"wrote {folder}/: refined_smpl.npz, refined.npz, history.json"
                 + (f", mesh_*.{job.export_mesh}" if job.export_mesh else "") + (", overlay.mp4" if job.viz else ""))
    return folder, lines

