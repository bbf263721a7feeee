"""Export refined poses for animation tools.

``flowpose export bvh POSES --out motion.bvh`` (joints, any refinement),
``flowpose export trc POSES --out markers.trc`` (joints as markers, for OpenSim and Pose2Sim) and
``flowpose export amass refined_smpl.npz --body-model MODEL --out motion.npz`` (SMPL, for Blender's SMPL-X
add-on and other AMASS readers).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flowpose.app.inputs import check_observed
from flowpose.camera_place import LEAN_WARNING_DEG, CameraPlace, placed_frame
from flowpose.coverage import unobserved_frames
from flowpose.errors import InputError
from flowpose.frame_runs import runs_text
from flowpose.io.bvh_export import write_bvh
from flowpose.io.motion import resample_joints
from flowpose.io.poses import load_poses
from flowpose.io.rig_files import RigCamera, choose_camera, is_rig_file, read_rig
from flowpose.io.trc_export import write_trc
from flowpose.io.world_frame import MAX_LEAN_DEG, WorldFrame, lean_deg, world_frame
from flowpose.joint_map import confidence_to_h36m17, to_h36m17
from flowpose.pose import PoseSequence
from flowpose.refinement.objective import fill_missing_joints
from flowpose.skeleton import H36M17

EXPORT_FORMATS = ("bvh", "trc", "amass")
"""What ``flowpose export`` writes."""
FOCAL_TOLERANCE = 0.02
"""A pose file's focal length further than this (relative) from its calibrated camera's is warned of."""


def export_poses(
    fmt: str,
    poses_path: Path,
    out: Path,
    body_model: Path | None = None,
    extrinsics: Path | None = None,
    camera: str | None = None,
    camera_place: CameraPlace | None = None,
) -> str:
    """Write a pose file as ``fmt``; returns a line for the user.

    ``bvh`` reads a pose file (``refined.npz`` of a joints or an SMPL refinement); missing joints are filled in
    time (an animation has no gaps), and the returned line names the frames with no observed joint. ``trc``
    reads a pose file too and leaves each joint blank where it was not observed (confidence 0), as OpenSim
    reads a missing marker; a variable frame rate keeps its times. ``amass``
    reads an SMPL parameter file (``refined_smpl.npz``) and needs the body model (the pelvis of the shape,
    :mod:`flowpose.body.amass`). An existing ``out`` is never replaced.

    ``bvh`` and ``trc`` are Y up: the camera's frame turned, or the world of the floor the poses were stood on
    (``PoseSequence.world``, written by ``refine --floor``), or, with ``extrinsics`` (a multi-camera calibration
    file with the cameras' places: Pose2Sim's ``.toml``, Qualisys's ``.qca.txt``), the capture's world turned as
    Pose2Sim turns its own (:mod:`flowpose.io.world_frame`). Its camera is ``camera``, else its only one, else the one
    named as the pose file's video (``cam01.flowpose/refined.npz``, ``cam01.poses.npz``: ``cam01``). Without a
    calibration, ``camera_place`` (height above the floor m, pitch, roll degrees: :mod:`flowpose.camera_place`) stands
    them upright on the floor under the camera, facing the world's +y as the camera does. ``amass`` is Z up, in the
    same worlds (an SMPL parameter file carries none of its own): the camera's frame turned, the calibration's, or the
    place's (:mod:`flowpose.body.amass`).

    Raises:
        InputError: for an unknown format, an existing output, a missing body model, an unreadable input, or a
            calibration file without the camera's place.
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose from {list(EXPORT_FORMATS)}")
    if camera is not None and extrinsics is None:
        raise InputError("--camera names a camera of --extrinsics FILE, which was not given")
    suffix = {"bvh": ".bvh", "trc": ".trc", "amass": ".npz"}[fmt]
    if out.suffix.lower() != suffix:
        raise InputError(f"--out {out}: expected a file ending in {suffix}")
    if out.exists() or out.is_symlink():
        raise InputError(f"--out {out}: exists; choose another name (flowpose never replaces a file it cannot tell it wrote)")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: parent folder {out.parent} does not exist; create it first")
    if extrinsics is not None and camera_place is not None:
        raise InputError("--extrinsics places the camera, and so do --camera-height and --camera-tilt: pass one")
    if camera_place is not None and (camera_place[1] is None or camera_place[2] is None):
        raise InputError("--camera-tilt auto reads the tilt from a video, and export reads none: give --camera-tilt "
                         "PITCH[,ROLL], or export refined.npz of refine --floor with --camera-tilt auto (it keeps the "
                         "camera's place)")
    rig = None if extrinsics is None else _rig_camera(extrinsics, camera, poses_path)
    if fmt == "amass":
        return _export_amass(poses_path, out, body_model, rig, extrinsics, camera_place)
    poses = load_poses(poses_path)
    check_observed(poses, str(poses_path))
    frame, where = _world(poses, poses_path, rig, extrinsics, camera_place, "Z up turned Y up",
                          "" if extrinsics is None else f"refine with --intrinsics {extrinsics.name}")
    if fmt == "trc":
        return _export_trc(poses, poses_path, out, frame) + where
    joints = to_h36m17(poses.joints3d, poses.skeleton, missing="nan")
    never = [H36M17.joint_names[j] for j in np.flatnonzero(~np.isfinite(joints).all(-1).any(0))]
    joints, _ = fill_missing_joints(joints, H36M17.parents)  # the joints never observed: named in the returned line
    note = f" (never observed, placed on their parents: {', '.join(never)})" if never else ""
    if (filled := unobserved_frames(poses)).any():  # e.g. refined.npz's frames before or after its person was seen
        count = int(filled.sum())
        note += (f"; {count} of its {_frames(poses.num_frames)} {'has' if count == 1 else 'have'} no observed joint "
                 f"({runs_text(filled, poses.first_frame or 0)}): filled in, not measured (BVH keeps no confidence)")
    if poses.times is not None:  # a variable frame rate: BVH frames are evenly spaced
        joints = resample_joints(joints, poses.times, poses.fps)
        note += f"; resampled from {_frames(poses.num_frames)} at their own times (a variable frame rate)"
    write_bvh(out, joints, fps=poses.fps, frame=frame)
    return f"wrote {out}: {_frames(len(joints))} at {poses.fps:g} fps, Human3.6M-17, Y up, centimetres{note}{where}"


def _rig_camera(path: Path, camera: str | None, poses_path: Path) -> RigCamera:
    """The pose file's camera in a calibration file (:func:`export_poses`)."""
    if not path.is_file():
        raise InputError(f"--extrinsics {path}: no such file")
    if not is_rig_file(path):
        raise InputError(f"--extrinsics {path}: not a calibration file with the cameras' places (expected "
                         "Pose2Sim's or anipose's .toml, Qualisys's .qca.txt, or EasyMocap's intri.yml with its extri.yml)")
    folder = poses_path.parent.name
    video = folder.removesuffix(".flowpose") if folder.endswith(".flowpose") else poses_path.name
    stem = video.split(".")[0]
    return choose_camera(read_rig(path), path, camera, Path(stem), f"the video of {poses_path} (taken to be {stem})")


def _world(
    poses: PoseSequence, poses_path: Path, rig: RigCamera | None, extrinsics: Path | None,
    camera_place: CameraPlace | None, up: str, advice: str,
) -> tuple[WorldFrame | None, str]:
    """The world the poses are exported in (:func:`export_poses`: a calibration's camera ``rig``, a place the user
    measured, the world a pose file carries, or none: the camera's frame) and the words the returned line adds;
    ``up`` says how the world's axes are written (``"Z up turned Y up"``, ``"Z up"``), ``advice`` what to do where
    the poses' focal length is not the calibrated camera's."""
    if rig is not None:
        frame = world_frame(rig, str(extrinsics))
        return frame, _where(rig, frame, extrinsics, poses, up, advice)
    if camera_place is not None:
        frame = placed_frame(*camera_place)
        height, pitch, roll = camera_place
        return frame, (f", upright on the floor {height:g} m under the camera (looking {pitch:g} degrees down, rolled "
                       f"{roll:g}; {up}){_lean_warning(poses, frame, given=True)}")
    if poses.world is not None:  # refine --floor's world, kept in the file
        frame = WorldFrame(R=poses.world[:, :3], t=poses.world[:, 3], camera=poses_path.name)
        return frame, (f", upright in the world of the floor refine stood it on (its camera's place in "
                       f"{poses_path.name}; {up}){_lean_warning(poses, frame)}")
    return None, ""


def _where(camera: RigCamera, frame: WorldFrame, path: Path, poses: PoseSequence, up: str, advice: str) -> str:
    """The exported frame's words, and a warning where the poses were placed with another focal length than the
    camera's (their depth, so their place in the world, is then of that other camera)."""
    told = f", in the world of {path.name} (camera {camera.name}; its {up})" + _lean_warning(poses, frame)
    focal = float(np.median(np.asarray(poses.K)[..., 0, 0]))  # a K per frame: their median
    if abs(focal / camera.K[0, 0] - 1) > FOCAL_TOLERANCE:
        told += (f"; warning: the poses' focal length ({focal:.1f} px) is not camera {camera.name}'s "
                 f"({camera.K[0, 0]:.1f} px): their depth, so their place in that world, is of another camera ({advice})")
    return told


def _lean_warning(poses: PoseSequence, frame: WorldFrame, given: bool = False) -> str:
    """A warning (``"; warning: ..."``) where the person's mean axis is more than :data:`MAX_LEAN_DEG` from the
    world's z, or :data:`~flowpose.camera_place.LEAN_WARNING_DEG` from a world of the user's ``--camera-tilt``
    (``given``), else ``""``."""
    seen = np.where((poses.confidence() > 0)[..., None], to_h36m17(poses.joints3d, poses.skeleton, missing="nan"), np.nan)
    lean = lean_deg(seen, frame)
    if lean is None or lean <= (LEAN_WARNING_DEG if given else MAX_LEAN_DEG):
        return ""
    if given:
        return (f"; warning: the person's axis (ankles to thorax) is {lean:.0f} degrees from the vertical of that "
                "tilt: is --camera-tilt right (the pitch: degrees the camera looks down; the roll: positive where the horizon "
                "rises to the right)?")
    return (f"; warning: the person's axis (ankles to thorax) is {lean:.0f} degrees from that world's z: is its up "
            "Z (Pose2Sim's, Qualisys's)? An anipose board's frame need not be")


def _export_trc(poses: PoseSequence, poses_path: Path, out: Path, frame: WorldFrame | None) -> str:
    joints = to_h36m17(poses.joints3d, poses.skeleton, missing="nan")
    seen = confidence_to_h36m17(poses.confidence(), poses.skeleton) > 0
    joints[~seen] = np.nan  # a marker not observed is blank: OpenSim skips it, rather than fit a filled-in place
    first = poses.first_frame or 0
    times = poses.times if poses.times is not None else (first + np.arange(poses.num_frames)) / poses.fps
    write_trc(out, joints, times, poses.fps, first, frame)
    never = [H36M17.joint_names[j] for j in np.flatnonzero(~seen.any(0))]
    blank = int((~seen[:, seen.any(0)]).sum())
    note = f"; never observed, left out: {', '.join(never)}" if never else ""
    note += f"; {blank} joint-frame{'' if blank == 1 else 's'} not observed, left blank" if blank else ""
    return (f"wrote {out}: {_frames(poses.num_frames)} at {poses.fps:g} fps, 17 markers (Pose2Sim's names), Y up, "
            f"metres{note}")


def _export_amass(smpl_path: Path, out: Path, body_model: Path | None, rig: RigCamera | None,
                  extrinsics: Path | None, camera_place: CameraPlace | None) -> str:
    from flowpose.body.amass import save_amass
    from flowpose.body.model import OBTAIN, load_body_model_for
    from flowpose.body.params import load_smpl
    from flowpose.body.refine import model_h36m17

    if body_model is None:
        raise InputError(f"export amass needs --body-model (the model the parameters are of). {OBTAIN}")
    seq = load_smpl(smpl_path)
    model = load_body_model_for(body_model, seq, str(smpl_path))
    joints = PoseSequence(joints3d=model_h36m17(model, seq).astype(np.float32), K=seq.K.astype(np.float32),
                          fps=seq.fps)  # the model's joints: the lean and focal checks read them
    frame, where = _world(joints, smpl_path, rig, extrinsics, camera_place, "Z up",
                          "the camera of the estimator that made them")
    written = save_amass(seq, model, out, frame=frame)
    note = ("" if seq.times is None
            else f"; resampled from {_frames(seq.num_frames)} at their own times (a variable frame rate)")
    return (f"wrote {out}: {_frames(written)} at {seq.fps:g} fps, {model.layout.title} poses "
            f"(T, {3 * model.num_joints}), Z up, metres (AMASS layout){note}{where}")


def _frames(n: int) -> str:
    """``"1 frame"``, ``"60 frames"``."""
    return f"{n} frame" if n == 1 else f"{n} frames"
