"""Refine many videos: what ``flowpose batch MANIFEST|DIR --out DIR`` does.

Each video is refined by :func:`flowpose.app.refine_video.refine_video` into ``OUT/<video stem>/`` (a results
folder, written whole or not at all), and ``OUT/summary.csv`` gets one row per video. The batch is resumable:
a video whose results folder exists is skipped (its row is read back from its ``history.json``). It tolerates
failures: a video that fails gets a row with the reason, and the others go on. Videos run in parallel, in
worker processes on this machine (``jobs``, each with its share of the CPU threads) or as tasks on a Ray
cluster (``ray_address``; the optional extra ``flowpose[cluster]``).

Inputs: a folder (every video file in it, ``*.mp4 *.avi *.mov *.mkv *.webm``, with its sidecar pose file
``<video>.poses.npz``, or without one, every person of its ``<video>.people/`` folder), or a manifest: a text file
with one video per line, optionally followed by its pose file (``video.mp4 poses.npz``) or a folder of pose files
(``video.mp4 video.people/``: every ``*.poses.npz``, as ``flowpose estimate --all-people`` writes them), and
optionally by its ground truth (``video.mp4 poses.npz gt.npz``, or ``video.mp4 - gt.npz`` with the sidecar poses;
the summary then has MPJPE and PA-MPJPE before and after), paths relative to the manifest's folder; ``#`` starts a
comment. A path with spaces, commas or ``#`` goes in quotes (``"my video.mp4"``); backslashes are kept as they are.

Results go to ``OUT/<video stem>/``; a video refined with several pose files (its people, or several lines of a
manifest) gets one folder per pose file, ``OUT/<video stem>.<pose file's name less .poses.npz>/``
(``OUT/clip.person0/``).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import shlex
import time
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from flowpose.app.batch_memory import fewer_jobs_note, jobs_that_fit, video_need
from flowpose.app.inputs import people_folder_path, pose_files_in, pose_label, sidecar_poses_path, video_stem
from flowpose.app.ray_tasks import connect_ray, run_on_ray
from flowpose.app.refine_video import RefineVideoJob, check_settings, refine_video, repeated_cycles_note
from flowpose.app.workers import WorkerLost, run_in_workers
from flowpose.errors import FlowposeError, InputError
from flowpose.flow.registry import load_flow_model
from flowpose.io.atomic import atomic_path
from flowpose.io.npz import read_npz
from flowpose.io.outdir import MANIFEST, remove_temporary_folders
from flowpose.io.rig_files import choose_camera, is_rig_file, read_rig
from flowpose.io.stops import Stopped
from flowpose.refinement.memory import available_memory_bytes

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
"""Files a folder input contributes."""
SUMMARY = "summary.csv"
"""The summary table in the batch's output folder."""
COLUMNS = ("video", "status", "frames", "cycles", "seconds", "accel_init", "accel_final", "mpjpe_init", "mpjpe_final",
           "pa_mpjpe_init", "pa_mpjpe_final", "results", "error", "notes")
"""The summary's columns; ``accel`` is the mean joint acceleration (mm/frame^2) before and after; ``mpjpe`` and
``pa_mpjpe`` the errors (mm) against the video's ground truth, where the manifest gives one; ``notes`` what
``flowpose refine`` would have said of the video (its notes, and each distinct warning of its refinement), joined by
`` | ``."""
NOTE_SEPARATOR = " | "
"""Between a video's notes in the summary's ``notes``."""
_SCORES = ("mpjpe_init", "mpjpe_final", "pa_mpjpe_init", "pa_mpjpe_final")
EARLIER_HEADERS = (
    tuple(c for c in COLUMNS if c not in _SCORES),  # before the ground truth's scores
    tuple(c for c in COLUMNS if c not in _SCORES and c != "notes"),  # before notes
)
"""The columns of summaries written by earlier versions: a batch resumed from one replaces it."""


SIDECAR = "-"
"""In a manifest's POSES place: the video's sidecar pose file (``video.mp4 - gt.npz``)."""


