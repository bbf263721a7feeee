"""Is the optical flow at a joint the joint's motion? The renderer's exact flow against the true joints' motion.

L_opt compares the projected motion of the joints and bone points with the flow read at their pixels. The flow
there is the motion of the surface seen at that pixel: the skin in front of the joint (it turns with the limb
about the joint's axis, not the axis itself), or another part where the joint is hidden. On the synthetic
evaluation clips (``mediapipe`` profile, as ``bench_refine.py`` renders them), the exact flow is chained from the
true joints' projections over k frames (:func:`flowpose.flow.tracks.chain_flow`, confidence 1 where the renderer's
flow is valid) and compared with the true joints' own displacement over the same k frames:

- error: |chained exact flow - true displacement|, px (median and mean over joints and start frames);
- true displacement: its median length, px;
- relative: the median of error / true displacement;
- share: the pooled share of the true displacement the flow gives along it, sum(F . E) / sum(|E|^2) (1: no lag).

and how the error e = chained - true points (mean cosines; 0 for errors of random direction, as
``flow_variants.py --read-at truth-signs`` makes them), over errors of at least 0.1 px on a motion of at least
0.5 px:

- along the motion: cos(e, E), negative where the flow lags;
- the next span: cos(e_t, e_{t+k}), the same joint's error over the following k frames (the same track);
- the parent joint: cos(e_{t,j}, e_{t,parent(j)}), the neighbouring joint's error over the same frames.

and across which way (pooled energy shares, every error kept; 0.5 for errors of random direction): across the
bone, sum((e . n)^2) / sum(|e|^2) with n the unit normal of the 2D bone from the parent joint at frame t (bones
of at least 3 px), beside the same share of the true motion. A limb turning about its own axis (a twist, which
the joints cannot show) moves its skin across the bone, so a flow error made by twists would lie across it.

    python benchmarks/experiments/flow_at_joints.py [--spans 1,3,9,27] [--clips a,b]
"""

from __future__ import annotations

import numpy as np
import torch
from synth_set import evaluation_clips, rendered, synth_parser  # the same directory

from flowpose.flow.field import FlowField
from flowpose.flow.tracks import chain_flow
from flowpose.skeleton import H36M17


def mean_cosine(a: torch.Tensor, b: torch.Tensor, keep: torch.Tensor) -> tuple[float, int]:
    """The summed cosine of the 2D vectors ``a`` and ``b`` (..., 2) where ``keep`` (...) holds, and how many."""
    cos = (a * b).sum(-1) / (torch.linalg.norm(a, dim=-1) * torch.linalg.norm(b, dim=-1)).clamp_min(1e-9)
    return float(cos[keep].sum()), int(keep.sum())


def across_energy(joints: torch.Tensor, vectors: list[torch.Tensor], parents: torch.Tensor) -> np.ndarray:
    """(len(vectors), 2): each (N, J, 2) vector field's energy across the 2D bone that ends at each joint, and its
    whole energy, over the joints with a parent and a bone of at least 3 px in ``joints`` (N, J, 2) px."""
    child = parents >= 0
    bone = joints[:, child] - joints[:, parents[child]]
    length = torch.linalg.norm(bone, dim=-1, keepdim=True)
    normal = torch.stack([-bone[..., 1], bone[..., 0]], -1) / length.clamp_min(1e-9)
    keep = length[..., 0] >= 3
    out = np.zeros((len(vectors), 2))
    for i, v in enumerate(vectors):
        v = v[:, child]
        out[i] = float(((v * normal).sum(-1)[keep] ** 2).sum()), float((v[keep] ** 2).sum())
    return out


def main() -> None:
    """Print, per span, how far the exact flow chained from the true joints ends from where they went."""
    p = synth_parser(__doc__)
    p.add_argument("--spans", default="1,3,9,27")
    args = p.parse_args()
    spans = [int(k) for k in args.spans.split(",")]
    clips = evaluation_clips(args.clips)
    errors: dict[int, list[np.ndarray]] = {k: [] for k in spans}
    lengths: dict[int, list[np.ndarray]] = {k: [] for k in spans}
    along = dict.fromkeys(spans, 0.0)
    cosines = {k: np.zeros((3, 2)) for k in spans}  # along the motion, the next span, the parent: (sum, count)
    across = {k: np.zeros((2, 2)) for k in spans}  # error, motion: (energy across the bone, all the energy)
    parents = torch.tensor(H36M17.parents)
    child = parents >= 0
    for clip in clips:
        gt = rendered(clip, args.profile, args).gt
        flow = FlowField.full_frame(gt.flow, gt.flow_valid.astype(np.float32)).to_torch("cpu")
        joints = torch.as_tensor(gt.joints2d)  # (T, 17, 2) px, the true joints' projections
        for k in spans:
            if k >= len(joints):
                continue
            chained, _ = chain_flow(flow, joints[:-k], k)
            true = joints[k:] - joints[:-k]
            errors[k].append(torch.linalg.norm(chained - true, dim=-1).numpy().ravel())
            lengths[k].append(torch.linalg.norm(true, dim=-1).numpy().ravel())
            along[k] += float((chained * true).sum())
            e = chained - true
            ok = (torch.linalg.norm(e, dim=-1) >= 0.1) & (torch.linalg.norm(true, dim=-1) >= 0.5)
            cosines[k][0] += mean_cosine(e, true, ok)
            cosines[k][1] += mean_cosine(e[:-k], e[k:], ok[:-k] & ok[k:])
            cosines[k][2] += mean_cosine(e[:, child], e[:, parents[child]], ok[:, child] & ok[:, parents[child]])
            across[k] += across_energy(joints[:-k], [e, true], parents)
    print(f"{args.profile}, {len(clips)} clips: the exact flow chained from the true joints against their motion\n")
    print("| span, frames | error median px | error mean px | true displacement median px | relative median | share "
          "| error along the motion | the next span | the parent joint | error across the bone | motion across the bone |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for k in spans:
        e, m = np.concatenate(errors[k]), np.concatenate(lengths[k])
        share = along[k] / float((m**2).sum())
        cos = cosines[k][:, 0] / np.maximum(cosines[k][:, 1], 1)
        share_across = across[k][:, 0] / np.maximum(across[k][:, 1], 1e-9)
        print(f"| {k} | {np.median(e):.2f} | {e.mean():.2f} | {np.median(m):.2f} | "
              f"{np.median(e / np.maximum(m, 1e-3)):.2f} | {share:.3f} | {cos[0]:+.2f} | {cos[1]:+.2f} | {cos[2]:+.2f} "
              f"| {share_across[0]:.2f} | {share_across[1]:.2f} |")


if __name__ == "__main__":
    main()
