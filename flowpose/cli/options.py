"""Options several commands share (the frames used, the estimator, the camera), and the refinement config they
build from the preset and the flow options."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import click
from click.core import ParameterSource

from flowpose.errors import InputError

if TYPE_CHECKING:
    from flowpose.camera_place import CameraPlace
    from flowpose.config import RefineConfig
    from flowpose.estimate.mediapipe import EstimateConfig
    from flowpose.io.intrinsics import CameraOptions


ESTIMATOR_PARAMETERS = ("track", "min_confidence", "carry_frames", "min_frames", "looks", "mirrored_2d", "max_people", "person")
"""The parameters of :func:`estimator_options`."""


def refuse_unused(names: tuple[str, ...], why: str) -> None:
    """Refuse options the user gave that the run would ignore: a result they believe it is not.

    Args:
        names: parameter names of the current command.
        why: the end of the message, e.g. ``"used only with --smpl"``.

    Raises:
        InputError: naming the options as they are spelled on the command line.
    """
    ctx = click.get_current_context()
    flags = {p.name: p.opts[0] for p in ctx.command.params}
    given = [flags[n] for n in names if ctx.get_parameter_source(n) in (ParameterSource.COMMANDLINE,
                                                                       ParameterSource.ENVIRONMENT)]
    if given:
        raise InputError(f"{', '.join(given)}: {why}")


def show_progress(quiet: bool) -> bool:
    """Whether a command draws progress bars: not with ``--quiet``, and only on a terminal. A bar redraws itself
    with carriage returns, which a log file or a pipe keeps, every redraw (``refine --estimate`` of a 399-frame
    clip: 15 kB)."""
    return not quiet and sys.stderr.isatty()


def floor_option(fn: Callable) -> Callable:
    """``--floor Z`` (parameter ``floor_z``): the person stands on the floor of the ``--intrinsics`` calibration, or of
    :func:`camera_place_options` (:mod:`flowpose.floor`)."""
    return click.option(
        "--floor",
        "floor_z",
        type=float,
        default=None,
        help="The person stands on the floor of the --intrinsics calibration (a world with Z up and the floor at "
        "z = 0: Qualisys's, Pose2Sim's), or of --camera-height and --camera-tilt, at this height, metres (0: its "
        "floor; a platform's top otherwise): scaled about the camera to stand there.",
    )(fn)


def floor_contact_option(fn: Callable) -> Callable:
    """``--floor-contact`` (parameter ``floor_contact``): with ``--floor``, a foot held on that floor in every frame
    not in the air (:func:`with_floor_contact`)."""
    return click.option(
        "--floor-contact",
        "floor_contact",
        is_flag=True,
        help="With --floor: also hold the lower foot on that floor, the body moved there whole, in every frame but "
        "those where the estimate puts it over 0.2 m up (in the air): the body nearer its place in the world. Made "
        "for a foot down most of the time (standing, walking, balancing).",
    )(fn)


def with_floor_contact(config: RefineConfig, floor_z: float | None, contact: bool) -> RefineConfig:
    """``config`` with L_contact on at :data:`flowpose.floor.CONTACT_WEIGHT` for the floor at world z ``floor_z``
    (``--floor-contact``); as it is without it.

    Raises:
        InputError: ``contact`` without a floor.
    """
    if not contact:
        return config
    if floor_z is None:
        raise InputError("--floor-contact holds a foot on the floor of --floor (or of --camera-height and "
                         "--camera-tilt), which was not given")
    from flowpose.floor import CONTACT_WEIGHT

    return replace(config, pose=replace(config.pose, w_contact=CONTACT_WEIGHT, contact_floor_z=floor_z))


def camera_place_options(fn: Callable) -> Callable:
    """``--camera-height M`` and ``--camera-tilt PITCH[,ROLL]`` (parameters ``camera_height``, ``camera_tilt``): the
    camera's place above the floor as the user measured it, for ``--floor`` without a calibration
    (:mod:`flowpose.camera_place`; :func:`camera_place_from_options`)."""
    fn = click.option(
        "--camera-tilt",
        "camera_tilt",
        default=None,
        metavar="PITCH[,ROLL]|auto",
        help="With --camera-height: the degrees the camera looks below the horizon (a level app's reading; 0: level), "
        "and its roll, degrees (positive: the horizon rises to the right of the image) [default roll: 0]; auto: both "
        "read from the scene's vertical lines (door frames, wall corners), through --intrinsics or --focal-px.",
    )(fn)
    return click.option(
        "--camera-height",
        "camera_height",
        type=float,
        default=None,
        help="The camera's height above the floor the person stands on, metres (a tape; with --camera-tilt): the "
        "floor without a calibration (refine: --floor defaults to 0 with it; export: upright on that floor).",
    )(fn)


def camera_place_from_options(height: float | None, tilt: str | None) -> CameraPlace | None:
    """(height m, pitch, roll degrees) from ``--camera-height`` and ``--camera-tilt``, the pitch and roll None for
    ``--camera-tilt auto`` (read from the video: :mod:`flowpose.vertical_lines`); None when neither is given.

    Raises:
        InputError: one given without the other, or a tilt that is not one or two numbers.
    """
    from flowpose.camera_place import placed_frame

    if height is None and tilt is None:
        return None
    if height is None:
        raise InputError("--camera-tilt needs --camera-height M, the camera's height above the floor")
    if tilt is None:
        raise InputError("--camera-height needs --camera-tilt PITCH[,ROLL]: the degrees the camera looks below the "
                         "horizon (0: level), and its roll; or --camera-tilt auto")
    if tilt.strip().lower() == "auto":
        try:
            placed_frame(height, 0.0)  # the height is checked now, the tilt where the video is read
        except InputError as e:
            raise InputError(f"--camera-height {height:g}: {e}") from None
        return height, None, None
    try:
        angles = [float(a) for a in tilt.split(",")]
    except ValueError:
        angles = []
    if len(angles) not in (1, 2):
        raise InputError(f"--camera-tilt: expected PITCH or PITCH,ROLL in degrees (e.g. 20 or 20,-3), or auto, got "
                         f"{tilt!r}")
    pitch, roll = angles[0], angles[1] if len(angles) == 2 else 0.0
    try:
        placed_frame(height, pitch, roll)  # a place that cannot be is refused now
    except InputError as e:
        raise InputError(f"--camera-height {height:g} --camera-tilt {tilt}: {e}") from None
    return height, pitch, roll


def fps_option(fn: Callable) -> Callable:
    """``--fps F``: the frames' rate (parameter ``fps``), for image folders and videos whose own is wrong."""
    return click.option(
        "--fps",
        type=click.FloatRange(min=0, min_open=True, max=1e4),
        default=None,
        help="The frames' rate, per second (it sets the motion priors' strength), the frames evenly spaced at it. "
        "Default: a video file's own (a variable rate's frames at their own times); an image folder has none "
        "(refine keeps the poses', estimate assumes 30).",
    )(fn)


