"""Flow backends on MPI-Sintel frames with the human character: end-point error and seconds per pair.

Scenes (``../shared/data/sintel_human``, 1024x436): alley_1 pairs 1->2, 2->3, 3->4 (``flow/``), cave_2 and
market_5 pair 2->3 (``gt/frame_0002.flo``); clean and final passes. Every backend runs through
:func:`flowpose.flow.infer.compute_video_flow` (forward flow only), on the full frame or downscaled to a
working size, and its flow is resampled to the full frame (``FlowField.to_full_frame``) for scoring.

Columns (EPE in full-frame pixels, mean over pairs of the per-pair mean):
- ``all``: every pixel.
- ``valid``: pixels neither occluded nor invalid per Sintel's masks; only the 2->3 pairs have masks, so it
  averages those.
- ``human``: n/a. Sintel gives no person masks, and no approximation (e.g. by motion) would be honest
  enough to report as "human pixels".
- ``s/pair``: wall time of ``compute_video_flow`` per pair at the working size (resampling included),
  after one warm-up pair.

A ``zero`` row (predicting no motion) gives the scale of the numbers. Networks without ``--weights`` run with
random initialisation: the official checkpoints cannot be downloaded on a machine without network access, so
their EPE then measures nothing but the plumbing, while their timing is real.

Usage::

    python benchmarks/bench_flow.py [--data DIR] [--backends dis,raft-small,raft] [--work-size 256]
        [--weights raft=PATH ...] [--iters 12] [--device cpu] [--dis-preset fine]
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from flowpose.flow.classical import DIS_PRESETS, DISFlow
from flowpose.flow.field import FlowField
from flowpose.flow.infer import compute_video_flow
from flowpose.flow.registry import FLOW_BACKENDS, load_flow_model
from flowpose.io.flo import read_flo
from flowpose.metrics import epe

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sintel_human"


@dataclass(frozen=True)
class Pair:
    """One scored frame pair: frame ``first`` -> ``first + 1`` of ``scene``, with its ground truth."""

    scene: str
    first: int
    flow: Path
    occlusions: Path | None
    invalid: Path | None


def sintel_pairs(root: Path) -> list[Pair]:
    """The benchmark's pairs, in table order; fails loudly when a file is missing."""
    pairs = []
    for t in (1, 2, 3):
        masked = t == 2
        pairs.append(
            Pair(
                "alley_1",
                t,
                root / "alley_1" / "flow" / f"frame_{t:04d}.flo",
                root / "alley_1" / "occlusions" / "frame_0002.png" if masked else None,
                root / "alley_1" / "invalid" / "frame_0002.png" if masked else None,
            )
        )
    for scene in ("cave_2", "market_5"):
        gt = root / scene / "gt"
        pairs.append(
            Pair(
                scene,
                2,
                gt / "frame_0002.flo",
                gt / "occlusions" / "frame_0002.png",
                gt / "invalid" / "frame_0002.png",
            )
        )
    for p in pairs:
        for path in (p.flow, p.occlusions, p.invalid):
            if path is not None and not path.is_file():
                raise FileNotFoundError(f"benchmark data missing: {path}")
    return pairs


