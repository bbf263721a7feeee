"""Estimate a video's people into pose files: what ``flowpose estimate VIDEO`` does, as a function.

One person (``person``) goes to one pose file. With ``all_people`` every track goes to a folder, one pose file
per track (``person<id>.poses.npz``) and the contact sheet ``people.png`` (each track's id drawn on a few
frames), written whole or not at all (:mod:`flowpose.io.outdir`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from flowpose.app.inputs import (
    assumed_rate_note,
    each_person_hint,
    people_folder_path,
    segment,
    sidecar_poses_path,
)
from flowpose.errors import InputError
from flowpose.estimate.looks import with_looks
from flowpose.estimate.mediapipe import EstimateConfig, require_mediapipe
from flowpose.estimate.people import PeopleInVideo, find_people
from flowpose.frame_runs import runs_text
from flowpose.io.intrinsics import CameraOptions
from flowpose.io.outdir import check_output_file, check_output_folder, write_output_folder
from flowpose.io.poses import save_poses, written_by_flowpose
from flowpose.io.video import open_video
from flowpose.io.video_notes import frame_times, listed_note, truncation_note
from flowpose.lens import through_lens, undistorted_frames
from flowpose.people.select import choose_track
from flowpose.people.sheet import contact_sheet, write_contact_sheet
from flowpose.people.track import Track
from flowpose.pose import PoseSequence
from flowpose.scene_focal import resolved_camera
from flowpose.vertical_lines import SceneLines

PEOPLE_SHEET = "people.png"
"""The contact sheet's name in an ``--all-people`` folder."""


@dataclass(frozen=True)
class EstimateVideoJob:
    """One ``flowpose estimate`` run.

    Attributes:
        video: a video file or a folder of frames.
        config: MediaPipe's settings and how many people to look for per frame.
        camera: the camera; its focal length may be a guess (``CameraOptions.guessed``).
        out: a pose file (one person) or, with ``all_people``, a folder; None: ``VIDEO.poses.npz`` /
            ``<video stem>.people`` beside the video.
        person: which person (:func:`flowpose.people.select.choose_track`).
        all_people: write every track.
        overwrite: replace an earlier flowpose output.
        progress: show a progress bar.
        start: first frame used.
        num_frames: frames used from ``start``; None: to the end.
        fps: the frames' rate, overriding the video's own; None: the video's (an image folder's: 30).
    """

    video: Path
    config: EstimateConfig = EstimateConfig()
    camera: CameraOptions = CameraOptions()
    out: Path | None = None
    person: str | int = "prominent"
    all_people: bool = False
    overwrite: bool = False
    progress: bool = True
    start: int = 0
    fps: float | None = None
    num_frames: int | None = None


@dataclass(frozen=True)
class EstimateVideoOutput:
    """What a run wrote.

    Attributes:
        written: the pose file, or the folder with every track.
        people: everyone found and followed.
        chosen: the chosen track's id (None with ``all_people``).
        lines: one-line messages for the user: the camera, each track, what was written.
    """

    written: Path
    people: PeopleInVideo
    chosen: int | None
    lines: list[str]


def default_output(video: Path, all_people: bool) -> Path:
    """``VIDEO.poses.npz``, or the folder ``<video stem>.people`` with ``all_people``."""
    return people_folder_path(video) if all_people else sidecar_poses_path(video)


