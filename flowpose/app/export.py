"""Export refined poses for animation tools: ``flowpose export bvh POSES --out motion.bvh``."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from flowpose.errors import InputError
from flowpose.io.bvh_export import write_bvh
from flowpose.io.poses import load_poses
from flowpose.refinement.objective import fill_missing_joints
from flowpose.skeleton import H36M17, to_h36m17

EXPORT_FORMATS = ("bvh",)
"""What ``flowpose export`` writes."""


def export_poses(fmt: str, poses_path: Path, out: Path) -> str:
    """Write a pose file (``refined.npz`` of a joints or an SMPL refinement) as ``fmt``; returns a line for the user.

    Missing joints are filled in time (an animation has no gaps). A BVH file carries no mark of who wrote it,
    so an existing ``out`` is never replaced.

    Raises:
        InputError: for an unknown format, an existing output, or an unreadable pose file.
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose from {list(EXPORT_FORMATS)}")
    if out.suffix.lower() != ".bvh":
        raise InputError(f"--out {out}: expected a file ending in .bvh")
    if out.exists() or out.is_symlink():
        raise InputError(f"--out {out}: exists; choose another name (flowpose never replaces a file it cannot tell it wrote)")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: parent folder {out.parent} does not exist; create it first")
    poses = load_poses(poses_path)
    joints = to_h36m17(poses.joints3d, poses.skeleton, missing="nan")
    never = [H36M17.joint_names[j] for j in np.flatnonzero(~np.isfinite(joints).all(-1).any(0))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the joints never observed are named in the returned line
        joints, _ = fill_missing_joints(joints, H36M17.parents)
    note = f" (never observed, placed on their parents: {', '.join(never)})" if never else ""
    write_bvh(out, joints, fps=poses.fps)
    return f"wrote {out}: {poses.num_frames} frames at {poses.fps:g} fps, Human3.6M-17, Y up, centimetres{note}"
