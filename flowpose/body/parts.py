"""A long SMPL or SMPL-X sequence refined in overlapping parts and joined (``refine --smpl --part-frames N|auto``).

The parts are the joints' (:func:`flowpose.refinement.parts.plan_parts`): n runs of nearly equal length, each part
its run and the O = ``part_overlap`` frames about each of its cuts. What joins them here is the parameters':

- across the O frames a part shares with the next, each joint's rotation (the root's and the body's) turns from the
  first part's to the second's along the shortest arc, and the translation passes linearly, with the joints'
  weights (:func:`flowpose.refinement.parts.part_weights`, w_t rising from 1/(2O) to 1 - 1/(2O)):

      R_t = R_t^(i) exp(w_t log(R_t^(i)^T R_t^(i+1))),    T_t = (1 - w_t) T_t^(i) + w_t T_t^(i+1);

- one shape for the video: the parts' refined betas averaged, each weighted by the frames it owns (the SMPL pose
  stage solves one shape per sequence; a shape per part would change the body's size at each cut). Each part after
  the first starts from the shape the part before it refined (:func:`anchored_smpl`), so the parts' shapes differ
  little and the mean is near each.

What the whole video would tell a part comes as for the joints: the frames a part shares with the previous one are
the previous part's refined parameters in its estimate (the 3D, 2D and rotation terms there hold it to them), so the
body carries its place and shape across the cut; the pixel terms are weighed for the person's size over the whole
video (:func:`flowpose.refinement.loop.person_scale`); each part has its own crops, flow and flow noise, and a
fine-tuned network starts from the same weights in every part. SMPL-X's face, hands and expression are kept as given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial.transform import Rotation

from flowpose.body.params import SmplSequence
from flowpose.errors import InputError
from flowpose.refinement.parts import Part, own_frame_counts, own_mean, part_weights


def joined_betas(parts: Sequence[Part], betas: Sequence[np.ndarray]) -> np.ndarray:
    """(B,) one shape for the video: the parts' shapes ((B,) each, or (frames, B) of one value) averaged, weighted by
    the frames each part owns."""
    shapes = np.stack([b if b.ndim == 1 else b.mean(0) for b in betas])
    own = own_frame_counts(parts)
    return (own[:, None] * shapes).sum(0) / own.sum()


def _turned(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(n, J, 3) axis-angle rotations a_t turned toward b_t by the fraction w_t (n,) of the shortest arc between them."""
    n, J = a.shape[:2]
    Ra, Rb = Rotation.from_rotvec(a.reshape(-1, 3)), Rotation.from_rotvec(b.reshape(-1, 3))
    arc = (Ra.inv() * Rb).as_rotvec().reshape(n, J, 3)
    return (Ra * Rotation.from_rotvec((w[:, None, None] * arc).reshape(-1, 3))).as_rotvec().reshape(n, J, 3)


def join_smpl(seq: SmplSequence, parts: Sequence[Part], refined: Sequence[SmplSequence], overlap: int) -> SmplSequence:
    """The parts' refined parameters joined into the video's (module docstring).

    Args:
        seq: the whole video's estimate, T frames (its camera, layouts, SMPL-X's face and hands are kept).
        parts: the parts (:func:`flowpose.refinement.parts.plan_parts`), in order.
        refined: each part's refined parameters, ``stop - start`` frames.
        overlap: frames two neighbouring parts share (``RefineConfig.part_overlap``).

    Returns:
        T frames: the rotations turned and the translations blended across each overlap, one shape (as the input's
        layout: (B,) or (T, B)).

    Raises:
        InputError: parts and refined sequences that do not match, or parts that do not cover the T frames.
    """
    T = seq.num_frames
    if len(parts) != len(refined) or parts[0].start != 0 or parts[-1].stop != T:
        raise InputError(f"join_smpl: expected one refined sequence per part, the parts covering frames 0 to {T - 1}; "
                         f"got {len(refined)} sequences for {len(parts)} parts over frames {parts[0].start} to "
                         f"{parts[-1].stop - 1}")
    for part, r in zip(parts, refined):
        if r.num_frames != part.stop - part.start:
            raise InputError(f"join_smpl: the part of frames {part.start} to {part.stop - 1} has "
                             f"{part.stop - part.start} frames, its refined sequence {r.num_frames}")
    rot = np.zeros((T, 1 + seq.body_pose.shape[1], 3))
    transl = np.zeros((T, 3))
    weights = part_weights(parts, overlap)
    for i, (part, r, w) in enumerate(zip(parts, refined, weights)):
        mine = np.concatenate([r.global_orient[:, None], r.body_pose], axis=1)
        shared = 0 if i == 0 else parts[i - 1].stop - part.start  # the frames it shares with the previous part
        rot[part.start + shared:part.stop] = mine[shared:]
        transl[part.start + shared:part.stop] = r.transl[shared:]
        if shared:
            span = slice(part.start, part.start + shared)
            rot[span] = _turned(rot[span], mine[:shared], w[:shared])
            transl[span] = (1.0 - w[:shared, None]) * transl[span] + w[:shared, None] * r.transl[:shared]
    betas = joined_betas(parts, [r.betas for r in refined])
    return seq.with_body(global_orient=rot[:, 0], body_pose=rot[:, 1:],
                         betas=betas if seq.betas.ndim == 1 else np.repeat(betas[None], T, 0), transl=transl)


def anchored_smpl(part_seq: SmplSequence, previous: SmplSequence) -> SmplSequence:
    """A part's estimate held to the previous part's refinement: its first frames (those the previous part's
    ``previous`` reaches, the last n of it) are that part's refined rotations and translation, and its shape the
    previous part's refined shape throughout.

    Args:
        part_seq: the part's estimate, T_i frames.
        previous: the previous part's refined parameters of the frames the two parts share, n <= T_i frames.
    """
    n = previous.num_frames
    if n > part_seq.num_frames:
        raise InputError(f"anchored_smpl: {n} shared frames, but the part has {part_seq.num_frames}")
    go, bp, tr = (np.array(a, np.float64) for a in (part_seq.global_orient, part_seq.body_pose, part_seq.transl))
    go[:n], bp[:n], tr[:n] = previous.global_orient, previous.body_pose, previous.transl
    shape = previous.betas if previous.betas.ndim == 1 else previous.betas.mean(0)
    betas = shape if part_seq.betas.ndim == 1 else np.repeat(shape[None], part_seq.num_frames, 0)
    return part_seq.with_body(global_orient=go, body_pose=bp, betas=betas, transl=tr)


def joined_history(parts: Sequence[Part], histories: Sequence[list[dict]]) -> list[dict]:
    """The whole video's history from the parts' (:class:`flowpose.body.loop.SmplLoopResult`'s): per cycle the losses
    and the flow noise averaged over the parts, each weighted by the frames it owns; the solver's steps and the
    seconds added up."""
    own = own_frame_counts(parts)
    joined = []
    for records in zip(*histories):
        record: dict = {"cycle": records[0]["cycle"]}
        if "flow_noise" in records[0]:
            record["flow_noise"] = own_mean([r["flow_noise"] for r in records], own)
        record["losses"] = {k: own_mean([r["losses"][k] for r in records], own) for k in records[0]["losses"]}
        record["steps"] = int(sum(r["steps"] for r in records))
        record["seconds"] = float(sum(r["seconds"] for r in records))
        joined.append(record)
    return joined

