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
from flowpose.coverage import unobserved_frames
from flowpose.errors import InputError
from flowpose.frame_runs import runs_text
from flowpose.io.bvh_export import write_bvh
from flowpose.io.motion import resample_joints
from flowpose.io.poses import load_poses
from flowpose.io.trc_export import write_trc
from flowpose.joint_map import confidence_to_h36m17, to_h36m17
from flowpose.pose import PoseSequence
from flowpose.refinement.objective import fill_missing_joints
from flowpose.skeleton import H36M17

EXPORT_FORMATS = ("bvh", "trc", "amass")
"""What ``flowpose export`` writes."""


def export_poses(fmt: str, poses_path: Path, out: Path, body_model: Path | None = None) -> str:
    """Write a pose file as ``fmt``; returns a line for the user.

    ``bvh`` reads a pose file (``refined.npz`` of a joints or an SMPL refinement); missing joints are filled in
    time (an animation has no gaps), and the returned line names the frames with no observed joint. ``trc``
    reads a pose file too and leaves each joint blank where it was not observed (confidence 0), as OpenSim
    reads a missing marker; a variable frame rate keeps its times. ``amass``
    reads an SMPL parameter file (``refined_smpl.npz``) and needs the body model (the pelvis of the shape,
    :mod:`flowpose.body.amass`). An existing ``out`` is never replaced.

    Raises:
        InputError: for an unknown format, an existing output, a missing body model, or an unreadable input.
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose from {list(EXPORT_FORMATS)}")
    suffix = {"bvh": ".bvh", "trc": ".trc", "amass": ".npz"}[fmt]
    if out.suffix.lower() != suffix:
        raise InputError(f"--out {out}: expected a file ending in {suffix}")
    if out.exists() or out.is_symlink():
        raise InputError(f"--out {out}: exists; choose another name (flowpose never replaces a file it cannot tell it wrote)")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: parent folder {out.parent} does not exist; create it first")
    if fmt == "amass":
        return _export_amass(poses_path, out, body_model)
    poses = load_poses(poses_path)
    check_observed(poses, str(poses_path))
    if fmt == "trc":
        return _export_trc(poses, poses_path, out)
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
    write_bvh(out, joints, fps=poses.fps)
    return f"wrote {out}: {_frames(len(joints))} at {poses.fps:g} fps, Human3.6M-17, Y up, centimetres{note}"


def _export_trc(poses: PoseSequence, poses_path: Path, out: Path) -> str:
    joints = to_h36m17(poses.joints3d, poses.skeleton, missing="nan")
    seen = confidence_to_h36m17(poses.confidence(), poses.skeleton) > 0
    joints[~seen] = np.nan  # a marker not observed is blank: OpenSim skips it, rather than fit a filled-in place
    first = poses.first_frame or 0
    times = poses.times if poses.times is not None else (first + np.arange(poses.num_frames)) / poses.fps
    write_trc(out, joints, times, poses.fps, first)
    never = [H36M17.joint_names[j] for j in np.flatnonzero(~seen.any(0))]
    blank = int((~seen[:, seen.any(0)]).sum())
    note = f"; never observed, left out: {', '.join(never)}" if never else ""
    note += f"; {blank} joint-frame{'' if blank == 1 else 's'} not observed, left blank" if blank else ""
    return (f"wrote {out}: {_frames(poses.num_frames)} at {poses.fps:g} fps, 17 markers (Pose2Sim's names), Y up, "
            f"metres{note}")


def _export_amass(smpl_path: Path, out: Path, body_model: Path | None) -> str:
    from flowpose.body.amass import save_amass
    from flowpose.body.model import OBTAIN, load_body_model_for
    from flowpose.body.params import load_smpl

    if body_model is None:
        raise InputError(f"export amass needs --body-model (the model the parameters are of). {OBTAIN}")
    seq = load_smpl(smpl_path)
    model = load_body_model_for(body_model, seq, str(smpl_path))
    written = save_amass(seq, model, out)
    note = ("" if seq.times is None
            else f"; resampled from {_frames(seq.num_frames)} at their own times (a variable frame rate)")
    return (f"wrote {out}: {_frames(written)} at {seq.fps:g} fps, {model.layout.title} poses "
            f"(T, {3 * model.num_joints}), Z up, metres (AMASS layout){note}")


def _frames(n: int) -> str:
    """``"1 frame"``, ``"60 frames"``."""
    return f"{n} frame" if n == 1 else f"{n} frames"
