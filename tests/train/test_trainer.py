"""Tests of the resumable trainer, with a tiny stand-in for RAFT."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from flowpose.errors import InputError
from flowpose.train.config import TrainConfig
from flowpose.train.trainer import train


class TinyFlow(nn.Module):
    """Two convolutions with RAFT's interface: a list of ``iters`` flows, and ``predict``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(6, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 2, 3, padding=1)

    def forward(self, image1: torch.Tensor, image2: torch.Tensor, *, iters: int = 12) -> list[torch.Tensor]:
        x = torch.cat([image1, image2], 1) / 255.0
        flow = self.conv2(torch.relu(self.conv1(x)))
        return [flow * (i + 1) / iters for i in range(iters)]

    def predict(self, image1: torch.Tensor, image2: torch.Tensor, *, iters: int = 12) -> torch.Tensor:
        with torch.no_grad():
            return self.forward(image1, image2, iters=iters)[-1]


CONFIG = TrainConfig(
    steps=6,
    batch_size=2,
    crop=(64, 64),
    iters=2,
    log_every=1,
    val_every=3,
    val_autoflow_pairs=2,
    checkpoint_every=100,
    data_workers=0,
)


def _log(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / "log.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_resume_matches_uninterrupted_run(tmp_path: Path) -> None:
    full = train(CONFIG, out_dir=tmp_path / "full", shared_dir=None, model_fn=TinyFlow)
    assert full.step == 6 and (tmp_path / "full" / "final.pt").is_file()

    part = train(CONFIG, out_dir=tmp_path / "part", shared_dir=None, stop_at=3, model_fn=TinyFlow)
    assert part.step == 3 and (tmp_path / "part" / "checkpoint.pt").is_file()
    assert not (tmp_path / "part" / "final.pt").exists()
    assert torch.load(tmp_path / "part" / "checkpoint.pt", weights_only=True)["step"] == 3  # plain values only
    resumed = train(CONFIG, out_dir=tmp_path / "part", shared_dir=None, model_fn=TinyFlow)
    assert resumed.step == 6

    a = torch.load(tmp_path / "full" / "final.pt")
    b = torch.load(tmp_path / "part" / "final.pt")
    assert list(a) == list(TinyFlow().state_dict())  # bare state dict, the model's own keys
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    train_full = [r["loss"] for r in _log(tmp_path / "full") if r["kind"] == "train"]
    train_part = [r["loss"] for r in _log(tmp_path / "part") if r["kind"] == "train"]
    assert train_full == train_part and len(train_full) == 6
    vals = [r for r in _log(tmp_path / "full") if r["kind"] == "val"]
    assert [r["step"] for r in vals] == [3, 6] and "autoflow/epe_valid" in vals[0]
    assert full.best_step in (3, 6) and (tmp_path / "full" / "best.pt").is_file()


@pytest.mark.slow
def test_background_worker_gives_the_same_batches(tmp_path: Path) -> None:
    cfg = TrainConfig(**{**CONFIG.__dict__, "steps": 2, "data_workers": 1, "val_every": 100})
    cfg0 = TrainConfig(**{**CONFIG.__dict__, "steps": 2, "data_workers": 0, "val_every": 100})
    train(cfg, out_dir=tmp_path / "w1", shared_dir=None, model_fn=TinyFlow)
    train(cfg0, out_dir=tmp_path / "w0", shared_dir=None, model_fn=TinyFlow)
    losses = [[r["loss"] for r in _log(tmp_path / d) if r["kind"] == "train"] for d in ("w1", "w0")]
    assert losses[0] == losses[1]


def test_one_cycle_schedule_is_logged(tmp_path: Path) -> None:
    cfg = TrainConfig(**{**CONFIG.__dict__, "steps": 20, "val_every": 100, "pct_start": 0.25})
    train(cfg, out_dir=tmp_path, shared_dir=None, model_fn=TinyFlow)
    lrs = [r["lr"] for r in _log(tmp_path) if r["kind"] == "train"]
    peak = max(range(len(lrs)), key=lrs.__getitem__)
    # OneCycle over steps + 100 = 120 with 25 % warm-up: the peak (4e-4) comes after 30 steps, not within 20
    assert peak == len(lrs) - 1 and lrs == sorted(lrs)
    assert lrs[0] < 4e-4 / 10 and lrs[-1] < 4e-4


def test_errors(tmp_path: Path) -> None:
    train(CONFIG, out_dir=tmp_path, shared_dir=None, stop_at=1, model_fn=TinyFlow)
    other = TrainConfig(**{**CONFIG.__dict__, "lr": 1e-3})
    with pytest.raises(InputError, match="lr"):
        train(other, out_dir=tmp_path, shared_dir=None, model_fn=TinyFlow)
    with pytest.raises(InputError, match="held-out motion"):
        bad = TrainConfig(**{**CONFIG.__dict__, "held_out_motion": "nope.bvh"})
        train(bad, out_dir=tmp_path / "x", shared_dir=tmp_path, model_fn=TinyFlow)


def test_second_stage_starts_from_init_weights(tmp_path: Path) -> None:
    torch.manual_seed(7)
    start = TinyFlow().state_dict()
    torch.save(start, tmp_path / "start.pt")
    cfg = TrainConfig(
        **{**CONFIG.__dict__, "steps": 1, "lr": 1e-6, "init_weights": str(tmp_path / "start.pt")}
    )
    train(cfg, out_dir=tmp_path / "stage2", shared_dir=None, model_fn=TinyFlow)
    after = torch.load(tmp_path / "stage2" / "final.pt")
    torch.manual_seed(cfg.seed)
    scratch = TinyFlow().state_dict()  # what train() starts from without init_weights
    for key in start:
        # one step at lr/25 = 4e-8 (AdamW's step is about lr per weight) leaves the start all but unchanged
        torch.testing.assert_close(after[key], start[key], rtol=0, atol=1e-6)
        assert not torch.allclose(start[key], scratch[key])
    torch.save({"other": torch.zeros(1)}, tmp_path / "other.pt")
    for path, message in (
        (tmp_path / "none.pt", "does not exist"),
        (tmp_path / "other.pt", "not a state dict"),
    ):
        bad = TrainConfig(**{**CONFIG.__dict__, "init_weights": str(path)})
        with pytest.raises(InputError, match=message):
            train(bad, out_dir=tmp_path / "bad", shared_dir=None, model_fn=TinyFlow)
    with pytest.raises(InputError, match="human_loss_weight"):
        TrainConfig(human_loss_weight=0.0)


def test_checkpoint_without_newer_fields_resumes(tmp_path: Path) -> None:
    train(CONFIG, out_dir=tmp_path, shared_dir=None, stop_at=1, model_fn=TinyFlow)
    ckpt = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    for key in ("human_loss_weight", "init_weights", "score_human_pixels"):
        del ckpt["config"][key]  # as written before these settings existed
    torch.save(ckpt, tmp_path / "checkpoint.pt")
    assert train(CONFIG, out_dir=tmp_path, shared_dir=None, stop_at=2, model_fn=TinyFlow).step == 2
    other = TrainConfig(**{**CONFIG.__dict__, "human_loss_weight": 2.0})
    with pytest.raises(InputError, match="human_loss_weight"):
        train(other, out_dir=tmp_path, shared_dir=None, model_fn=TinyFlow)


class Payload:
    """Stands for arbitrary pickled code in a checkpoint someone else put in the run folder."""


def test_resume_refuses_a_checkpoint_with_pickled_objects(tmp_path: Path) -> None:
    train(CONFIG, out_dir=tmp_path, shared_dir=None, stop_at=1, model_fn=TinyFlow)
    ckpt = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    ckpt["extra"] = Payload()
    torch.save(ckpt, tmp_path / "checkpoint.pt")
    with pytest.raises(InputError, match="checkpoint.pt: not a resumable") as err:
        train(CONFIG, out_dir=tmp_path, shared_dir=None, model_fn=TinyFlow)
    assert "weights_only" not in str(err.value)
