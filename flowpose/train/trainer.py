"""Training RAFT-small from scratch on generated data: AutoFlow scenes mixed with rendered humans.

The recipe follows RAFT's training (Teed & Deng, ECCV 2020, Sec. 4 and ``train.py``): AdamW, a one-cycle
learning rate with linear annealing, gradient clipping at 1, the sequence loss with gamma 0.8 over 12
iterations. Data are generated on the fly (no download) by a background worker process so that generation
overlaps the optimisation (with 2 CPU cores: one for the model, ``num_threads = 1``, one for the worker).

Outputs in ``out_dir``: ``checkpoint.pt`` (everything needed to resume, written atomically), ``log.jsonl``
(one line per log interval and per validation), ``best.pt`` and ``final.pt`` (bare state dicts with exactly
the keys of the model, loadable like an official checkpoint).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from flowpose.errors import InputError
from flowpose.flow.checkpoint import read_state_dict
from flowpose.io.atomic import atomic_path
from flowpose.train.config import TrainConfig
from flowpose.train.data import StepBatches
from flowpose.train.human import HumanPairSource, list_motions
from flowpose.train.loss import sequence_loss
from flowpose.train.validation import validate, validation_sets


@dataclass(frozen=True)
class TrainSummary:
    """What a call to :func:`train` did.

    Attributes:
        step: last completed step.
        wall_seconds: training wall time over all sessions, s.
        best_step: step of ``best.pt`` (0 if no validation ran yet).
        best_score: its validation score (mean valid-pixel EPE over the validation sets), px.
        last_validation: the latest validation figures, ``{"<set>/<metric>": px}``.
        out_dir: the run folder.
    """

    step: int
    wall_seconds: float
    best_step: int
    best_score: float
    last_validation: dict[str, float]
    out_dir: Path


# Settings that may change between sessions of one run (they do not affect the numbers).
_RESUMABLE = frozenset(
    {"log_every", "val_every", "checkpoint_every", "checkpoint_minutes", "num_threads", "data_workers"}
)


def _default_model() -> nn.Module:
    from flowpose.flow.raft import raft_small

    return raft_small()


def _save_weights(model: nn.Module, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save({k: v.detach().clone() for k, v in model.state_dict().items()}, tmp)


def _load_init(model: nn.Module, path: Path) -> None:
    """Load the starting weights of a second stage; a missing file or other keys is an InputError."""
    if not path.is_file():
        raise InputError(f"TrainConfig.init_weights: {path} does not exist; expected a state dict (.pt)")
    state = read_state_dict(path)
    if set(state) != set(model.state_dict()):
        got = sorted(state)[:3]
        raise InputError(
            f"TrainConfig.init_weights: {path} is not a state dict of this model "
            f"(expected its {len(model.state_dict())} keys, got {got}...)"
        )
    model.load_state_dict(state)


def _worker_init(_: int) -> None:
    torch.set_num_threads(1)
    cv2.setNumThreads(1)


def _human_source(config: TrainConfig, shared_dir: Path | None) -> tuple[HumanPairSource | None, Path | None]:
    if shared_dir is None or config.human_fraction == 0.0:
        return None, None
    mocap = Path(shared_dir) / "data" / "mocap"
    held_out = mocap / config.held_out_motion
    if not held_out.is_file():
        raise InputError(
            f"held-out motion {held_out} not found; set TrainConfig.held_out_motion to a file in {mocap}"
        )
    train_paths = [p for p in list_motions(mocap) if p.resolve() != held_out.resolve()]
    size = config.crop[0] + 16
    return HumanPairSource(
        train_paths, max(size, config.crop[1] + 16), seed=config.seed, config=config.human
    ), held_out


def train(
    config: TrainConfig,
    *,
    out_dir: Path,
    shared_dir: Path | None,
    resume: bool = True,
    stop_at: int | None = None,
    model_fn: Callable[[], nn.Module] = _default_model,
    on_log: Callable[[dict[str, float | int | str]], None] | None = None,
) -> TrainSummary:
    """Train a flow network on generated data, resumably.

    Args:
        config: the recipe.
        out_dir: run folder (created); holds the checkpoint, log and weights.
        shared_dir: the ``shared`` folder with ``data/mocap`` for human pairs, or None for AutoFlow only.
        resume: continue from ``out_dir/checkpoint.pt`` when it exists (else start afresh, overwriting).
        stop_at: stop (with a checkpoint) after this step although the schedule runs to ``config.steps``;
            None runs to the end.
        model_fn: builds the network (default RAFT-small); must return a module with
            ``forward(image1, image2, *, iters) -> list[(N, 2, H, W)]`` and ``predict``.
        on_log: called with every record written to ``log.jsonl`` (e.g. to print progress).

    Returns:
        The :class:`TrainSummary`.

    Raises:
        InputError: for a held-out motion that does not exist, or a checkpoint of a different recipe.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.num_threads)
    torch.manual_seed(config.seed)
    model = model_fn()
    if config.init_weights is not None:
        _load_init(model, Path(config.init_weights))
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay, eps=1e-8
    )
    # RAFT schedules steps + 100 so the rate never reaches exactly zero at the last step.
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        config.lr,
        total_steps=config.steps + 100,
        pct_start=config.pct_start,
        cycle_momentum=False,
        anneal_strategy="linear",
    )
    step, elapsed, best_step, best_score, last_val = 0, 0.0, 0, math.inf, {}
    ckpt_path = out_dir / "checkpoint.pt"
    if resume and ckpt_path.is_file():
        # weights_only: no pickled code runs, even from a checkpoint someone else put in out_dir.
        try:
            ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
            raise InputError(
                f"{ckpt_path}: not a resumable flowpose training checkpoint (corrupt, or holds objects other "
                f"than tensors and plain values: {type(exc).__name__}); use a new out_dir or resume=False"
            ) from None
        # A field added after the checkpoint was written counts as unchanged when it has its default.
        defaults = asdict(TrainConfig())
        changed = sorted(
            k
            for k, v in asdict(config).items()
            if k not in _RESUMABLE and ckpt["config"].get(k, defaults[k]) != v
        )
        if changed:
            raise InputError(
                f"{ckpt_path} was written with another recipe (differs in {changed}); "
                "use the same settings, a new out_dir, or resume=False"
            )
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        step, elapsed = ckpt["step"], ckpt["elapsed"]
        best_step, best_score, last_val = ckpt["best_step"], ckpt["best_score"], ckpt["last_val"]
        torch.set_rng_state(ckpt["torch_rng"])
        name, keys, pos, has_gauss, cached = ckpt["numpy_rng"]
        np.random.set_state((name, np.asarray(keys, np.int64).astype(np.uint32), pos, has_gauss, cached))
        random.setstate(ckpt["python_rng"])
    elif (out_dir / "log.jsonl").exists():
        (out_dir / "log.jsonl").unlink()

    human, held_out = _human_source(config, shared_dir)
    val_sets = validation_sets(config, held_out)
    end = config.steps if stop_at is None else min(stop_at, config.steps)
    dataset = StepBatches(
        seed=config.seed,
        batch_size=config.batch_size,
        crop=config.crop,
        human_fraction=config.human_fraction,
        human=human,
    )
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=None,
        sampler=range(step + 1, end + 1),
        num_workers=config.data_workers,
        prefetch_factor=2 if config.data_workers else None,
        worker_init_fn=_worker_init,
        # spawn, not fork: a forked child inherits OpenCV's/OpenMP's thread pools in a locked state and hangs.
        multiprocessing_context="spawn" if config.data_workers else None,
    )

    def _numpy_rng_state() -> tuple:
        name, keys, pos, has_gauss, cached = np.random.get_state()
        return str(name), torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)

    def checkpoint() -> None:
        state = {
            "config": asdict(config),
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "step": step,
            "elapsed": elapsed,
            "best_step": best_step,
            "best_score": best_score,
            "last_val": last_val,
            "torch_rng": torch.get_rng_state(),
            # as plain values (a name, a tensor, numbers), so that weights_only loading accepts it
            "numpy_rng": _numpy_rng_state(),
            "python_rng": random.getstate(),
        }
        with atomic_path(ckpt_path) as tmp:
            torch.save(state, tmp)

    with open(out_dir / "log.jsonl", "a", encoding="utf-8") as log:

        def write(record: dict[str, float | int | str]) -> None:
            log.write(json.dumps(record) + "\n")
            log.flush()
            if on_log is not None:
                on_log(record)

        session_start = time.monotonic() - elapsed
        last_ckpt = time.monotonic()
        window: list[dict[str, float]] = []
        for batch in loader:
            step += 1
            model.train()
            predictions = model(batch["image1"], batch["image2"], iters=config.iters)
            out = sequence_loss(
                predictions,
                batch["flow"],
                batch["valid"],
                gamma=config.gamma,
                max_flow=config.max_flow,
                pixel_weight=1.0 + (config.human_loss_weight - 1.0) * batch["human"].float(),
            )
            optimizer.zero_grad(set_to_none=True)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            scheduler.step()
            elapsed = time.monotonic() - session_start
            window.append(out.metrics())
            if step % config.log_every == 0 or step == end:
                mean = {k: float(np.nanmean([w[k] for w in window])) for k in window[0]}
                write(
                    {
                        "kind": "train",
                        "step": step,
                        **mean,
                        "lr": scheduler.get_last_lr()[0],
                        "seconds": elapsed,
                    }
                )
                window = []
            if step % config.val_every == 0 or step == config.steps:
                last_val = validate(
                    model, val_sets, iters=config.iters, score_human_pixels=config.score_human_pixels
                )
                write({"kind": "val", "step": step, **last_val, "seconds": elapsed})
                if last_val["score"] < best_score:
                    best_step, best_score = step, last_val["score"]
                    _save_weights(model, out_dir / "best.pt")
            if (
                step % config.checkpoint_every == 0
                or step == end
                or time.monotonic() - last_ckpt > 60 * config.checkpoint_minutes
            ):
                checkpoint()
                last_ckpt = time.monotonic()
        if step == config.steps:
            _save_weights(model, out_dir / "final.pt")
    return TrainSummary(step, elapsed, best_step, best_score, last_val, out_dir)
