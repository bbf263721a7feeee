r"""Train RAFT-small from scratch on generated data (AutoFlow scenes + rendered mocap humans).

A thin shell over :func:`flowpose.train.trainer.train`. Resumable: run the same command again (with
``--resume``, the default) and it continues from ``OUT/checkpoint.pt``.

Example (the long run, in the background, one core for the model and one for data generation):

    OMP_NUM_THREADS=1 nohup python benchmarks/train_flow.py --out runs/raft_small --steps 100000 \\
        --export flowpose/weights/raft_small_flowpose.pt > runs/raft_small.out 2>&1 &
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

import torch

from flowpose.io.atomic import atomic_path
from flowpose.train.config import TrainConfig
from flowpose.train.trainer import TrainSummary, train

DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True, help="run folder (checkpoint, log.jsonl, best.pt)")
    p.add_argument("--steps", type=int, required=True, help="total steps of the schedule")
    p.add_argument("--stop-at", type=int, default=None, help="stop this session after this step")
    p.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True, help="continue a run")
    p.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    p.add_argument("--size", type=int, default=TrainConfig.crop[0], help="square training crop, px")
    p.add_argument("--lr", type=float, default=TrainConfig.lr)
    p.add_argument("--iters", type=int, default=TrainConfig.iters)
    p.add_argument("--human-fraction", type=float, default=TrainConfig.human_fraction)
    p.add_argument(
        "--init", type=Path, default=None, help="start from these weights (a second stage) instead of scratch"
    )
    p.add_argument(
        "--human-loss-weight",
        type=float,
        default=TrainConfig.human_loss_weight,
        help="weight of a person's pixels in the loss relative to the other pixels",
    )
    p.add_argument(
        "--score-human-pixels",
        action="store_true",
        help="also average the human-pixel validation EPE into the score that picks best.pt",
    )
    p.add_argument("--val-every", type=int, default=TrainConfig.val_every)
    p.add_argument("--checkpoint-every", type=int, default=TrainConfig.checkpoint_every)
    p.add_argument("--log-every", type=int, default=TrainConfig.log_every)
    p.add_argument("--seed", type=int, default=TrainConfig.seed)
    p.add_argument("--threads", type=int, default=TrainConfig.num_threads, help="torch threads of the model")
    p.add_argument("--data-workers", type=int, default=TrainConfig.data_workers)
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="shared folder with data/mocap")
    p.add_argument("--no-human", action="store_true", help="AutoFlow scenes only")
    p.add_argument(
        "--export", type=Path, default=None, help="copy best.pt here, with a .json recipe beside it"
    )
    return p.parse_args(argv)


def export(summary: TrainSummary, config: TrainConfig, target: Path, shared: Path | None) -> None:
    """Copy the best weights to ``target``; write the recipe and figures beside it as JSON."""
    source = summary.out_dir / "best.pt"
    if not source.is_file():
        raise SystemExit(f"error: {source} does not exist yet (no validation has run); nothing to export")
    state = torch.load(source, map_location="cpu")
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    vals = [json.loads(line) for line in (summary.out_dir / "log.jsonl").read_text().splitlines()]
    best = [v for v in vals if v["kind"] == "val" and v["step"] == summary.best_step]
    recipe = {
        "model": "raft_small",
        "num_parameters": int(sum(v.numel() for v in state.values())),
        "trained_from": (
            "scratch (random init), no external data or weights"
            if config.init_weights is None
            else f"{config.init_weights} (itself trained here), no external data or weights"
        ),
        "data": {
            "autoflow_fraction": 1.0 - (config.human_fraction if shared else 0.0),
            "human_fraction": config.human_fraction if shared else 0.0,
            "mocap": "CMU mocap (mocap.cs.cmu.edu) and AnimatedDrawings clips rendered by flowpose.synth",
            "held_out_motion": config.held_out_motion,
        },
        "config": asdict(config),
        "steps": summary.step,
        "best_step": summary.best_step,
        "wall_seconds": summary.wall_seconds,
        "validation_at_best": best[-1] if best else None,
    }
    if config.init_weights is not None:
        previous = Path(config.init_weights).with_suffix(".json")
        recipe["previous_stage"] = json.loads(previous.read_text()) if previous.is_file() else None
    with atomic_path(target.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(recipe, indent=2) + "\n")


def print_record(record: dict[str, float | int | str]) -> None:
    """One progress line per log record."""
    if record["kind"] == "train":
        print(
            f"step {record['step']:>7}  loss {record['loss']:.3f}  epe {record['epe']:.3f}  "
            f"lr {record['lr']:.2e}  {record['seconds'] / 60:.1f} min",
            flush=True,
        )
    else:
        figures = "  ".join(f"{k} {v:.3f}" for k, v in record.items() if "/" in k or k == "score")
        print(f"validation at step {record['step']}: {figures}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse, train, print a summary, export."""
    args = parse_args(argv)
    config = TrainConfig(
        steps=args.steps,
        batch_size=args.batch_size,
        crop=(args.size, args.size),
        lr=args.lr,
        iters=args.iters,
        human_fraction=0.0 if args.no_human else args.human_fraction,
        human_loss_weight=args.human_loss_weight,
        init_weights=None if args.init is None else str(args.init),
        score_human_pixels=args.score_human_pixels,
        val_every=args.val_every,
        checkpoint_every=args.checkpoint_every,
        log_every=args.log_every,
        seed=args.seed,
        num_threads=args.threads,
        data_workers=args.data_workers,
    )
    shared = None if args.no_human else args.shared
    if shared is not None and not (shared / "data" / "mocap").is_dir():
        print(
            f"error: no mocap folder at {shared / 'data' / 'mocap'}; pass --shared or --no-human",
            file=sys.stderr,
        )
        return 2
    print(f"training to step {args.stop_at or args.steps} of {args.steps} in {args.out}", flush=True)
    summary = train(
        config,
        out_dir=args.out,
        shared_dir=shared,
        resume=args.resume,
        stop_at=args.stop_at,
        on_log=print_record,
    )
    print(
        f"step {summary.step}: {summary.wall_seconds / 60:.1f} min, best step {summary.best_step} "
        f"(score {summary.best_score:.3f} px), last validation {json.dumps(summary.last_validation)}",
        flush=True,
    )
    if args.export is not None:
        export(summary, config, args.export, shared)
        print(f"exported {args.export} and {args.export.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