@dataclass(frozen=True)
class BatchItem:
    """One video of a batch: the video, its pose file (None: the sidecar), its results folder and its ground
    truth (None: none)."""

    video: Path
    poses: Path | None
    out: Path
    gt: Path | None = None


def manifest_words(line: str) -> list[str]:
    """The paths on a manifest line (module docstring): split at spaces and commas, quotes respected, ``#`` to the
    end of the line dropped.

    Raises:
        ValueError: for an unclosed quote.

    Example:
        >>> manifest_words('"my video.mp4", poses.npz  # the first take')
        ['my video.mp4', 'poses.npz']
    """
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace += ","
    lexer.whitespace_split = True
    lexer.commenters = "#"
    lexer.escape = ""  # Windows paths keep their backslashes
    return list(lexer)


def read_inputs(source: Path, out_dir: Path) -> list[BatchItem]:
    """The videos of a folder or a manifest, each with its pose file and its results folder in ``out_dir``
    (module docstring).

    Raises:
        InputError: for a missing source, an empty one, a video or a binary file given as the manifest, a manifest
            line with more than three paths, a folder of pose files with none in it or given a ground truth, or
            two results folders that would collide (videos with the same stem, or pose files of one video with the
            same name).
    """
    if source.is_dir():
        found = []
        for video in sorted(source.iterdir()):
            if video.suffix.lower() in VIDEO_SUFFIXES:
                people = people_folder_path(video)
                use_people = not sidecar_poses_path(video).exists() and people.is_dir()
                found += [(video, p, None) for p in pose_files_in(people)] if use_people else [(video, None, None)]
    elif source.is_file():
        if source.suffix.lower() in VIDEO_SUFFIXES:
            raise InputError(f"{source}: is a video; batch takes a folder of videos or a manifest listing them "
                             f"(one video: flowpose refine {source})")
        try:
            text = source.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{source}: not a manifest (a UTF-8 text file of lines 'VIDEO [POSES [GT]]'), nor a "
                             "folder of videos") from None
        found = []
        for n, line in enumerate(text.splitlines(), 1):
            try:
                words = manifest_words(line)
            except ValueError as e:
                raise InputError(f"{source}:{n}: {e} in {line.strip()!r}") from None
            if not words:
                continue
            if len(words) > 3:
                raise InputError(f"{source}:{n}: expected 'VIDEO [POSES [GT]]', got {line.strip()!r}")
            paths = [None if w == SIDECAR else Path(w) if Path(w).is_absolute() else source.parent / w for w in words]
            video, poses, gt = paths + [None] * (3 - len(paths))
            if video is None:
                raise InputError(f"{source}:{n}: expected a video first, got {SIDECAR!r}")
            if poses is not None and poses.is_dir():
                if gt is not None:
                    raise InputError(f"{source}:{n}: a ground truth is one person's, and {poses} holds several pose "
                                     "files: give each person a line of its own")
                found += [(video, p, None) for p in pose_files_in(poses)]
            else:
                found.append((video, poses, gt))
    else:
        raise InputError(f"{source}: no such folder or manifest file")
    if not found:
        raise InputError(f"{source}: no videos (a folder of {', '.join(VIDEO_SUFFIXES)} files, or a manifest)")
    times_listed = Counter(video for video, _, _ in found)
    items, seen = [], {}
    for video, poses, gt in found:
        stem = video_stem(video)
        label = pose_label(poses).removeprefix(f"{stem}.")  # clip.p1.poses.npz: clip.p1, not clip.clip.p1
        name = stem if times_listed[video] == 1 else f"{stem}.{label}"
        this = f"{video} (poses {poses or sidecar_poses_path(video)})"
        if name in seen:
            raise InputError(f"{source}: {seen[name]} and {this} would both write {out_dir / name}; rename one")
        seen[name] = this
        items.append(BatchItem(video=video, poses=poses, out=out_dir / name, gt=gt))
    return items


