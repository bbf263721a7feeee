"""How well can RAFT-small's output representation hold human flow at all? An upper bound, no network involved.

RAFT-small predicts flow on a 1/8 grid and upsamples it bilinearly (``upflow8``; it has no learned convex
mask). For the held-out synthetic human pairs of ``eval_flow_default.py`` this script finds coarse grids
``c`` (B, 2, H/8, W/8) directly from the ground truth and reports the human-pixel EPE of ``upflow8(c)``:

- ``area``: the ground truth area-averaged onto the grid (what a network that got every cell's mean right
  would give);
- ``fit``: ``c`` optimised with Adam to minimise the human-pixel EPE alone (a near lower bound for the
  representation; it may spoil the background);
- ``fit-all``: ``c`` optimised for the EPE over all pixels, the objective training actually has.

If these sit well below DIS, the 1/8 grid is not what keeps a trained RAFT-small above DIS on people.

    python benchmarks/experiments/diagnose_flow_grid.py [--size 128] [--clips 8] [--steps 400]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from flowpose.flow.grids import bilinear_upsample
from flowpose.train.data import human_validation
from flowpose.train.human import HumanConfig

DEFAULT_SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def upsampled_epe(grid: torch.Tensor, flow: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean EPE over ``mask`` (B, H, W) of ``upflow8(grid)`` against ``flow`` (B, 2, H, W): a scalar, px."""
    return torch.linalg.vector_norm(bilinear_upsample(grid, None, 8) - flow, dim=1)[mask].mean()


def fit_grid(flow: torch.Tensor, mask: torch.Tensor, steps: int, init: torch.Tensor) -> torch.Tensor:
    """Coarse grid whose ``upflow8`` minimises the mean EPE over ``mask``.

    Args:
        flow: (B, 2, H, W) ground truth, px.
        mask: (B, H, W) bool, pixels the objective counts.
        steps: Adam steps (lr 0.05 px per step).
        init: (B, 2, H/8, W/8) starting grid, px at 1/8 scale.

    Returns:
        (B, 2, H/8, W/8) the fitted grid.
    """
    grid = init.clone().requires_grad_(True)
    opt = torch.optim.Adam([grid], lr=0.05)
    for _ in range(steps):
        loss = upsampled_epe(grid, flow, mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return grid.detach()


def main(argv: list[str] | None = None) -> None:
    """Print the human-pixel EPE of each grid at each size."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, nargs="+", default=[128], help="square render sizes, multiples of 8")
    p.add_argument("--clips", type=int, default=8)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--seed", type=int, default=12345, help="the seed of eval_flow_default.py's held-out set")
    p.add_argument("--held-out", default="cmu_3dsmax/131_03.bvh")
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = p.parse_args(argv)
    motion = args.shared / "data" / "mocap" / args.held_out
    if not motion.is_file():
        raise SystemExit(f"error: held-out motion {motion} not found; pass --shared")
    print("| size | pairs | zero flow | area | fit-all (all px / human px) | fit (human px) |")
    print("|---|---|---|---|---|---|")
    for size in args.size:
        batch = human_validation(motion, args.clips, size, args.seed, HumanConfig()).batch
        flow, human = batch["flow"], batch["human"]
        area = torch.nn.functional.interpolate(flow, scale_factor=1 / 8, mode="area") / 8

        every = torch.ones_like(human)
        fit_all = fit_grid(flow, every, args.steps, area)
        fit = fit_grid(flow, human, args.steps, area)
        zero = float(torch.linalg.vector_norm(flow, dim=1)[human].mean())
        epe = [
            float(upsampled_epe(g, flow, m)) for g, m in ((area, human), (fit_all, every), (fit_all, human))
        ]
        fit_epe = float(upsampled_epe(fit, flow, human))
        print(
            f"| {size} | {flow.shape[0]} | {zero:.2f} | {epe[0]:.2f} | {epe[1]:.2f} / {epe[2]:.2f} | {fit_epe:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
