"""Score RAFT-small weights on the validation sets a training run of a given seed uses.

The trainer's held-out sets follow ``--seed`` (``flowpose.train.validation.validation_sets``), so a run's
validation log is comparable only with weights scored on the same seed. This scores any weights that way,
e.g. a previous stage's ``best.pt`` as the step-0 row of a new stage's table:

    python benchmarks/experiments/validate_flow_weights.py --seed 3 benchmarks/train_runs/raft_small_human/best.pt

Prints one line per weights file: the figures ``log.jsonl`` holds for a validation (px), with the score
averaging the human-pixel EPE in as ``--score-human-pixels`` runs do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from flowpose.errors import InputError
from flowpose.flow.checkpoint import read_state_dict
from flowpose.flow.raft import raft_small
from flowpose.train.config import TrainConfig
from flowpose.train.validation import validate, validation_sets

DEFAULT_SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("weights", type=Path, nargs="+", help="RAFT-small state dicts (bare keys)")
    p.add_argument("--seed", type=int, default=TrainConfig.seed, help="the run's --seed")
    p.add_argument("--size", type=int, default=128, help="the run's --size (square crop, px)")
    p.add_argument("--iters", type=int, default=10, help="the run's --iters")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Score each weights file and print its figures."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    config = TrainConfig(seed=args.seed, crop=(args.size, args.size), iters=args.iters)
    held_out = args.shared / "data" / "mocap" / config.held_out_motion
    if not held_out.is_file():
        print(f"error: held-out motion {held_out} not found (set --shared)", file=sys.stderr)
        return 2
    try:
        states = {path: read_state_dict(path) for path in args.weights}
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sets = validation_sets(config, held_out)
    for path, state in states.items():
        model = raft_small()
        model.load_state_dict(state)
        stats = validate(model.eval(), sets, iters=config.iters, score_human_pixels=True)
        print(path, " ".join(f"{k} {v:.3f}" for k, v in stats.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