def without_flow_option(fn: Callable) -> Callable:
    """``--without-flow``: the flow-free baseline (parameter ``without_flow``; :func:`flowpose.config.without_flow`)."""
    return click.option(
        "--without-flow",
        is_flag=True,
        help="The baseline to compare with: the same refinement without the flow (no flow term, no fine-tuning; "
        "swaps repaired by continuity).",
    )(fn)


PART_OVERLAP = 30
"""``RefineConfig.part_overlap``'s default, written here (a test keeps them equal): importing the configuration
imports torch, which the command line's help does not wait for."""


class PartFrames(click.ParamType):
    """``--part-frames``' value: a number of frames, at least 3 x the overlap, or ``auto``."""

    name = "N|auto"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int | str:
        if value == "auto":
            return "auto"
        try:
            frames = int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            self.fail(f"expected a number of frames (at least {3 * PART_OVERLAP}) or auto, got {value!r}", param, ctx)
        return click.IntRange(min=3 * PART_OVERLAP).convert(frames, param, ctx)


def part_frames_option(fn: Callable) -> Callable:
    """``--part-frames N|auto``: refine a long video in overlapping parts (parameter ``part_frames``;
    ``RefineConfig.part_frames``)."""
    return click.option(
        "--part-frames",
        type=PartFrames(),
        default=None,
        help=f"Refine a video longer than N frames in parts of at most N, one after another, sharing {PART_OVERLAP} "
        "frames where they meet, and join them (one skeleton; with --smpl one shape, the rotations turned across the "
        "shared frames): the memory is a part's (and, with --viz, the joined flow's). auto: "
        "the whole video where the memory available holds it, else the longest parts that fit. Default: the whole "
        "video at once.",
    )(fn)


