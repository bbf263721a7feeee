"""Calibration files of a multi-camera capture: one camera's intrinsics and lens distortion from them.

flowpose refines one view at a time; a markerless or marker-based capture calibrates all of its cameras in
one file. Three formats of the field are read:

- Pose2Sim's and anipose's ``.toml`` (``Calib.toml``, ``calibration.toml``): a table per camera with ``name``,
  ``size = [W, H]`` px, ``matrix`` (3x3 K), ``distortions`` (OpenCV's k1, k2, p1, p2), ``rotation``,
  ``translation`` and ``fisheye``; other tables (Pose2Sim's ``[metadata]``) hold no ``matrix`` and are skipped.
- Qualisys's ``.qca.txt`` (an XML ``<calibration>`` with a ``<camera>`` per camera): pixel values are stored in
  1/64 px of the sensor, and ``<fov_video>`` is the part of the sensor the video holds, so
  ``f = focalLengthU / 64``, ``c_x = centerPointU / 64 - left``, the frame ``right - left + 1`` px wide;
  ``radialDistortion1, 2`` and ``tangentalDistortion1, 2`` are OpenCV's k1, k2, p1, p2 and
  ``radialDistortion3`` its k3, as written: they are ratios, not pixel values (Pose2Sim's converter divides
  them by 64 too; on the real pose2sim views the two readings reproject alike, the people being near the middle
  of the frames: ``benchmarks/experiments/qca_distortion.py``). This is the reading the real development set's
  builder triangulates with (``benchmarks/build_pose2sim_devset.py``: 5 to 10 px of reprojection error, about
  MediaPipe's own). A camera whose video is turned (``viewrotation`` other than 0) is refused, not guessed.
- EasyMocap's ``intri.yml`` (ZJU-MoCap and the datasets calibrated with it; OpenCV's YAML): ``names``, the
  list of cameras, and for each ``K_<name>`` and ``dist_<name>`` (OpenCV's order), ``H_<name>`` and
  ``W_<name>`` where given.

A single view's refinement works in its camera's frame; the camera's place in the capture's world (its extrinsics:
``x_cam = R x_world + t``, OpenCV's axes, metres) serves to export the refined poses in that world
(:mod:`flowpose.io.world_frame`). The ``.toml`` gives ``rotation`` as a Rodrigues vector (or a 3x3 matrix) and
``translation`` as written (Pose2Sim's metres; anipose's are in the units of its calibration board). Qualisys gives
the camera's centre ``c`` (mm) and the rotation ``M`` from the world to its camera, whose axes are OpenCV's turned
half about x: ``R = diag(1, -1, -1) M``, ``t = -R c`` (the reading the real development set's builder proves by
triangulating four views). EasyMocap keeps them in ``extri.yml`` beside its ``intri.yml`` (``Rot_<name>`` or ``R_<name>``,
``T_<name>``), read with it where it is there.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from flowpose.errors import InputError

QCA_SUBPIXELS = 64.0
"""Qualisys stores pixel values in 1/64 px."""
RIG_FORMATS = "Pose2Sim's or anipose's .toml, Qualisys's .qca.txt, EasyMocap's intri.yml"
EASYMOCAP_EXTRINSICS = "extri.yml"
"""EasyMocap's cameras' places, beside its ``intri.yml``."""


@dataclass(frozen=True)
class RigCamera:
    """One camera of a calibration file of several.

    Attributes:
        name: the camera's name in the file (Pose2Sim's ``name``, else its table's; Qualisys's ``serial``).
        names: every name the file gives it (a Pose2Sim camera: ``name`` and its table's name).
        K: (3, 3) float64 pinhole intrinsics, px.
        dist: (n,) float64 lens distortion, OpenCV's order; None where the file gives none.
        size: (H, W) px of the frames it was calibrated on; None where the file does not say.
        R: (3, 3) float64 rotation from the world to the camera (OpenCV's axes); None where the file gives none.
        t: (3,) float64 translation, ``x_cam = R x_world + t``, in the file's units (module docstring); None with R.
    """

    name: str
    names: tuple[str, ...]
    K: np.ndarray
    dist: np.ndarray | None
    size: tuple[int, int] | None
    R: np.ndarray | None = None
    t: np.ndarray | None = None


def is_rig_file(path: Path) -> bool:
    """Whether ``path`` is a calibration file of several cameras (a ``.toml``; Qualisys's XML, whatever its
    suffix: ``.qca.txt``, ``.xml``; a ``.yml`` with EasyMocap's ``names`` list)."""
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return True
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    if suffix in (".yml", ".yaml"):
        return re.search(rb"^names:", head, flags=re.M) is not None
    return head.lstrip().startswith(b"<?xml") and b"<calibration" in head


def read_rig(path: Path) -> list[RigCamera]:
    """Every camera of a multi-camera calibration file (module docstring), in the file's order.

    Raises:
        InputError: an unreadable file, one with no camera, or a camera whose intrinsics cannot be read.
    """
    suffix = path.suffix.lower()
    readers = {".toml": _read_toml, ".yml": _read_easymocap, ".yaml": _read_easymocap}
    cameras = readers.get(suffix, _read_qca)(path)
    if not cameras:
        raise InputError(f"{path}: no camera in it (expected a calibration file: {RIG_FORMATS})")
    return cameras


def choose_camera(
    cameras: Sequence[RigCamera],
    path: Path,
    name: str | None,
    video: Path | None,
    what: str | None = None,
    hint: str = "name the video's with --camera NAME",
) -> RigCamera:
    """The camera of ``cameras`` that films ``video``.

    Args:
        cameras: :func:`read_rig`.
        path: the file, for messages.
        name: the camera the user named (``--camera``); None: the file's only camera, else the one named as the
            video's file (``cam01.mp4``: ``cam01`` or ``cam_01``; names compared without case, ``_`` or ``-``).
        video: the video (a file or a folder of frames), or None.
        what: how the refusal names the video (default: ``the video NAME``).
        hint: what the refusal of a video no camera is named as tells the user to do.

    Raises:
        InputError: no camera of that name, or several cameras and none named as the video.
    """
    listed = ", ".join(c.name for c in cameras)
    if name is not None:
        found = [c for c in cameras if _key(name) in {_key(n) for n in c.names}]
        if not found:
            raise InputError(f"{path}: no camera named {name!r} in it; it holds {listed}")
        return found[0]
    if len(cameras) == 1:
        return cameras[0]
    stem = None if video is None else (video.name if video.is_dir() else video.name.split(".")[0])
    found = [c for c in cameras if stem is not None and _key(stem) in {_key(n) for n in c.names}]
    if len(found) == 1:
        return found[0]
    if video is None:
        raise InputError(f"{path}: holds {len(cameras)} cameras ({listed}): name one with --camera NAME")
    what = what if what is not None else f"the video {video.name}"
    raise InputError(f"{path}: holds {len(cameras)} cameras ({listed}), none named as {what}: {hint}")


def _key(name: str) -> str:
    """A name as cameras and videos are matched: without case, ``_``, ``-`` or spaces."""
    return re.sub(r"[\s_\-]", "", name).casefold()


def _read_toml(path: Path) -> list[RigCamera]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 (setup.cfg installs tomli there)
        import tomli as tomllib
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a readable calibration file (TOML): {e}") from None
    cameras = []
    for table, entry in doc.items():
        if not isinstance(entry, dict) or "matrix" not in entry:
            continue  # [metadata], or anything else that is not a camera
        name = str(entry.get("name", table))
        where = f"{path}: camera {name}"
        if entry.get("fisheye", False) is True:
            raise InputError(f"{where}: a fisheye lens model, which flowpose does not model (it models OpenCV's "
                             "standard lens: k1, k2, p1, p2, k3, ...)")
        K = _numbers(entry["matrix"], (3, 3), f"{where}: matrix")
        dist = _numbers(entry["distortions"], None, f"{where}: distortions") if "distortions" in entry else None
        size = None
        if "size" in entry:
            W, H = _numbers(entry["size"], (2,), f"{where}: size (W, H)")
            size = (int(round(H)), int(round(W)))
        R = t = None
        if "rotation" in entry and "translation" in entry:
            R = _rotation(_numbers(entry["rotation"], None, f"{where}: rotation"), f"{where}: rotation")
            t = _numbers(entry["translation"], (3,), f"{where}: translation")
        cameras.append(RigCamera(name, tuple(dict.fromkeys((name, str(table)))), K, dist, size, R, t))
    return cameras


def _read_qca(path: Path) -> list[RigCamera]:
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as e:
        raise InputError(f"{path}: not a readable calibration file (Qualisys XML): {e}") from None
    cameras = []
    for camera in root.iter("camera"):
        name = camera.get("serial", f"camera {len(cameras) + 1}")
        where = f"{path}: camera {name}"
        intrinsic, video, pose = camera.find("intrinsic"), camera.find("fov_video"), camera.find("transform")
        if intrinsic is None or video is None:
            raise InputError(f"{where}: expected its <intrinsic> and <fov_video>, got "
                             f"{sorted({child.tag for child in camera})}")
        if camera.get("viewrotation", "0") not in ("0", "0.0"):
            raise InputError(f"{where}: its video is turned (viewrotation {camera.get('viewrotation')}), which "
                             "flowpose does not read; give the camera with --intrinsics K.json instead")
        try:
            left, top, right, bottom = (float(video.attrib[k]) for k in ("left", "top", "right", "bottom"))
            value = {k: float(v) for k, v in intrinsic.attrib.items() if k != "model"}
            fx, fy = value["focalLengthU"] / QCA_SUBPIXELS, value["focalLengthV"] / QCA_SUBPIXELS
            cx, cy = value["centerPointU"] / QCA_SUBPIXELS - left, value["centerPointV"] / QCA_SUBPIXELS - top
            skew = value.get("skew", 0.0) / QCA_SUBPIXELS
            dist = np.array([value[k] for k in ("radialDistortion1", "radialDistortion2", "tangentalDistortion1",
                                                 "tangentalDistortion2", "radialDistortion3")])
            R = t = None
            if pose is not None:
                M = np.array([[float(pose.attrib[f"r{i}{j}"]) for j in (1, 2, 3)] for i in (1, 2, 3)])
                R = np.diag([1.0, -1.0, -1.0]) @ M  # Qualisys's camera axes to OpenCV's
                centre = np.array([float(pose.attrib[k]) for k in "xyz"]) / 1000.0  # mm
                t = -R @ centre
        except KeyError as e:
            raise InputError(f"{where}: its <intrinsic>, <fov_video> or <transform> lacks {e.args[0]!r}") from None
        except ValueError as e:
            raise InputError(f"{where}: {e}") from None
        K = np.array([[fx, skew, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
        size = (int(bottom - top + 1), int(right - left + 1))
        cameras.append(RigCamera(name, (name,), K, dist, size, R, t))
    return cameras


def _read_easymocap(path: Path) -> list[RigCamera]:
    import cv2

    try:
        storage = cv2.FileStorage(str(path), cv2.FILE_STORAGE_READ)
    except (cv2.error, SystemError):  # OpenCV's Python binding wraps a parse error in a SystemError
        raise InputError(f"{path}: not a readable calibration file (OpenCV's YAML cannot parse it)") from None
    try:
        listed = storage.getNode("names")
        if not listed.isSeq():
            raise InputError(f"{path}: expected 'names', the list of its cameras (EasyMocap's intri.yml)")
        cameras = []
        for i in range(listed.size()):
            node = listed.at(i)
            name = node.string() if node.isString() else str(int(node.real()))
            where = f"{path}: camera {name}"
            K, dist, H, W = (storage.getNode(f"{key}_{name}") for key in ("K", "dist", "H", "W"))
            if K.empty():
                raise InputError(f"{where}: no K_{name} in the file")
            K = _numbers(K.mat(), (3, 3), f"{where}: K_{name}")
            dist = None if dist.empty() else _numbers(dist.mat(), None, f"{where}: dist_{name}")
            size = None if H.empty() or W.empty() else (int(H.real()), int(W.real()))
            cameras.append(RigCamera(name, (name,), K, dist, size))
    finally:
        storage.release()
    extrinsics = path.with_name(EASYMOCAP_EXTRINSICS)
    if not extrinsics.is_file() or extrinsics == path:
        return cameras
    places = _easymocap_places(extrinsics)
    return [replace(c, R=places[c.name][0], t=places[c.name][1]) if c.name in places else c for c in cameras]


def _easymocap_places(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each camera's place in EasyMocap's ``extri.yml``: ``Rot_<name>`` (3x3) or ``R_<name>`` (a Rodrigues
    vector), and ``T_<name>`` (metres), ``x_cam = R x_world + T``; cameras without them are left out."""
    import cv2

    try:
        storage = cv2.FileStorage(str(path), cv2.FILE_STORAGE_READ)
    except (cv2.error, SystemError):
        raise InputError(f"{path}: not a readable calibration file (OpenCV's YAML cannot parse it)") from None
    try:
        listed, places = storage.getNode("names"), {}
        for i in range(listed.size() if listed.isSeq() else 0):
            node = listed.at(i)
            name = node.string() if node.isString() else str(int(node.real()))
            where = f"{path}: camera {name}"
            matrix, vector, T = (storage.getNode(f"{key}_{name}") for key in ("Rot", "R", "T"))
            if T.empty() or (matrix.empty() and vector.empty()):
                continue
            given = matrix if not matrix.empty() else vector
            R = _rotation(_numbers(given.mat(), None, f"{where}: rotation"), f"{where}: rotation")
            places[name] = (R, _numbers(T.mat(), None, f"{where}: T_{name}"))
            if places[name][1].shape != (3,):
                raise InputError(f"{where}: T_{name} must hold 3 numbers, got {places[name][1].size}")
    finally:
        storage.release()
    return places


def _rotation(value: np.ndarray, what: str) -> np.ndarray:
    """A rotation matrix from a Rodrigues vector (3 numbers) or a 3x3 matrix (9)."""
    import cv2

    if value.size == 3:
        return cv2.Rodrigues(value.reshape(3, 1))[0]
    if value.size == 9:
        return value.reshape(3, 3)
    raise InputError(f"{what} must be a Rodrigues vector (3 numbers) or a 3x3 matrix, got {value.size} numbers")


def _numbers(value: object, shape: tuple[int, ...] | None, what: str) -> np.ndarray:
    """``value`` as float64 numbers of ``shape`` (None: any count); InputError saying what was got otherwise."""
    try:
        array = np.asarray(value, np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be numbers, got {str(value)[:80]}") from None
    if shape is not None and array.shape != shape:
        raise InputError(f"{what} must have shape {shape}, got {array.shape}")
    return array if shape is not None else array.ravel()