def estimate_video(job: EstimateVideoJob) -> EstimateVideoOutput:
    """Run ``flowpose estimate`` (module docstring).

    Raises:
        InputError: for a bad option or input, before anything is written.
    """
    out = job.out if job.out is not None else default_output(job.video, job.all_people)
    inputs = [p for p in (job.video, job.camera.intrinsics) if p is not None]
    if job.all_people:
        check_output_folder(out, overwrite=job.overwrite, inputs=inputs)
    else:
        if out.suffix.lower() not in (".npz", ".json"):
            raise InputError(f"--out {out}: expected a pose file ending in .npz or .json")
        check_output_file(out, overwrite=job.overwrite, is_ours=written_by_flowpose, inputs=inputs)
    if job.camera.intrinsics is not None:
        job.camera.camera_file()  # refused before the video is decoded
    require_mediapipe()
    with open_video(job.video, fps=job.fps) as reader:
        start, stop = segment(len(reader), job.start, job.num_frames, job.video, listed_note(reader))
        frames = reader.segment(start, stop)  # decoded on demand, as the whole video is
        camera, read = resolved_camera(job.camera, SceneLines(frames), str(job.video))  # --focal-px auto: from the scene's lines
        K, lens = camera.matrix(reader.size), camera.distortion()
        if lens is not None:  # MediaPipe and the placement see the pinhole camera K; the 2D goes back through the lens
            frames = undistorted_frames(frames, K, lens)
        people = find_people(frames, job.config, fps=reader.fps, progress=job.progress)
        if not people.tracks:
            raise InputError(people.nobody_found(job.video))
        lines = [camera.describe(reader.size) if read is None else read]
        if (cut := truncation_note(reader)) is not None:
            lines.append(f"warning: {cut}")
        if not reader.fps_known:
            lines.append(assumed_rate_note(job.video, reader.fps))
        times, timing_note = frame_times(reader, start, stop)
        if timing_note is not None:
            lines.append(timing_note)
        T = len(frames)
        carry = job.config.carry_frames
        for tr in people.tracks:
            carried, turned = int(people.carried(tr, carry).sum()), np.zeros(T, bool)
            turned[tr.frames[tr.turned]] = True
            lines.append(f"person {tr.id}: found in {len(tr.frames)} of {T} frames "
                         f"({start + tr.frames[0]}-{start + tr.frames[-1]})"
                         + (f", turned round by MediaPipe in {turned.sum()} of them (frames {runs_text(turned, start)}: "
                            "left and right relabelled, the 3D interpolated)" if turned.any() else "")
                         + (f", carried along the flow through {carried} more" if carried else ""))
        if (brief := people.left_out_note()) is not None:
            lines.append(brief)
        if (single := people.video_mode_note()) is not None:
            lines.append(f"note: {single}")

        def person_poses(tr: Track) -> PoseSequence:
            poses = replace(people.poses(tr, K, frames=frames, carry_frames=carry), first_frame=start, times=times)
            if job.config.looks:
                poses, looked = with_looks(frames, poses, job.config.looks, job.config)
                lines.append(f"person {tr.id}: averaged with {job.config.looks} more "
                             f"look{'s' if job.config.looks > 1 else ''} at the crop in {looked} of {T} frames")
            return through_lens(poses, lens)

        if job.all_people:
            sheet = contact_sheet(frames, people.tracks, first_frame=start)

            def fill(tmp: Path) -> None:
                for tr in people.tracks:
                    save_poses(person_poses(tr), tmp / f"person{tr.id}.poses.npz")
                write_contact_sheet(tmp / PEOPLE_SHEET, sheet)

            written = write_output_folder(out, fill, overwrite=job.overwrite, inputs=inputs)
            lines.append(f"wrote {written}/: {len(people.tracks)} pose files and {PEOPLE_SHEET}")
            lines.append(f"to refine {each_person_hint(job.video, written)}")
            return EstimateVideoOutput(written, people, None, lines)
        track = choose_track(people.tracks, people.detections, job.person, people.image_size, where=people.where())
        poses = person_poses(track)
    save_poses(poses, out)
    span = f"frame {start}" if stop - start == 1 else f"frames {start}-{stop - 1}"
    lines.append(
        f"wrote {out}: person {track.id}, {poses.num_frames} frame{'s' * (poses.num_frames != 1)} ({span}), "
        f"found in {len(track.frames)}"
    )
    return EstimateVideoOutput(out, people, track.id, lines)