def segment_options(fn: Callable) -> Callable:
    """``--start S --frames N --fps F``: the segment of the video used and its frame rate (parameters ``start``,
    ``num_frames``, ``fps``)."""
    fn = fps_option(fn)
    fn = click.option(
        "--frames",
        "num_frames",
        type=int,
        default=None,
        help="Use at most this many frames from --start (default: to the end).",
    )(fn)
    return click.option("--start", type=int, default=0, show_default=True, help="First frame used.")(fn)


def estimator_options(fn: Callable) -> Callable:
    """MediaPipe's options (``--track``, ``--min-confidence``, ``--carry-frames``, ``--min-frames``, ``--looks``,
    ``--people``, ``--person``), for ``estimate`` and ``refine --estimate``."""
    fn = click.option(
        "--person",
        default="prominent",
        show_default=True,
        help="Whom to follow: prominent (biggest, surest, longest seen), largest, center, or a track id N "
        "(see people.png from estimate --all-people).",
    )(fn)
    fn = click.option(
        "--people",
        "max_people",
        type=click.IntRange(min=1),
        default=3,
        show_default=True,
        help="People looked for in each frame (1 is fastest).",
    )(fn)
    fn = click.option(
        "--min-confidence",
        type=click.FloatRange(0.0, 1.0),
        default=0.5,
        show_default=True,
        help="MediaPipe's detection/tracking confidence threshold.",
    )(fn)
    fn = click.option(
        "--carry-frames",
        type=click.IntRange(min=0),
        default=10,
        show_default=True,
        help="Carry the person along the optical flow through misses of up to this many frames (0: leave them "
        "unobserved).",
    )(fn)
    fn = click.option(
        "--min-frames",
        type=click.IntRange(min=1),
        default=10,
        show_default=True,
        help="Leave out people found in fewer frames (brief tracks are mostly one body fitted across two people).",
    )(fn)
    fn = click.option(
        "--looks",
        type=click.IntRange(0, 6),  # flowpose.estimate.mediapipe.MAX_LOOKS (a test keeps them equal)
        default=0,
        show_default=True,
        help="More MediaPipe looks at the crop around the person, mirrored and not, averaged with the first "
        "(3D and 2D; one more MediaPipe run per frame on a crop each). Real clip: 2 lowers the refined MPJPE 3.6-5.4%.",
    )(fn)
    fn = click.option("--mirrored-2d", is_flag=True, hidden=True,
                      help="Replaced by --looks 1 (which averages the 3D with the mirrored look's too).")(fn)
    return click.option(
        "--track",
        is_flag=True,
        help="MediaPipe video mode: follow the person from frame to frame (finds more, in close-ups; for one person "
        "in view: with several it can split a person into pieces).",
    )(fn)


def estimate_config_from_options(
    track: bool, min_confidence: float, carry_frames: int, min_frames: int, looks: int, mirrored_2d: bool,
    max_people: int,
) -> EstimateConfig:
    """The estimator's settings as :func:`estimator_options` parsed them (``--person`` is the job's, not these).
    ``--mirrored-2d``, the earlier option, is ``--looks 1`` and says so."""
    from flowpose.estimate.mediapipe import EstimateConfig

    if mirrored_2d:
        click.echo("note: --mirrored-2d is now --looks 1, which averages the 3D with the mirrored look's too", err=True)
        looks = max(looks, 1)
    return EstimateConfig(tracking=track, min_confidence=min_confidence, people=max_people,
                          carry_frames=carry_frames, min_frames=min_frames, looks=looks)


class FocalLength(click.ParamType):
    """``--focal-px``: a number of pixels, or ``auto`` (read from the video: :mod:`flowpose.scene_focal`)."""

    name = "focal"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float | str:
        """``"auto"``, or the value as a float; anything else is refused naming the option."""
        if isinstance(value, float) or str(value).strip().lower() == "auto":
            return value if isinstance(value, float) else "auto"
        try:
            return float(str(value))
        except ValueError:
            self.fail(f"expected a focal length in pixels or auto, got {value!r}", param, ctx)