def read_rgb(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"cannot read image {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def read_mask(path: Path) -> np.ndarray:
    """(H, W) bool, True where the PNG is non-zero."""
    mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise FileNotFoundError(f"cannot read mask {path}")
    return mask > 0


def full_frame_flow(field: FlowField) -> np.ndarray:
    """(P, H, W, 2) flow at every full-frame pixel, edge-extended where the grid does not reach.

    A downscaled full-frame grid's pixel centres stop (scale - 1) / 2 px short of the image border (half-pixel
    convention), where ``FlowField.to_full_frame`` reports "not covered"; those rim pixels take the flow of
    the nearest grid edge, as resizing the flow with replicated borders would.
    """
    if field.is_full_frame:
        return field.flow
    H, W = field.image_size
    h, w = field.flow.shape[1:3]
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    pts = np.broadcast_to(np.stack([xs, ys], -1).reshape(1, -1, 2), (field.num_pairs, H * W, 2))
    lo = field.origin[:, None, :].astype(np.float64)
    hi = lo + field.scale[:, None, None] * np.array([w - 1, h - 1])
    flow, _ = field.sample(torch.from_numpy(np.clip(pts, lo, hi)))
    return flow.reshape(-1, H, W, 2).float().numpy()


def score(field: FlowField, pair: Pair) -> tuple[float, float | None]:
    """EPE over all pixels and over valid (not occluded, not invalid) pixels, in full-frame px."""
    flow = full_frame_flow(field)
    gt = read_flo(pair.flow)
    all_px = epe(flow[0], gt)
    if pair.occlusions is None:
        return all_px, None
    valid = ~read_mask(pair.occlusions) & ~read_mask(pair.invalid)
    return all_px, epe(flow[0], gt, valid)


def run_backend(
    name: str,
    weights: str | None,
    root: Path,
    passes: list[str],
    work_size: int | None,
    iters: int,
    device: str,
    dis_preset: str = "fine",
) -> list[tuple[str, str, str, float, float | None, float | None]]:
    """Rows (backend, pass, scene, EPE all, EPE valid, s/pair) of one backend (``"zero"``: no motion; ``"dis"``
    with ``dis_preset``)."""
    model = None
    if name == "dis":
        model = DISFlow(dis_preset)
    elif name != "zero":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the random-init warning; the table says so instead
            model = load_flow_model(name, weights=weights, device=device)
    pairs = sintel_pairs(root)
    rows = []
    warmed = False
    for pss in passes:
        for pair in pairs:
            frames = np.stack(
                [read_rgb(root / pair.scene / pss / f"frame_{pair.first + k:04d}.png") for k in (0, 1)]
            )
            if model is None:
                field, seconds = FlowField.full_frame(np.zeros((1, *frames.shape[1:3], 2), np.float32)), None
            else:
                if not warmed:
                    compute_video_flow(
                        model, frames, work_size=work_size, iters=iters, backward=False, device=device
                    )
                    warmed = True
                start = time.perf_counter()
                field = compute_video_flow(
                    model, frames, work_size=work_size, iters=iters, backward=False, device=device
                )
                seconds = time.perf_counter() - start
            all_px, valid_px = score(field, pair)
            rows.append(
                (name, pss, f"{pair.scene} {pair.first}->{pair.first + 1}", all_px, valid_px, seconds)
            )
    return rows


def fmt(value: float | None, spec: str) -> str:
    """A number for the table, or n/a."""
    return "n/a" if value is None else format(value, spec)


def markdown(rows: list[tuple], work_sizes: dict[str, str]) -> str:
    """Per-pair table, then a per-backend-and-pass summary."""
    lines = [
        "| backend | grid | pass | pair | EPE all | EPE valid | EPE human | s/pair |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for b, pss, pair, a, v, s in rows:
        lines.append(
            f"| {b} | {work_sizes[b]} | {pss} | {pair} | {a:.2f} | {fmt(v, '.2f')} | n/a | {fmt(s, '.3f')} |"
        )
    lines += [
        "",
        "| backend | grid | pass | EPE all (5 pairs) | EPE valid (3 masked pairs) | EPE human | s/pair |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for b in dict.fromkeys(r[0] for r in rows):
        for pss in dict.fromkeys(r[1] for r in rows):
            sel = [r for r in rows if r[0] == b and r[1] == pss]
            if not sel:
                continue
            a = np.mean([r[3] for r in sel])
            valid = [r[4] for r in sel if r[4] is not None]
            secs = [r[5] for r in sel if r[5] is not None]
            lines.append(
                f"| {b} | {work_sizes[b]} | {pss} | {a:.2f} | {fmt(np.mean(valid) if valid else None, '.2f')}"
                f" | n/a | {fmt(np.mean(secs) if secs else None, '.3f')} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run every backend, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--backends", default="dis,raft-small,raft")
    parser.add_argument("--passes", default="clean,final")
    parser.add_argument(
        "--work-size", type=int, default=256, help="long side for the networks (DIS: full frame)"
    )
    parser.add_argument(
        "--weights",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="weights for a network, e.g. raft=raft-things.pth; default random init",
    )
    parser.add_argument("--iters", type=int, default=12)
    parser.add_argument("--dis-preset", default="fine", choices=list(DIS_PRESETS), help="DIS's preset")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)

    weights = dict(item.split("=", 1) for item in args.weights)
    backends = [b for b in args.backends.split(",") if b]
    unknown = [b for b in backends + list(weights) if b not in FLOW_BACKENDS]
    if unknown:
        parser.error(f"unknown backend(s) {unknown}; choose from {list(FLOW_BACKENDS)}")
    torch.manual_seed(0)  # random-init networks: reproducible rows
    rows = run_backend("zero", None, args.data, args.passes.split(","), None, args.iters, args.device)
    sizes = {"zero": "1024x436"}
    for name in backends:
        network = FLOW_BACKENDS[name].takes_weights
        work = args.work_size if network else None
        sizes[name] = "1024x436" if work is None else f"{work}x{round(436 * work / 1024)}"
        if network:
            sizes[name] += f", {'weights ' + Path(weights[name]).name if name in weights else 'random init'}"
        chosen = weights.get(name, "random") if network else None
        rows += run_backend(name, chosen, args.data, args.passes.split(","), work, args.iters, args.device,
                            args.dis_preset)
        print(f"done: {name}", flush=True)
    print(f"torch threads: {torch.get_num_threads()}, device: {args.device}, iters: {args.iters}\n")
    print(markdown(rows, sizes))
    if any(FLOW_BACKENDS[b].takes_weights and b not in weights for b in backends):
        print(
            "\nNetworks marked 'random init' ran without trained weights: the official checkpoints cannot be "
            "downloaded on this machine (no network). Their EPE is meaningless; their timing is real."
        )


if __name__ == "__main__":
    main()
