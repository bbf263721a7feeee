"""Refine a video file into a results folder: what ``flowpose refine VIDEO`` does, as a function.

The order protects the user's files and time: every option and file is checked, and the output folder is
refused or accepted, before a frame is decoded or a network built; the folder appears whole at the end
(:mod:`flowpose.io.outdir`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from flowpose.api import device_problem
from flowpose.api import refine as run_refine
from flowpose.app.inputs import (
    assumed_rate_note,
    check_observed,
    check_refinable,
    each_person_hint,
    keypoints_problem,
    people_folder_path,
    segment,
    segment_note,
    select_frames,
    select_gt_frames,
    sidecar_poses_path,
    span_problem,
)
from flowpose.app.outputs import default_out_dir, write_refine_folder
from flowpose.camera import project_np
from flowpose.camera_checks import off_image_note, scaled_camera_note
from flowpose.camera_place import LEAN_WARNING_DEG, CameraPlace, placed_frame
from flowpose.config import RefineConfig
from flowpose.coverage import absent_joints_note, unobserved_note
from flowpose.errors import InputError, InputNoteWarning
from flowpose.estimate.mediapipe import EstimateConfig
from flowpose.estimate.placement import place_root
from flowpose.floor import ANKLE_HEIGHT_M, SCALE_WARNING, floor_scale, in_the_air, observed_lean_deg, on_floor
from flowpose.flow.registry import FLOW_BACKENDS
from flowpose.frame_convention import frame_convention_note
from flowpose.io.groundtruth import GroundTruth, load_gt
from flowpose.io.intrinsics import CameraOptions
from flowpose.io.keypoints2d import attach_keypoints, confident_joints2d, load_keypoints, slice_keypoints
from flowpose.io.outdir import check_output_folder
from flowpose.io.poses import load_poses
from flowpose.io.trc_import import trc_ground_truth
from flowpose.io.video import open_video
from flowpose.io.video_notes import frame_times, listed_note, rate_for, rotation_note, truncation_note
from flowpose.io.world_frame import WorldFrame
from flowpose.lens import lens_text, same_lens, through_lens, undistorted_frames
from flowpose.pose import PoseSequence, check_joints3d
from flowpose.refinement.parts import used_parts_note
from flowpose.refinement.result import RefineResult
from flowpose.refinement.swaps import describe_swaps
from flowpose.scene_focal import resolved_camera
from flowpose.truth_checks import ground_truth_note
from flowpose.vertical_lines import SceneLines, tilt_from_lines


@dataclass(frozen=True)
class RefineVideoJob:
    """One ``flowpose refine`` run.

    Attributes:
        video: a video file or a folder of frames.
        config: the refinement's configuration (a preset with the flow options applied).
        cycles: flow-pose cycles, >= 0.
        poses: the initial poses' file; None: ``estimate`` if given, else the video's sidecar file.
        estimate: estimate the initial poses with MediaPipe (an
            :class:`flowpose.estimate.mediapipe.EstimateConfig`), or None.
        person: with ``estimate``, whom to follow (:func:`flowpose.people.select.choose_track`).
        keypoints: a keypoints file (:mod:`flowpose.io.keypoints2d`) whose 2D replaces the initial poses' (or is
            averaged with them: ``keypoints_mix``), or None.
        keypoints_mix: ``"replace"`` or ``"average"`` (:func:`flowpose.io.keypoints2d.attach_keypoints`).
        camera: the camera the user described; it replaces a pose file's (with a note) and places estimated
            poses. None: keep the pose file's camera, or estimate with the default field-of-view guess.
        gt: a ground-truth file to report errors against, or None.
        out: the results folder; None: :func:`flowpose.app.outputs.default_out_dir` (``<video stem>.flowpose``
            beside the video, ``<video stem>.<person>.flowpose`` for a person of its ``.people`` folder).
        device: torch device.
        seed: seeds fine-tuning and optimisation.
        overwrite: replace an earlier flowpose results folder.
        overlay: also write ``overlay.mp4``.
        progress: show progress bars.
        start: first frame used.
        num_frames: frames used from ``start``; None: to the end.
        fps: the frames' rate, overriding the video's own; None: the video's (an image folder's: the poses').
        floor_z: the person stands on the floor at this height (world z, metres) of ``camera``'s calibrated world,
            or of ``camera_place``: the initial poses are scaled about the camera to stand there
            (:mod:`flowpose.floor`); None: not.
        camera_place: the camera's place as the user measured it, (height above the floor m, pitch degrees below
            the horizon, roll degrees: :func:`flowpose.camera_place.placed_frame`), for ``floor_z`` without a
            calibration; the pitch and roll None: read from the video's vertical lines, through ``camera``'s focal
            length (:mod:`flowpose.vertical_lines`); None: the calibration's place.
    """

    video: Path
    config: RefineConfig
    cycles: int = 3
    poses: Path | None = None
    estimate: EstimateConfig | None = None
    person: str | int = "prominent"
    keypoints: Path | None = None
    keypoints_mix: str = "replace"
    camera: CameraOptions | None = None
    gt: Path | None = None
    out: Path | None = None
    device: str = "cpu"
    seed: int = 0
    overwrite: bool = False
    overlay: bool = False
    progress: bool = True
    start: int = 0
    fps: float | None = None
    num_frames: int | None = None
    floor_z: float | None = None
    camera_place: CameraPlace | None = None


@dataclass(frozen=True)
class RefineVideoOutput:
    """What a run wrote.

    Attributes:
        folder: the results folder.
        names: the files in it, in writing order (``report.png`` is missing without matplotlib).
        result: the refinement result (poses, per-cycle history, flow).
        notes: one-line messages for the user (a replaced camera, a skipped report).
    """

    folder: Path
    names: list[str]
    result: RefineResult
    notes: list[str]


def check_job(job: RefineVideoJob) -> Path | None:
    """Check the options that need no file read; returns the pose file to read (None: estimate).

    Raises:
        InputError: naming the option and what is wrong.
    """
    check_settings(job)
    if job.estimate is not None:
        return None
    if job.poses is not None and job.poses.is_dir() and (hint := each_person_hint(job.video, job.poses)):
        raise InputError(f"{job.poses}: is a folder of pose files, expected one; {hint}")
    return job.poses if job.poses is not None else sidecar_poses_path(job.video)


def check_settings(job: RefineVideoJob) -> None:
    """Check the settings a run shares with others (``flowpose batch``: its ``video`` is not read): the device,
    the cycles, the camera file, and the estimator's install.

    Raises:
        InputError: naming the option and what is wrong.
    """
    problem = device_problem(job.device)
    if problem is not None:
        raise InputError(f"--device {job.device}: {problem}")
    if job.cycles < 0:
        raise InputError(f"--cycles must be >= 0, got {job.cycles}")
    if job.camera is not None and job.camera.intrinsics is not None:
        job.camera.camera_file()  # a bad camera file (or an unnamed camera of several) is refused before decoding
    if job.camera_place is not None and job.floor_z is None:
        raise InputError("--camera-height and --camera-tilt place the camera for --floor, which was not given")
    if job.floor_z is not None:
        floor_frame(job, tilt=(0.0, 0.0))  # a camera not placed, or placed twice, is refused before decoding (an
        # auto tilt, read later, stands in as level)
    if job.camera_place is not None and job.camera_place[1] is None and (job.camera is None or job.camera.guessed):
        raise InputError("--camera-tilt auto reads the tilt through the camera's focal length, which is not known: "
                         "pass --intrinsics FILE, --focal-px F or --focal-px auto (through a guessed one, the real set's "
                         "tilts were read 7 to 62 degrees off)")
    if job.estimate is not None and job.poses is not None:
        raise InputError("--estimate and --poses exclude each other: pass one")
    if job.estimate is not None:
        from flowpose.estimate.mediapipe import require_mediapipe

        require_mediapipe()


def with_intrinsics(
    poses: PoseSequence, K: np.ndarray, dist: np.ndarray | None, source: str, notes: list[str], given: str = "the given K"
) -> PoseSequence:
    """The poses in camera K with lens distortion ``dist`` instead of their own, and a note for the user when
    either differs.

    The 3D was placed for the pose file's camera: with another K (a calibrated one replacing a guessed focal
    length, say) it would no longer show the image it was estimated from, and the 2D and 3D terms would pull the
    body apart (toward the camera, on real video). So each frame's 3D is moved, its shape kept, to where K shows
    it as the file's camera did (:func:`flowpose.estimate.placement.place_root` on its own projection); frames it
    cannot place keep their 3D. Keypoints are kept.

    Args:
        poses: the poses read from ``source``.
        K: (3, 3) px.
        dist: (n,) lens distortion coefficients (OpenCV's order), or None (a pinhole camera).
        source: the pose file, for the note.
        notes: where the note goes.
        given: where K came from, for the note (:meth:`flowpose.io.intrinsics.CameraOptions.origin`).

    Returns:
        The poses with K and ``dist`` (the same object when both equal their own).
    """
    own = poses.K if poses.K.ndim == 2 else poses.K[0]
    same_K = poses.K.ndim == 2 and np.allclose(own, K, rtol=1e-6, atol=1e-6)
    lens_kept = same_lens(dist, poses.dist)
    if same_K and lens_kept:
        return poses
    if not lens_kept:
        notes.append(
            f"camera: the given lens distortion ({lens_text(dist)}) replaces {source}'s ({lens_text(poses.dist)})"
        )
    if same_K:
        return poses.with_lens(poses.joints2d, dist)
    joints3d = shown_alike(poses.joints3d, poses.K_per_frame(), np.asarray(K, np.float64))
    before, after = centroids(poses.joints3d)[:, 0, 2], centroids(joints3d)[:, 0, 2]  # NaN in frames with no joint
    seen = np.isfinite(before) & np.isfinite(after)
    notes.append(
        f"camera: {given} (fx {K[0, 0]:.1f}, fy {K[1, 1]:.1f}, cx {K[0, 2]:.1f}, cy {K[1, 2]:.1f} px) "
        f"replaces {source}'s (fx {own[0, 0]:.1f}, cx {own[0, 2]:.1f}, cy {own[1, 2]:.1f}); the 3D is moved to show the "
        f"same image through it (depth x{np.median(after[seen] / before[seen]) if seen.any() else 1.0:.2f})"
    )
    return replace(poses, joints3d=joints3d.astype(np.float32), K=np.asarray(K, np.float32), dist=dist)


def centroids(joints3d: np.ndarray) -> np.ndarray:
    """(T, 1, 3) each frame's mean of its finite joints of (T, J, 3); NaN for a frame with none (no warning)."""
    observed = np.isfinite(joints3d).all(-1, keepdims=True)  # (T, J, 1)
    count = observed.sum(1, keepdims=True)  # (T, 1, 1)
    total = np.where(observed, joints3d, 0.0).sum(1, keepdims=True)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def shown_alike(joints3d: np.ndarray, K_old: np.ndarray, K: np.ndarray) -> np.ndarray:
    """(T, J, 3) metres: each frame's joints moved (not turned nor scaled) to where camera K shows them as
    ``K_old`` (T, 3, 3) did; frames that cannot be placed (fewer than two joints) keep theirs.

    Example:
        >>> K_old = np.array([[[100.0, 0, 50], [0, 100, 50], [0, 0, 1]]])
        >>> body = np.array([[[0.0, 0.0, 2.0], [0.5, 0.0, 2.0]]])
        >>> (shown_alike(body, K_old, np.array([[200.0, 0, 50], [0, 200, 50], [0, 0, 1]])).round(6) + 0.0).tolist()
        [[[0.0, 0.0, 4.0], [0.5, 0.0, 4.0]]]
    """
    image = project_np(joints3d, K_old)  # (T, J, 2): what the 3D showed through its own camera
    centre = centroids(joints3d)  # (T, 1, 3), NaN in frames with no joint (left as they are)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="place_root: ", category=UserWarning)  # those frames are kept
        t = place_root(joints3d - centre, image, K, np.isfinite(joints3d).all(-1).astype(np.float64))  # (T, 3)
    placed = np.isfinite(t).all(-1)[:, None, None]
    return np.where(placed, joints3d - centre + t[:, None, :], joints3d)


def repeated_cycles_note(config: RefineConfig, cycles: int) -> str | None:
    """The line that tells the user why cycles 2..N repeat cycle 1 (no flow network is fine-tuned), or None."""
    trainable = config.finetune_flow and any(FLOW_BACKENDS[n].trainable for n in config.flow.names)
    if cycles < 2 or trainable:
        return None
    repeat = "cycle 2 repeats" if cycles == 2 else f"cycles 2-{cycles} repeat"
    return (f"the flow ({'+'.join(config.flow.names)}) is not fine-tuned, so {repeat} cycle 1; "
            "--flow raft-small fine-tunes a network every cycle")


def _ground_truth(job: RefineVideoJob) -> GroundTruth:
    """``--gt``: a ground-truth ``.npz`` (:func:`load_gt`), or a TRC file of the calibrated world of ``--intrinsics``
    (:func:`flowpose.io.trc_import.trc_ground_truth`)."""
    if job.gt.suffix.lower() != ".trc" or job.camera is None or job.camera.intrinsics is None:
        return load_gt(job.gt)  # a TRC file without the camera's place: refused, saying what it needs
    return trc_ground_truth(job.gt, job.camera.world())


def floor_frame(job: RefineVideoJob, tilt: tuple[float, float] | None = None) -> tuple[WorldFrame, str]:
    """The world whose floor ``--floor`` names: the camera's place as given (``camera_place``), else its calibration's;
    with the words that say which, for the note. ``tilt`` (pitch, roll degrees) is the one read from the video where
    ``camera_place`` leaves it to be read (``--camera-tilt auto``).

    Raises:
        InputError: neither places the camera, both do, or the given place cannot be.
    """
    if job.camera_place is not None:
        if job.camera is not None and job.camera.intrinsics is not None and job.camera.camera_file().rig is not None:
            raise InputError(f"--camera-height and --camera-tilt place the camera that {job.camera.intrinsics} places "
                             "already: pass one")
        height, pitch, roll = job.camera_place
        if pitch is None or roll is None:
            if tilt is None:
                raise ValueError("floor_frame: --camera-tilt auto's tilt, read from the video, was not passed")
            pitch, roll = tilt
            angles = f"{pitch:.1f} degrees down and rolled {roll:.1f} as its lines read"
        else:
            angles = f"{pitch:g} degrees down and rolled {roll:g}"
        frame = placed_frame(height, pitch, roll, camera=Path(job.video).stem)
        return frame, f"{height:g} m under the camera, looking {angles}"
    if job.camera is None:
        raise InputError("--floor needs the camera's place above the floor: --intrinsics CALIBRATION (a multi-camera "
                         "calibration), or --camera-height M with --camera-tilt PITCH[,ROLL]")
    frame = job.camera.world()
    return frame, f"at z = {job.floor_z:g} m of {job.camera.intrinsics}"


def _stood_on_floor(init: PoseSequence, job: RefineVideoJob, named: str, scene: SceneLines,
                    notes: list[str]) -> PoseSequence:
    """The initial poses scaled about the camera to stand on the floor (:mod:`flowpose.floor`), with a note, and the
    camera's place in that floor's world (``PoseSequence.world``: refined.npz carries it; exports write in it). The
    tilt ``--camera-tilt auto`` leaves is read from ``scene``'s vertical lines, with a note."""
    tilt = None
    if job.camera_place is not None and job.camera_place[1] is None:
        read = tilt_from_lines(scene, init.K, init.dist, str(job.video))
        tilt = (read.pitch_deg, read.roll_deg)
        notes.append(f"camera tilt: read from {read.lines} vertical lines of the scene: looking {read.pitch_deg:.1f} "
                     f"degrees down, rolled {read.roll_deg:.1f} (the lines' bootstrap spread {read.spread_deg[0]:.1f} "
                     f"and {read.spread_deg[1]:.1f} degrees; on the real set such readings were within 1.1 degrees of "
                     "the calibration's)")
    frame, where = floor_frame(job, tilt)
    try:
        scale, ankle = floor_scale(init, frame, job.floor_z)
    except InputError as e:
        raise InputError(f"{named}: {e}") from None
    if job.camera_place is not None and job.floor_z != 0:
        where = f"{job.floor_z:g} m above the one {where}"
    notes.append(f"floor: the person scaled by {scale:.3f} about camera {frame.camera} to stand on the floor {where} "
                 f"(the lower ankle {ANKLE_HEIGHT_M:g} m above it in the median frame, {ankle:+.2f} m before)")
    stood = on_floor(init, scale, frame)
    pose = job.config.pose
    if pose.w_contact > 0:
        if pose.contact_flight_m is None:
            where = "in every frame"
        else:
            up = in_the_air(stood.joints3d, frame, job.floor_z, pose.contact_flight_m)
            where = (f"in every frame where the estimate stands within {pose.contact_flight_m:g} m of it ({int(up.sum())} "
                     f"of {len(up)} frames left free, in the air)")
        notes.append(f"floor contact: the lower ankle held {ANKLE_HEIGHT_M:g} m above that floor {where}, each frame as "
                     "much as its less sure ankle is seen (--floor-contact)")
    if not SCALE_WARNING[0] <= scale <= SCALE_WARNING[1]:
        notes.append(f"warning: {named}: the floor makes the person {scale:.2f} times the estimate's size (a child, or "
                     "the camera's place wrong: its height above the floor, its tilt?)")
    lean = observed_lean_deg(init, frame)
    if job.camera_place is not None and lean is not None and lean > LEAN_WARNING_DEG:
        given = (f"--camera-tilt {job.camera_place[1]:g},{job.camera_place[2]:g}" if tilt is None else
                 "the tilt read from the scene's lines (--camera-tilt auto)")
        notes.append(f"warning: {named}: the person's mean axis (ankles to thorax) leans {lean:.0f} degrees from the "
                     f"vertical of {given}: is the tilt right (the pitch: degrees the camera looks down; the roll: "
                     "positive where the horizon rises to the right)?")
    return stood


def refine_video(job: RefineVideoJob) -> RefineVideoOutput:
    """Run ``flowpose refine``: read or estimate the poses, refine them, write the results folder.

    Args:
        job: the run's options.

    Returns:
        What was written, the result and notes for the user.

    Raises:
        InputError: for any bad option or input, before any output is written.
    """
    source = check_job(job)
    camera_file = None if job.camera is None else job.camera.intrinsics
    inputs = [p for p in (job.video, source, job.gt, camera_file, job.keypoints) if p is not None]
    kp = None if job.keypoints is None else load_keypoints(job.keypoints)
    out = job.out if job.out is not None else default_out_dir(job.video, job.poses)
    notes: list[str] = []
    with open_video(job.video, fps=job.fps) as reader:
        if source is not None and job.poses is None and not source.is_file():
            people = people_folder_path(job.video)
            if hint := each_person_hint(job.video, people):
                raise InputError(f"{job.video}: no {source}, but {people} holds people's poses; {hint}")
            raise InputError(
                f"{job.video}: no poses: pass --poses FILE, put them in {source}, or pass --estimate "
                "(MediaPipe, needs flowpose[estimate])"
            )
        check_output_folder(out, overwrite=job.overwrite, inputs=inputs)  # a refusal costs nothing yet
        count_note = listed_note(reader)  # ends each refusal that gives the video's frame count (a cut video's)
        start, stop = segment(len(reader), job.start, job.num_frames, job.video, count_note)
        if (cut := truncation_note(reader)) is not None:
            notes.append(f"warning: {cut}")
        if kp is not None and (problem := keypoints_problem(confident_joints2d(kp), reader.size)) is not None:
            raise InputError(f"{job.keypoints}: {problem}")  # before any estimate is made
        check_refinable(len(reader), start, stop, job.video, count_note)
        whole = (start, stop) == (0, len(reader))
        if not whole:
            notes.append(segment_note(len(reader), start, stop, job.num_frames))
        gt = (
            None
            if job.gt is None
            else select_gt_frames(_ground_truth(job), len(reader), start, stop, source=str(job.gt), image_size=reader.size)
        )
        frames = reader.segment(start, stop)  # decoded on demand, as the whole video is
        scene = SceneLines(frames)  # its lines found once, where --focal-px auto or --camera-tilt auto reads them
        read_focal = None
        if job.camera is not None:  # --focal-px auto: read from the scene's lines
            camera, read_focal = resolved_camera(job.camera, scene, str(job.video))
            job = replace(job, camera=camera)
            if read_focal is not None:
                notes.append(read_focal)
        if source is None:
            from flowpose.estimate.people import estimate_poses

            camera = job.camera if job.camera is not None else CameraOptions()
            K, lens = camera.matrix(reader.size), camera.distortion()
            if read_focal is None:
                notes.append(camera.describe(reader.size))
            init = estimate_poses(
                frames if lens is None else undistorted_frames(frames, K, lens),  # MediaPipe sees a pinhole camera
                job.estimate,
                fps=reader.fps,
                progress=job.progress,
                source=str(job.video),
                K=K,
                person=job.person,
            )
            init = through_lens(replace(init, first_frame=start), lens)
        else:
            init = select_frames(
                load_poses(source), len(reader), start, stop, poses_source=str(source), video_source=str(job.video),
                count_note=count_note,
            )
            check_observed(init, str(source))
            if init.joints2d is not None and (kp is None or job.keypoints_mix != "replace"):  # else --keypoints's
                seen = np.where((init.confidence() > 0)[..., None], init.joints2d, np.nan)
                if (problem := span_problem(seen, reader.size, "joints2d")) is not None:
                    raise InputError(f"{source}: {problem}")
            if job.camera is not None:
                init = with_intrinsics(init, job.camera.matrix(reader.size), job.camera.distortion(), str(source), notes,
                                       job.camera.origin())
            fps, rate_note = rate_for(init.fps, reader, str(source))
            if rate_note is not None:
                init = replace(init, fps=fps)
                notes.append(rate_note)
            if (off := off_image_note(init, reader.size, str(source))) is not None:
                notes.append(f"warning: {off}")
            elif job.camera is None and (scaled := scaled_camera_note(init, reader.size, str(source))) is not None:
                notes.append(f"warning: {scaled}")
        if (unobserved := unobserved_note(init, str(source) if source is not None else f"the estimate of {job.video}")):
            notes.append(f"warning: {unobserved}")
        if not reader.fps_known:  # an image folder: the poses' rate (an estimate's is the reader's)
            notes.append(assumed_rate_note(job.video, init.fps))
        if (source is not None or kp is not None) and (turned := rotation_note(reader)) is not None:
            notes.append(turned)  # another tool's poses or keypoints: of the stored frames or the upright ones?
        times, timing_note = frame_times(reader, start, stop, init.times)
        init = replace(init, times=times)
        if timing_note is not None:
            notes.append(timing_note)
        if kp is not None:
            if kp.num_frames == len(reader) and not whole:
                kp = slice_keypoints(kp, start, stop)
            own = init.joints2d is not None
            try:
                init = attach_keypoints(init, kp, mix=job.keypoints_mix)
            except InputError as e:
                raise InputError(f"{job.keypoints}: {e}") from None
            how = ("averaged with the initial poses' own where both have a joint" if job.keypoints_mix == "average"
                   and own else "replace the initial poses' own")
            notes.append(f"2D keypoints: {job.keypoints} ({kp.source}) {how}")
        if source is not None or kp is not None:  # another tool's 3D or 2D: in flowpose's camera frame?
            named = [str(p) for p in (source, job.keypoints) if p is not None]
            if (convention := frame_convention_note(init, " with ".join(named))) is not None:
                notes.append(f"warning: {convention}")
        if gt is not None and (truth := ground_truth_note(init, gt, str(job.gt))) is not None:
            notes.append(f"warning: {truth}")
        if (absent := absent_joints_note(init, str(source) if source is not None else f"the estimate of {job.video}")):
            notes.append(absent)  # the head top of MediaPipe, COCO, SMPL: by design, not a warning
        if job.floor_z is not None:
            init = _stood_on_floor(init, job, str(source) if source is not None else f"the estimate of {job.video}",
                                   scene, notes)
        with warnings.catch_warnings():  # the API's notes on its inputs: told above, naming the files, where they apply
            warnings.simplefilter("ignore", InputNoteWarning)
            result = run_refine(
                init,
                frames,
                cycles=job.cycles,
                config=job.config,
                gt=gt,
                device=job.device,
                seed=job.seed,
                keep_flow=job.overlay,  # drawn on the overlay; not written otherwise
                progress=job.progress,
            )
        folder, names = write_refine_folder(
            result,
            out,
            init=init,
            frames=frames,
            gt_joints3d=None if gt is None else gt.joints3d,
            overlay=job.overlay,
            overwrite=job.overwrite,
            progress=job.progress,
            inputs=inputs,
        )
    try:  # refined poses are written whatever they hold; a flowpose command refuses them as input if implausible
        check_joints3d(result.poses.joints3d)
    except InputError as problem:
        notes.append(f"warning: {folder / 'refined.npz'}: the refined poses are implausible, so flowpose will not read "
                     f"them back: {problem} (the refinement diverged: is the camera right?)")
    if result.swapped is not None and (swaps := describe_swaps(result.swapped, first_frame=start)) is not None:
        notes.append(swaps)
    if (parted := used_parts_note(init.num_frames, job.config, result.part_frames, start)) is not None:
        notes.append(parted)
    repeated = repeated_cycles_note(job.config, job.cycles)
    if repeated is not None:
        notes.append(repeated)
    if "report.png" not in names:
        notes.append('report.png skipped: matplotlib is not installed (pip install "flowpose[plot]")')
    return RefineVideoOutput(folder=folder, names=names, result=result, notes=notes)