def done(item: BatchItem) -> bool:
    """Whether the video's results folder is complete (it exists: folders appear whole)."""
    return all((item.out / name).is_file() for name in (MANIFEST, "history.json", "refined.npz"))


def _row(item: BatchItem, status: str, seconds: float, error: str = "") -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    row.update(video=str(item.video), status=status, seconds=f"{seconds:.1f}", results=str(item.out), error=error)
    if done(item):
        history = json.loads((item.out / "history.json").read_text())
        for key, fmt in (("accel", "{:.2f}"), ("mpjpe", "{:.2f}"), ("pa_mpjpe", "{:.2f}")):
            has = [h["metrics"][key] for h in history if h.get("metrics", {}).get(key) is not None]
            if has:
                row.update({f"{key}_init": fmt.format(has[0]), f"{key}_final": fmt.format(has[-1])})
        row.update(cycles=str(len(history) - 1))
        joints = read_npz(item.out / "refined.npz", "pose file", keys=("joints3d",))["joints3d"]
        row.update(frames=str(joints.shape[0]))
    return row


def run_item(item: BatchItem, job: RefineVideoJob) -> dict[str, str]:
    """Refine one video into its folder and return its summary row; never raises for the video's own errors.

    Args:
        item: the video.
        job: the settings every video shares (its video, poses and out are replaced by the item's).
    """
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        # What the API warns while this video is refined (a joint never observed, ...) is said of this video: a
        # worker refines many, and the terminal's once-per-process warnings would not say which, or only once.
        warnings.simplefilter("always")
        for developers_only in (DeprecationWarning, PendingDeprecationWarning, ResourceWarning):  # of libraries
            warnings.simplefilter("ignore", developers_only)
        try:
            if (missing := _no_poses(item)) is not None:
                raise InputError(missing)
            output = refine_video(replace(for_video(job, item.video), poses=item.poses, out=item.out, gt=item.gt,
                                          progress=False))
        except (FlowposeError, OSError, RuntimeError, ValueError, FloatingPointError) as e:
            message = " ".join(str(e).split())  # one line
            row = _row(item, "failed", time.perf_counter() - start, f"{type(e).__name__}: {message}")
            row["notes"] = _joined([], caught)
            return row
    row = _row(item, "done", time.perf_counter() - start)
    shared = repeated_cycles_note(job.config, job.cycles)  # of the batch's settings, not of this video: told once
    row["notes"] = _joined([n for n in output.notes if n != shared], caught)
    return row


def for_video(job: RefineVideoJob, video: Path) -> RefineVideoJob:
    """The batch's settings for one of its videos: the video, and the camera of a multi-camera ``--intrinsics``
    calibration named as it (``cam01.mp4``: ``cam01``)."""
    camera = None if job.camera is None else replace(job.camera, video=video)
    return replace(job, video=video, camera=camera)


def _no_poses(item: BatchItem) -> str | None:
    """Why a video of the batch has no poses to refine, with where batch looks for them (``refine``'s own message
    names its options, which batch has not); None when it has some, or is not a video file (``refine`` says so)."""
    sidecar = sidecar_poses_path(item.video)
    if item.poses is not None or not item.video.is_file() or sidecar.exists():
        return None
    return (f"{item.video}: no poses: put them in {sidecar} (flowpose estimate {item.video} writes them; with "
            f"--all-people, {people_folder_path(item.video)}/ for everyone), or name them on the video's line of a "
            "manifest")


def _joined(notes: Sequence[str], caught: Sequence[warnings.WarningMessage]) -> str:
    """A video's notes, then each distinct warning of its refinement as ``warning: ...``, one line, for the
    summary's ``notes``."""
    told = [" ".join(note.split()) for note in notes]
    for w in caught:
        line = f"warning: {' '.join(str(w.message).split())}"
        if line not in told:
            told.append(line)
    return NOTE_SEPARATOR.join(told)