def camera_options(fn: Callable) -> Callable:
    """``--intrinsics`` (with ``--camera``), ``--focal-px``, ``--fov``: how the user describes the camera
    (:func:`camera_from_options`)."""
    fn = click.option(
        "--camera",
        "camera_name",
        default=None,
        help="The camera of a multi-camera --intrinsics file (Pose2Sim's or anipose's .toml, Qualisys's .qca.txt, "
        "EasyMocap's intri.yml), by name [default: its only one, or the one named as the video: cam01.mp4, cam01].",
    )(fn)
    fn = click.option(
        "--fov",
        type=float,
        default=None,
        help="Horizontal field of view (across the image width), degrees: a guess when nothing else is known "
        "[default: 60].",
    )(fn)
    fn = click.option(
        "--focal-px",
        type=FocalLength(),
        default=None,
        metavar="F|auto",
        help="Focal length in pixels (principal point at the image centre); auto: read from the scene's lines (a room's "
        "verticals and the edges of its floor, walls and furniture).",
    )(fn)
    return click.option(
        "--intrinsics",
        type=click.Path(path_type=Path),
        default=None,
        help="Calibrated camera: 3x3 K or fx fy cx cy in .txt, .npy, .npz (key K) or .json, OpenCV's or ROS's "
        "calibration .yml/.yaml/.xml, or a multi-camera calibration (.toml, .qca.txt, intri.yml; see --camera); lens "
        "distortion (dist) is read where the file gives it.",
    )(fn)


def camera_from_options(
    intrinsics: Path | None, focal_px: float | str | None, fov: float | None, camera_name: str | None,
    video: Path | None
) -> CameraOptions:
    """The camera as :func:`camera_options` described it, for ``video`` (whose name picks its camera in a
    multi-camera file); the field of view defaults to 60 degrees; ``focal_px`` ``"auto"``: read from the video."""
    from flowpose.io.intrinsics import CameraOptions

    auto = focal_px == "auto"
    return CameraOptions(intrinsics=intrinsics, focal_px=None if auto else focal_px, focal_from_scene=auto,
                         fov_deg=60.0 if fov is None else fov,
                         camera=camera_name, video=video)


def described_camera(
    intrinsics: Path | None, focal_px: float | str | None, fov: float | None, camera_name: str | None, video: Path | None
) -> CameraOptions | None:
    """:func:`camera_from_options` when the user gave any camera option; None when they gave none (the input's
    own camera is kept then)."""
    if intrinsics is None and focal_px is None and fov is None and camera_name is None:
        return None
    return camera_from_options(intrinsics, focal_px, fov, camera_name, video)


def refine_config_from_options(
    preset: str, flow: str | None, flow_weights: str | None, without_flow: bool = False,
    part_frames: int | str | None = None,
) -> RefineConfig:
    """The preset, with --flow / --flow-weights (and --without-flow, --part-frames) applied; names and weight files
    are checked now, not later."""
    from dataclasses import replace

    from flowpose.config import get_preset
    from flowpose.config import without_flow as flow_free
    from flowpose.errors import WeightsUnavailableError
    from flowpose.flow.registry import flow_backend
    from flowpose.flow.weights import resolve_weights

    try:
        cfg = get_preset(preset)
    except InputError as e:
        raise InputError(f"--preset: {e}") from None
    names = (flow,) if flow is not None else cfg.flow.names
    for name in names:
        try:
            backend = flow_backend(name)
        except InputError as e:
            raise InputError(f"--flow: {e}") from None
        if flow_weights is not None and not backend.takes_weights:
            raise InputError(f"--flow-weights: the {name!r} flow model takes no weights, got {flow_weights}")
        if flow_weights is not None:
            try:
                resolve_weights(flow_weights, model=name, allow_download=False)
            except InputError as e:
                raise InputError(f"--flow-weights: {e}") from None
            except WeightsUnavailableError:
                pass  # a registry name not cached yet: the real load downloads it (or says why it cannot)
    weights = (
        tuple(flow_weights for _ in names)
        if flow is not None or flow_weights is not None
        else cfg.flow.weights
    )
    cfg = replace(cfg, flow=replace(cfg.flow, names=names, weights=weights), part_frames=part_frames)
    return flow_free(cfg) if without_flow else cfg
