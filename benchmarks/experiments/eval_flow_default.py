"""Compare trained RAFT-small weights with OpenCV DIS (medium) on held-out human flow.

Data: (a) synthetic human clips rendered from a held-out mocap clip with fixed seeds (exact flow, human
masks), and AutoFlow scenes from held-out seeds; (b) MPI-Sintel frames with the human character from
``../shared/data/sintel_human`` (clean and final passes; alley_1 pairs 1-2, 2-3, 3-4; cave_2 and market_5
pair 2-3). Sintel frames (1024x436) are processed at ``--scale`` (default 0.5: 512x218, padded to a multiple
of 8 by RAFT's ``predict``); the flow is upsampled bilinearly to full size and multiplied by 1/scale.
Sintel "noc" counts pixels neither occluded nor invalid (masks exist for the 2-3 pairs only).

    python benchmarks/experiments/eval_flow_default.py --weights runs/raft_small/best.pt [--iters 12] [--scale 0.5]

Prints a Markdown table of mean end-point errors (px, at full Sintel resolution) and seconds per pair.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from flowpose.flow.classical import DISFlow
from flowpose.flow.raft import raft_small
from flowpose.io.flo import read_flo
from flowpose.metrics import epe
from flowpose.train.data import autoflow_validation, human_validation
from flowpose.train.human import HumanConfig

DEFAULT_SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SINTEL_PAIRS = [  # (scene, frame 1, flow file relative to the scene, mask folder or None)
    ("alley_1", 1, "flow/frame_0001.flo", None),
    ("alley_1", 2, "flow/frame_0002.flo", ""),
    ("alley_1", 3, "flow/frame_0003.flo", None),
    ("cave_2", 2, "gt/frame_0002.flo", "gt/"),
    ("market_5", 2, "gt/frame_0002.flo", "gt/"),
]


class ZeroFlow(torch.nn.Module):
    """The no-motion reference: predicts zero flow everywhere."""

    def predict(self, image1: torch.Tensor, image2: torch.Tensor, *, iters: int = 12) -> torch.Tensor:
        """(N, 2, H, W) zeros."""
        del image2, iters
        return image1.new_zeros(image1.shape[0], 2, *image1.shape[2:])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", type=Path, required=True, help="RAFT-small state dict (bare keys)")
    p.add_argument("--iters", type=int, default=12)
    p.add_argument("--scale", type=float, default=0.5, help="Sintel working resolution as a fraction")
    p.add_argument("--size", type=int, default=128, help="square size of the synthetic held-out clips")
    p.add_argument(
        "--synthetic-scale",
        type=float,
        default=1.0,
        help="working resolution of the synthetic pairs as a multiple of --size (2.0: every method sees 256 px)",
    )
    p.add_argument("--no-sintel", action="store_true", help="synthetic rows only")
    p.add_argument("--clips", type=int, default=8, help="held-out synthetic human clips")
    p.add_argument("--held-out", default="cmu_3dsmax/131_03.bvh", help="mocap file, relative to data/mocap")
    p.add_argument("--seed", type=int, default=12345, help="seed of the synthetic held-out data")
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    p.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    return p.parse_args(argv)


def _rgb(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"error: cannot read image {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _tensor(images: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()


def run_method(
    method: torch.nn.Module, image1: torch.Tensor, image2: torch.Tensor, iters: int, scale: float = 1.0
):
    """Flow of each pair at ``scale`` of the input size, returned at full size; and seconds per pair.

    Args:
        method: a module with ``predict(image1, image2, *, iters)``.
        image1: (N, 3, H, W) float RGB in [0, 255].
        image2: likewise.
        iters: RAFT iterations (ignored by DIS).
        scale: working resolution as a fraction of (H, W).

    Returns:
        ((N, H, W, 2) float32 flow in full-size pixels, seconds per pair).
    """
    n, _, H, W = image1.shape
    flows, start = [], time.perf_counter()
    for i in range(n):
        a, b = image1[i : i + 1], image2[i : i + 1]
        if scale != 1.0:
            size = (round(H * scale), round(W * scale))
            mode = "area" if scale < 1.0 else "bilinear"  # area averages when shrinking; bilinear enlarges
            a = torch.nn.functional.interpolate(a, size=size, mode=mode)
            b = torch.nn.functional.interpolate(b, size=size, mode=mode)
        flow = method.predict(a, b, iters=iters)
        if scale != 1.0:
            h, w = flow.shape[-2:]
            flow = torch.nn.functional.interpolate(flow, size=(H, W), mode="bilinear", align_corners=False)
            flow = flow * torch.tensor([W / w, H / h]).view(1, 2, 1, 1)  # u in x pixels, v in y pixels
        flows.append(flow[0].permute(1, 2, 0).numpy())
    return np.stack(flows), (time.perf_counter() - start) / n


def synthetic_rows(args: argparse.Namespace, methods: dict[str, torch.nn.Module]) -> list[dict]:
    """EPE on held-out rendered humans (all / valid / human pixels) and held-out AutoFlow scenes."""
    rows = []
    held_out = args.shared / "data" / "mocap" / args.held_out
    sets = [autoflow_validation(16, (args.size, args.size), args.seed)]
    if held_out.is_file():
        sets.insert(0, human_validation(held_out, args.clips, args.size, args.seed, HumanConfig()))
    else:
        print(f"warning: {held_out} not found; synthetic human rows skipped", file=sys.stderr)
    for vset in sets:
        b = vset.batch
        gt = b["flow"].permute(0, 2, 3, 1).numpy()
        valid, human = b["valid"].numpy(), b["human"].numpy()
        for name, method in methods.items():
            pred, secs = run_method(method, b["image1"], b["image2"], args.iters, args.synthetic_scale)
            work = round(args.size * args.synthetic_scale)
            rows.append(
                {
                    "data": f"synthetic {vset.name} ({gt.shape[0]} pairs, {args.size}px, run at {work}px)",
                    "method": name,
                    "epe_all": epe(pred, gt, None),
                    "epe_valid": epe(pred, gt, valid),
                    "epe_human": epe(pred, gt, human) if human.any() else float("nan"),
                    "s_per_pair": secs,
                }
            )
    return rows


def sintel_rows(args: argparse.Namespace, methods: dict[str, torch.nn.Module]) -> list[dict]:
    """EPE on the Sintel human frames, per pass, all pixels and non-occluded valid pixels."""
    root = args.shared / "data" / "sintel_human"
    if not root.is_dir():
        print(f"warning: {root} not found; Sintel rows skipped", file=sys.stderr)
        return []
    rows = []
    for render_pass in ("clean", "final"):
        im1, im2, gts, masks = [], [], [], []
        for scene, frame, flo, mask_dir in SINTEL_PAIRS:
            im1.append(_rgb(root / scene / render_pass / f"frame_{frame:04d}.png"))
            im2.append(_rgb(root / scene / render_pass / f"frame_{frame + 1:04d}.png"))
            gts.append(read_flo(root / scene / flo))
            if mask_dir is None:
                masks.append(None)
            else:
                occ = cv2.imread(
                    str(root / scene / f"{mask_dir}occlusions/frame_{frame:04d}.png"), cv2.IMREAD_GRAYSCALE
                )
                inv = cv2.imread(
                    str(root / scene / f"{mask_dir}invalid/frame_{frame:04d}.png"), cv2.IMREAD_GRAYSCALE
                )
                masks.append((occ < 128) & (inv < 128))
        gt = np.stack(gts)
        for name, method in methods.items():
            pred, secs = run_method(method, _tensor(im1), _tensor(im2), args.iters, args.scale)
            noc = [epe(pred[i], gt[i], m) for i, m in enumerate(masks) if m is not None]
            rows.append(
                {
                    "data": f"Sintel {render_pass} ({len(gts)} pairs, at {args.scale:g}x)",
                    "method": name,
                    "epe_all": epe(pred, gt, None),
                    "epe_valid": float(np.mean(noc)),
                    "epe_human": float("nan"),
                    "s_per_pair": secs,
                }
            )
    return rows


def markdown(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    def fmt(v):
        return "-" if np.isnan(v) else f"{v:.2f}"
    lines = [
        "| data | method | EPE all | EPE valid / noc | EPE human | s / pair |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['data']} | {r['method']} | {fmt(r['epe_all'])} | {fmt(r['epe_valid'])} | "
            f"{fmt(r['epe_human'])} | {r['s_per_pair']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Evaluate and print the table."""
    args = parse_args(argv)
    if not args.weights.is_file():
        print(f"error: weights file {args.weights} does not exist", file=sys.stderr)
        return 2
    raft = raft_small()
    raft.load_state_dict(torch.load(args.weights, map_location="cpu"))
    methods = {
        f"RAFT-small ({args.weights.name}, {args.iters} it)": raft.eval(),
        "DIS medium": DISFlow("medium"),
        "zero flow (reference)": ZeroFlow(),
    }
    rows = synthetic_rows(args, methods) + ([] if args.no_sintel else sintel_rows(args, methods))
    print(markdown(rows))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
