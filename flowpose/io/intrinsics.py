"""The camera of a video: intrinsics from a file, a focal length, or a field-of-view guess.

A calibration file may also hold lens distortion coefficients (OpenCV's order k1, k2, p1, p2[, k3, ...]): they
are read, checked and kept with the poses (:attr:`flowpose.pose.PoseSequence.dist`, :mod:`flowpose.lens`), and
the run says how far they move pixels.

Conventions. Pixel (0, 0) is the centre of the top-left pixel. A field of view is *horizontal*: it spans the
image's width (its longer side on landscape video, its shorter side on portrait video), so
``f = (W / 2) / tan(fov / 2)``. Without a file the principal point is the image centre,
``((W - 1) / 2, (H - 1) / 2)``; a calibrated K is the only way to give another one.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from flowpose.camera import intrinsics_from_fov
from flowpose.errors import InputError, ShapeError
from flowpose.io.npz import npy_header_problem, read_npz
from flowpose.io.poses import check_readable, read_json
from flowpose.io.rig_files import RIG_FORMATS, RigCamera, choose_camera, is_rig_file, read_rig
from flowpose.io.world_frame import WorldFrame, world_frame
from flowpose.lens import distortion_shift_px
from flowpose.pose import check_intrinsics, checked_distortion

INTRINSICS_SUFFIXES = (".npy", ".txt", ".npz", ".json", ".yml", ".yaml", ".xml", ".toml")
K_KEYS = ("K", "camera_matrix", "cameraMatrix")
"""Names of K in a file of named arrays: ``.npz``, ``.json``, OpenCV's ``.yml``/``.xml``, ROS's ``.yaml``."""
DISTORTION_KEYS = ("dist", "distortion", "distortion_coefficients", "distCoeffs", "dist_coeffs", "D")
"""Names of the lens distortion coefficients beside K (OpenCV's order: k1, k2, p1, p2[, k3[, k4, k5, k6, ...]])."""


def intrinsics_matrix(values: np.ndarray, source: str) -> np.ndarray:
    """A (3, 3) K from 9 numbers (row-major 3x3) or 4 numbers ``fx fy cx cy``, checked.

    Args:
        values: the numbers, any shape holding 9 or 4 of them.
        source: the file or option they came from, for messages.

    Returns:
        (3, 3) float64 K.

    Raises:
        ShapeError: for any other count.
        InputError: for a K that is not a pinhole matrix with positive focal lengths.

    Example:
        >>> intrinsics_matrix(np.array([500.0, 500.0, 320.0, 240.0]), "K").tolist()[0]
        [500.0, 0.0, 320.0]
    """
    v = np.asarray(values, np.float64)
    if v.size == 4:
        fx, fy, cx, cy = v.ravel()
        K = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    elif v.shape == (3, 3) or v.shape == (9,):
        K = v.reshape(3, 3)
    else:
        raise ShapeError("K", "(3, 3) or 4 numbers fx fy cx cy", v.shape, source)
    check_intrinsics(K, f"{source}: ")
    return K


@dataclass(frozen=True)
class CameraFile:
    """What a camera file holds: K, and the lens distortion where the file gives it."""

    K: np.ndarray
    """(3, 3) float64 pinhole intrinsics, px."""
    dist: np.ndarray | None
    """(n,) float64 distortion coefficients in OpenCV's order, n in ``flowpose.pose.DISTORTION_COUNTS``; None: none given."""
    camera: str | None = None
    """The camera's name, for a file of several cameras (:mod:`flowpose.io.rig_files`); None: a file of one."""
    size: tuple[int, int] | None = None
    """(H, W) px of the frames the camera was calibrated on, where the file says; None: it does not."""
    rig: RigCamera | None = None
    """The camera as a multi-camera file gives it (with its place in the world, where the file has it); None: a
    file of one camera."""

    @property
    def distorted(self) -> bool:
        """True when the file gives a lens distortion that is not zero."""
        return self.dist is not None and bool(np.any(self.dist != 0.0))


def load_intrinsics(path: str | os.PathLike[str]) -> np.ndarray:
    """Read K from a camera file (:func:`load_camera_file`; of a multi-camera file, its only camera), without its
    distortion.

    Raises:
        InputError: for a missing or unreadable file, or a K that is not 3x3 with positive focal lengths.
    """
    return load_camera_file(path).K


def load_camera_file(
    path: str | os.PathLike[str], camera: str | None = None, video: str | os.PathLike[str] | None = None
) -> CameraFile:
    """Read K, and the lens distortion coefficients where the file has them.

    A calibration file of several cameras (Pose2Sim's or anipose's ``.toml``, Qualisys's ``.qca.txt``,
    EasyMocap's ``intri.yml``: :mod:`flowpose.io.rig_files`) gives the camera named ``camera``, else its only camera, else the one named as
    ``video``'s file (``cam01.mp4``: camera ``cam01``); such a camera carries its name and the frame size it was
    calibrated on.

    Formats: ``.npy`` (K), ``.txt`` (three rows of three numbers, or one row of four), ``.npz`` (K under a name
    of ``K_KEYS``, the distortion under one of ``DISTORTION_KEYS``), ``.json`` (a 3x3 list, a list of four, or an
    object with K under a name of ``K_KEYS`` or with ``fx, fy, cx, cy``, and the distortion), and
    ``.yml``/``.yaml``/``.xml`` as OpenCV's calibration writes them (``camera_matrix``,
    ``distortion_coefficients``) or as ROS's camera_info (the same names, each with ``rows``, ``cols``, ``data``).

    Raises:
        InputError: for a missing or unreadable file, a K that is not 3x3 with positive focal lengths,
            distortion coefficients that are not 4, 5, 8, 12 or 14 finite numbers, a ``camera`` named for a file
            of one camera, or a file of several where none is named or none has the name.
    """
    p = check_readable(path, INTRINSICS_SUFFIXES, "camera intrinsics file (3x3 K or fx fy cx cy)")
    if is_rig_file(p):
        chosen = choose_camera(read_rig(p), p, camera, None if video is None else Path(video))
        where = f"{p}: camera {chosen.name}: "
        check_intrinsics(chosen.K, where)
        dist = None if chosen.dist is None else checked_distortion(chosen.dist, where)
        return CameraFile(chosen.K, dist, chosen.name, chosen.size, chosen)
    if camera is not None:
        raise InputError(f"{p}: a camera file of one camera, got --camera {camera} (it names a camera of a file of "
                         f"several: {RIG_FORMATS})")
    suffix = p.suffix.lower()
    dist = None
    try:
        if suffix == ".npz":
            data = read_npz(p, "camera intrinsics file")
            values, dist = _named(p, data, K_KEYS), _optional(data, DISTORTION_KEYS)
        elif suffix == ".npy":
            problem = npy_header_problem(p)
            if problem is not None:
                raise InputError(f"{p}: not a readable camera intrinsics file: {problem}")
            values = np.load(p, allow_pickle=False)
        elif suffix == ".json":
            doc = read_json(p, "camera intrinsics file")
            values = _json_values(p, doc)
            dist = _optional(doc, DISTORTION_KEYS) if isinstance(doc, dict) else None
        elif suffix in (".yml", ".yaml", ".xml"):
            data, keys = _read_file_storage(p, K_KEYS + DISTORTION_KEYS)
            values, dist = _named(p, data, K_KEYS, keys), _optional(data, DISTORTION_KEYS)
        else:
            values = np.loadtxt(p, ndmin=2)
        K = intrinsics_matrix(values, str(p))
        return CameraFile(K, None if dist is None else checked_distortion(dist, f"{p}: "))
    except InputError:
        raise  # already names the file and the problem
    except (ValueError, TypeError, OSError, EOFError) as e:
        raise InputError(f"{p}: not a readable camera intrinsics file: {e}") from None


def _named(path: Path, data: dict, names: tuple[str, ...], keys: list[str] | None = None) -> object:
    """The value of the first of ``names`` that ``data`` has; InputError naming them all, and the file's ``keys``
    (default: ``data``'s), when none."""
    for name in names:
        if name in data:
            return data[name]
    has = sorted(data) if keys is None else sorted(keys)
    raise InputError(f"{path}: missing key {' or '.join(repr(n) for n in names)}; has {has}")


def _optional(data: dict, names: tuple[str, ...]) -> object | None:
    """The value of the first of ``names`` that ``data`` has, or None."""
    return next((data[name] for name in names if name in data), None)


def _read_file_storage(path: Path, names: tuple[str, ...]) -> tuple[dict[str, np.ndarray], list[str]]:
    """The arrays of ``names`` that an OpenCV FileStorage file (YAML or XML) holds (``!!opencv-matrix`` nodes, or
    maps with a ``data`` list: ROS camera_info), and the names of everything at its top level."""
    if path.stat().st_size == 0:
        raise InputError(f"{path}: not a readable camera intrinsics file: it is empty")
    try:
        storage = cv2.FileStorage(str(path), cv2.FILE_STORAGE_READ)
    except (cv2.error, SystemError) as e:  # OpenCV's Python binding wraps a parse error in a SystemError
        raise InputError(f"{path}: not a readable camera intrinsics file: {_opencv_problem(e)}") from None
    if not storage.isOpened():
        raise InputError(f"{path}: not a readable camera intrinsics file (OpenCV cannot open it)")
    found: dict[str, np.ndarray] = {}
    try:
        root = storage.root()
        keys = list(root.keys()) if root.isMap() else []
        for name in names:
            node = storage.getNode(name)
            if node.empty():
                continue
            try:
                if node.isMap() and "data" in node.keys():
                    node = node.getNode("data")
                if node.isSeq():
                    found[name] = np.array([node.at(i).real() for i in range(node.size())])
                else:
                    found[name] = node.mat()
            except cv2.error:
                found[name] = None
            if found[name] is None:
                raise InputError(f"{path}: {name!r} is not a matrix or a list of numbers")
    finally:
        storage.release()
    return found, keys


def _opencv_problem(error: Exception) -> str:
    """OpenCV's own words for a failure, without its version and source file: ``Parsing error: ...``."""
    cause = error.__cause__ if error.__cause__ is not None else error
    text = str(cause).strip().splitlines()[-1]
    match = re.search(r"error: \(-?\d+:([^)]*)\) (.*)", text)
    return f"{match.group(1)}: {match.group(2)}" if match else text


def _json_values(path: Path, doc: object) -> np.ndarray:
    """K's numbers from a JSON document: a list, or an object with K or with fx, fy, cx, cy."""
    if isinstance(doc, dict):
        key = next((k for k in K_KEYS if k in doc), None)
        if key is not None:
            doc = doc[key]
        elif all(k in doc for k in ("fx", "fy", "cx", "cy")):
            doc = [doc["fx"], doc["fy"], doc["cx"], doc["cy"]]
        else:
            raise InputError(f"{path}: expected key 'K' or keys fx, fy, cx, cy; has {sorted(doc)}")
    return np.asarray(doc, np.float64)


def fitted_intrinsics(camera: CameraFile, image_size: tuple[int, int], source: str) -> tuple[np.ndarray, float]:
    """The file's K for frames of ``image_size`` (H, W) px, and the scale applied (1.0: none).

    A camera calibrated on frames of another size (the file says which: :attr:`CameraFile.size`) is scaled to the
    video's where both sides scale alike (a video resized after capture): ``f' = s f``, ``c' = s (c + 1/2) - 1/2``
    (pixel centres at integers); the lens distortion, in normalised coordinates, is unchanged. Where the file
    gives no size, or one within a pixel of the frames' (Pose2Sim's conversion of a Qualisys file counts
    ``right - left``), or ``image_size`` is unknown (zeros), K is as the file has it.

    Raises:
        InputError: the sides scale differently (another camera's video, a cropped or turned one).

    Example:
        >>> camera = CameraFile(np.array([[1000.0, 0, 959.5], [0, 1000.0, 539.5], [0, 0, 1]]), None, "c1", (1080, 1920))
        >>> K, scale = fitted_intrinsics(camera, (540, 960), "calib.toml")
        >>> scale, K[0].tolist()
        (0.5, [500.0, 0.0, 479.5])
    """
    H, W = image_size
    if camera.size is None or H <= 0 or W <= 0:
        return camera.K, 1.0
    H0, W0 = camera.size
    if abs(H - H0) <= 1 and abs(W - W0) <= 1:  # the same frames, counted another way (Pose2Sim's right - left)
        return camera.K, 1.0
    sx, sy = W / W0, H / H0
    if abs(sx / sy - 1.0) > 0.01:
        raise InputError(
            f"{source}: camera {camera.camera} was calibrated on {W0}x{H0} frames (W x H), the video's are {W}x{H}: "
            "not this camera's video, or a cropped or turned one; give the camera of these frames"
        )
    K = camera.K.copy()
    K[0, :2] *= sx
    K[1, 1] *= sy
    K[0, 2] = sx * (K[0, 2] + 0.5) - 0.5
    K[1, 2] = sy * (K[1, 2] + 0.5) - 0.5
    return K, sx


@dataclass(frozen=True)
class CameraOptions:
    """How the user described the camera (``--intrinsics``, ``--focal-px``, ``--fov``); the first given wins."""

    intrinsics: Path | None = None
    """A file holding K (:func:`load_intrinsics`)."""
    focal_px: float | None = None
    """The focal length in pixels (square pixels, principal point at the image centre)."""
    focal_from_scene: bool = False
    """``--focal-px auto``: the focal length is read from the video's lines (:mod:`flowpose.scene_focal`), which
    :func:`flowpose.scene_focal.resolved_camera` does into ``focal_px`` before K is needed."""
    fov_deg: float = 60.0
    """The horizontal field of view, degrees: a guess when nothing else is known (60 suits phones and webcams)."""
    camera: str | None = None
    """The camera of a calibration file of several (``--camera``); None: its only one, or the one named as ``video``."""
    video: Path | None = None
    """The video filmed (a file or a folder of frames): its name names its camera in a file of several."""

    def __post_init__(self) -> None:
        if self.focal_px is not None and not (math.isfinite(self.focal_px) and self.focal_px > 0):
            raise InputError(f"--focal-px must be a positive number of pixels, got {self.focal_px}")
        if not 0.0 < self.fov_deg < 180.0:
            raise InputError(f"--fov must lie in (0, 180) degrees, got {self.fov_deg}")
        if self.camera is not None and self.intrinsics is None:
            raise InputError(f"--camera {self.camera}: names a camera of an --intrinsics calibration file; no "
                             "--intrinsics was given")

    @property
    def guessed(self) -> bool:
        """True when only the field of view (a guess) describes the camera."""
        return self.intrinsics is None and self.focal_px is None and not self.focal_from_scene

    def matrix(self, image_size: tuple[int, int]) -> np.ndarray:
        """(3, 3) K for frames of ``image_size`` (H, W) px.

        Raises:
            InputError: for an unreadable intrinsics file.
        """
        if self.intrinsics is not None:
            return fitted_intrinsics(self.camera_file(), image_size, str(self.intrinsics))[0]
        H, W = image_size
        if self.focal_px is None and self.focal_from_scene:
            raise InputError("--focal-px auto reads the focal length from a video's lines where refine or estimate "
                             "reads the video; here give --focal-px F or --intrinsics FILE")
        if self.focal_px is not None:
            return np.array([[self.focal_px, 0.0, (W - 1) / 2], [0.0, self.focal_px, (H - 1) / 2], [0.0, 0.0, 1.0]])
        return intrinsics_from_fov(W, H, self.fov_deg)

    def describe(self, image_size: tuple[int, int]) -> str:
        """One line for the user: where the focal length came from, whether it is a guess, and how far the file's
        lens distortion moves pixels."""
        if self.intrinsics is not None:
            camera = self.camera_file()
            K, scale = fitted_intrinsics(camera, image_size, str(self.intrinsics))
            named = "" if camera.camera is None else f", camera {camera.camera}"
            scaled = "" if scale == 1.0 else f", scaled by {scale:.4g} to these frames"
            line = f"camera: K from {self.intrinsics}{named} (fx {K[0, 0]:.1f} px{scaled})"
            if camera.distorted:
                edge, middle = distortion_shift_px(K, camera.dist, image_size)
                line += f", with lens distortion: {edge:.1f} px at most, {middle:.1f} px in the middle of the frame"
            return line
        K = self.matrix(image_size)
        if self.focal_px is not None:
            read = " read from the scene's lines (--focal-px auto)" if self.focal_from_scene else ""
            return f"camera: focal length {self.focal_px:.1f} px{read}, principal point at the image centre"
        return (
            f"camera: focal length {K[0, 0]:.1f} px is a GUESS from --fov {self.fov_deg:g} (horizontal); "
            "pass --intrinsics FILE or --focal-px F for metric depth"
        )

    def distortion(self) -> np.ndarray | None:
        """(n,) the intrinsics file's lens distortion coefficients (OpenCV's order); None without a file, or where
        it gives none or only zeros.

        Raises:
            InputError: for an unreadable intrinsics file.
        """
        if self.intrinsics is None:
            return None
        camera = self.camera_file()
        return camera.dist if camera.distorted else None

    def origin(self) -> str:
        """K, named by where it comes from, for a note: ``the given K`` (a focal length, a field of view, a file
        of one camera), or ``the K of camera cam01 in calib.toml`` (a camera of a multi-camera file)."""
        if self.intrinsics is None or (name := self.camera_file().camera) is None:
            return "the given K"
        return f"the K of camera {name} in {self.intrinsics}"

    def world(self) -> WorldFrame:
        """The camera's place in the world of its multi-camera calibration file (:mod:`flowpose.io.world_frame`).

        Raises:
            InputError: no intrinsics file, one of a single camera, or a camera the file does not place.
        """
        if self.intrinsics is None:
            raise InputError("the camera's place in a calibrated world needs --intrinsics CALIBRATION (Pose2Sim's "
                             "or anipose's .toml, Qualisys's .qca.txt)")
        rig = self.camera_file().rig
        if rig is None:
            raise InputError(f"{self.intrinsics}: a camera file of one camera, without its place in a world; the "
                             "floor needs a multi-camera calibration (Pose2Sim's or anipose's .toml, Qualisys's "
                             ".qca.txt, EasyMocap's intri.yml with its extri.yml)")
        return world_frame(rig, str(self.intrinsics))

    def camera_file(self) -> CameraFile:
        """What the intrinsics file gives for this video's camera (:func:`load_camera_file`).

        Raises:
            InputError: no intrinsics file, or an unreadable one.
        """
        if self.intrinsics is None:
            raise InputError("no --intrinsics file given")
        return load_camera_file(self.intrinsics, self.camera, self.video)