def _lost_on_ray(item: BatchItem, error: Exception) -> dict[str, str]:
    """The row of a video whose Ray task did not finish (its worker crashed or was killed, its node died)."""
    message = " ".join(str(error).split())
    return _row(item, "failed", 0.0, f"Ray: {type(error).__name__}: {message[:300]}; run again to retry it")


def earlier_notes(path: Path) -> dict[str, str]:
    """The notes of an earlier summary at ``path`` by results folder, for a resumed batch to keep those of the
    videos it skips; empty when there is none, it is not ours, or it has no notes."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if tuple(reader.fieldnames or ()) not in (COLUMNS, *EARLIER_HEADERS) or "notes" not in reader.fieldnames:
                return {}
            return {row["results"]: row["notes"] for row in reader if row.get("notes")}
    except (OSError, csv.Error, UnicodeDecodeError):
        return {}


def write_summary(path: Path, rows: Sequence[dict[str, str]]) -> None:
    """Write the summary table (CSV, one row per video), atomically; an existing file is replaced only if it is
    an earlier summary (its header is ours).

    Raises:
        InputError: when ``path`` exists and is not a summary flowpose wrote.
    """
    if path.exists():
        first = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0].strip()
        if path.is_dir() or first not in [",".join(header) for header in (COLUMNS, *EARLIER_HEADERS)]:
            raise InputError(f"{path}: exists and is not a flowpose batch summary; choose another --out")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    with atomic_path(path) as tmp:
        tmp.write_text(text.getvalue())


def run_batch(
    items: Sequence[BatchItem],
    job: RefineVideoJob,
    *,
    jobs: int = 1,
    ray_address: str | None = None,
    report: Callable[[dict[str, str]], None] | None = None,
    notes_before: Mapping[str, str] | None = None,
    tell: Callable[[str], None] | None = None,
) -> list[dict[str, str]]:
    """Refine every video not done yet; returns the summary rows in the items' order.

    Args:
        items: from :func:`read_inputs`.
        job: the shared settings (config, cycles, device, seed, ...).
        jobs: worker processes on this machine (1: in this process).
        ray_address: a Ray cluster (``"auto"``, ``"ray://host:10001"``, or ``"local"`` for a one-machine
            cluster started here) instead of local workers.
        report: called with each row as it completes.
        notes_before: an earlier run's notes by results folder (:func:`earlier_notes`), kept in the rows of videos
            done then.
        tell: called with what the batch says of itself (fewer videos at once for lack of memory:
            :mod:`flowpose.app.batch_memory`).
    """
    if jobs < 1:
        raise InputError(f"--jobs must be >= 1, got {jobs}")
    for parent in {item.out.parent for item in items}:
        parent.mkdir(parents=True, exist_ok=True)
    rows: dict[int, dict[str, str]] = {}
    todo = []
    for k, item in enumerate(items):
        if done(item):
            rows[k] = _row(item, "skipped (done before)", 0.0)
            rows[k]["notes"] = (notes_before or {}).get(str(item.out), "")
        elif item.out.exists() or item.out.is_symlink():
            rows[k] = _row(item, "failed", 0.0, f"{item.out}: exists and is not a finished flowpose result; batch "
                           "replaces nothing: move it away or choose another --out")
        else:
            todo.append(k)
            continue
        if report:
            report(rows[k])
    one = functools.partial(run_item, job=job)
    mine = [items[k] for k in todo]
    if ray_address is None and jobs > 1 and len(todo) > 1:
        jobs = _jobs_within_memory(mine, job, jobs, tell)
    if ray_address is not None:
        results = run_on_ray(one, mine, ray_address, on_error=_lost_on_ray)
    elif jobs == 1 or len(todo) <= 1:
        results = ((i, one(item)) for i, item in enumerate(mine))
    else:
        results = run_in_workers(one, mine, jobs, threads=max(1, (os.cpu_count() or 1) // jobs))
    try:
        for i, row in results:
            rows[todo[i]] = row
            if report:
                report(row)
    except (Stopped, KeyboardInterrupt):
        if ray_address is not None:  # a task ended by force leaves its temporary folder (ray_tasks)
            for k in todo:
                if k not in rows:
                    remove_temporary_folders(items[k].out)
        raise
    except WorkerLost as lost:  # only from run_in_workers: every video not done is lost with the pool
        for k in todo:
            if k not in rows:
                rows[k] = _row(items[k], "failed", 0.0, f"{lost}; run again to retry it (--jobs 1 shows which)")
                if report:
                    report(rows[k])
    return [rows[k] for k in range(len(items))]


def _jobs_within_memory(
    items: Sequence[BatchItem], job: RefineVideoJob, jobs: int, tell: Callable[[str], None] | None
) -> int:
    """``jobs``, or fewer where the largest videos would not fit side by side in the memory available
    (:mod:`flowpose.app.batch_memory`), told."""
    try:
        models = [load_flow_model(name, weights) for name, weights in zip(job.config.flow.names, job.config.flow.weights)]
    except FlowposeError:  # every video's refinement says why
        return jobs
    needs = [n for item in items
             if (n := video_need(item.video, item.poses, job.config, models, keep_flow=job.overlay)) is not None]
    jobs = min(jobs, len(items))
    available = available_memory_bytes()
    fit = jobs_that_fit(needs, jobs, available)
    if fit < jobs and tell is not None and available is not None:
        tell(fewer_jobs_note(needs, jobs, fit, available))
    return fit


def default_jobs() -> int:
    """Worker processes when ``--jobs`` is not given: half the CPU cores, at most 4, at least 1."""
    return max(1, min(4, (os.cpu_count() or 1) // 2))


def batch_folder(
    source: Path,
    out_dir: Path,
    job: RefineVideoJob,
    *,
    jobs: int | None = None,
    ray_address: str | None = None,
    report: Callable[[dict[str, str]], None] | None = None,
    tell: Callable[[str], None] | None = None,
) -> list[dict[str, str]]:
    """What ``flowpose batch SOURCE --out OUT`` does: check the shared settings and every input before any
    video, refine what is not done yet (:func:`run_batch`), and write ``OUT/summary.csv``.

    Args:
        source: a folder of videos or a manifest (module docstring).
        out_dir: the folder of results, made if missing.
        job: the shared settings; its ``video`` is ignored.
        jobs: worker processes on this machine; None: :func:`default_jobs`.
        ray_address: see :func:`run_batch`.
        report: called with each row as it completes.
        tell: see :func:`run_batch`.

    Returns:
        The summary rows, in the inputs' order.

    Raises:
        InputError: for bad shared settings, unreadable or duplicate inputs, an ``out_dir`` that is a file, or
            a Ray cluster not reached; before any video is refined.
    """
    check_settings(replace(job, camera=None, floor_z=None, camera_place=None))  # each video's camera: checked below
    items = read_inputs(source, out_dir)
    if job.camera is not None and job.camera.intrinsics is not None:  # each video's camera (and its place, for the
        # floor), told now, before any work
        path = job.camera.intrinsics
        cameras = read_rig(path) if path is not None and is_rig_file(path) else None
        for item in items:
            if cameras is not None:
                choose_camera(cameras, path, None, item.video,
                              hint="batch takes each video's camera by the video's name (cam01.mp4: cam01)")
            for_video(job, item.video).camera.camera_file()
    if job.floor_z is not None or job.camera_place is not None:
        for item in items:
            check_settings(for_video(job, item.video))  # the floor's camera: placed once, by a file or as given
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir}: exists and is not a folder")
    if ray_address is not None:
        connect_ray(ray_address)  # before the results folder is made: a cluster not reached leaves nothing
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = run_batch(items, job, jobs=default_jobs() if jobs is None else jobs, ray_address=ray_address,
                     report=report, notes_before=earlier_notes(out_dir / SUMMARY), tell=tell)
    write_summary(out_dir / SUMMARY, rows)
    return rows
