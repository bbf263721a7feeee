"""Tests of the benchmark runner: configs, ablations, baselines, fail-loudly, and a tiny end-to-end run."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from flowpose.baselines import SmootherSpec
from flowpose.bench import runner as Rn
from flowpose.bench.clips import TUNING_CLIP
from flowpose.config import get_preset
from flowpose.errors import InputError
from flowpose.synth.clip import SynthClip
from tests.bench.fakes import fake_clip, record
from tests.conftest import shared_path


def test_suite_config_refine_config_overrides() -> None:
    cfg = Rn.SuiteConfig(preset="fast", cycles=1, flow=("dis",), flow_weights=(None,)).refine_config()
    assert cfg.cycles == 1 and cfg.flow.names == ("dis",) and cfg.flow.weights == (None,)
    assert cfg.finetune == get_preset("fast").finetune
    assert Rn.SuiteConfig().refine_config() == get_preset("fast")


def test_suite_config_exception() -> None:
    with pytest.raises(InputError, match="one weights entry per flow backend"):
        Rn.SuiteConfig(flow=("dis", "raft"), flow_weights=(None,))
    with pytest.raises(InputError, match="at least one"):
        Rn.SuiteConfig(profiles=())


@pytest.mark.parametrize(
    "name, changed",
    [("no_flow", {"w_flow"}), ("no_3d", {"w_3d_rel", "w_3d_abs", "w_3d_lateral"}), ("no_2d", {"w_2d"}),
     ("no_temporal", {"w_acc"}), ("no_bone", {"w_bone"})],  # w_vel is 0 already in the preset
)
def test_each_loss_ablation_zeroes_exactly_its_weights(name: str, changed: set[str]) -> None:
    base = get_preset("fast")
    ab = Rn.ABLATIONS[name](base)
    diff = {f.name for f in fields(base.pose) if getattr(ab.pose, f.name) != getattr(base.pose, f.name)}
    assert diff == changed and all(getattr(ab.pose, w) == 0.0 for w in changed)
    assert ab.finetune_flow and ab.flow == base.flow and ab.cycles == base.cycles


@pytest.mark.parametrize(
    "name, changed",
    [("symmetric", {"symmetric_flow"}), ("long_range", {"long_range_strides"}), ("long_range_far", {"long_range_strides"}),
     ("flow_prior", {"flow_aware_acc"}),
     ("long_range_flow_prior", {"long_range_strides", "flow_aware_acc"}),
     ("acc_sigma_10", {"w_acc"}), ("acc_sigma_5", {"w_acc"}), ("lag_band", {"flow_lag_band"}),
     ("lag_band_long_range", {"flow_lag_band", "long_range_strides"}),
     ("lag_band_long_range_far", {"flow_lag_band", "long_range_strides"}),
     ("lag_band_1_long_range", {"flow_lag_band", "long_range_strides"})],
)
def test_each_flow_variant_changes_only_its_pose_fields(name: str, changed: set[str]) -> None:
    base = get_preset("fast")
    variant = Rn.FLOW_VARIANTS[name](base)
    diff = {f.name for f in fields(base.pose) if getattr(variant.pose, f.name) != getattr(base.pose, f.name)}
    assert diff == changed
    assert variant.finetune_flow and variant.flow == base.flow and variant.swaps == base.swaps


def test_the_acceleration_variants_tighten_the_prior() -> None:
    base = get_preset("fast")
    assert base.pose.w_acc == pytest.approx(1 / 20**2)
    assert Rn.FLOW_VARIANTS["acc_sigma_10"](base).pose.w_acc == pytest.approx(1 / 10**2)
    assert Rn.FLOW_VARIANTS["acc_sigma_5"](base).pose.w_acc == pytest.approx(1 / 5**2)


def test_dis_variants_swap_the_network_for_dis() -> None:
    base = get_preset("fast")
    dis, far = Rn.FLOW_VARIANTS["dis"](base), Rn.FLOW_VARIANTS["dis_long_range_far"](base)
    assert dis.flow.names == far.flow.names == ("dis",) and dis.pose == base.pose
    assert far.pose.long_range_strides == Rn.FAR_STRIDES and dis.flow.work_size == base.flow.work_size


def test_the_raft_small_variant_fine_tunes_the_embedded_network() -> None:
    base = get_preset("fast")
    assert base.flow.names == ("dis",)  # the default since the fifth session
    raft = Rn.FLOW_VARIANTS["raft_small"](base)
    assert raft.flow.names == ("raft-small",) and raft.flow.weights == (None,) and raft.finetune_flow
    assert raft.pose == base.pose and raft.flow.work_size == base.flow.work_size


def test_the_crop192_variant_changes_only_the_crop_side() -> None:
    base = get_preset("fast")
    big = Rn.FLOW_VARIANTS["crop192"](base)
    assert big.flow == replace(base.flow, work_size=192) and big.pose == base.pose and base.flow.work_size == 128


def test_no_finetune_ablation() -> None:
    base = get_preset("fast")
    ab = Rn.ABLATIONS["no_finetune"](base)
    assert not ab.finetune_flow and ab.pose == base.pose


def test_smoothed_metrics_of_perfect_estimate_are_zero() -> None:
    clip = fake_clip(T=8)
    perfect = SynthClip(clip.rendered, clip.estimate.with_joints3d(clip.rendered.joints3d))
    m = Rn.smoothed_metrics(perfect, SmootherSpec("gaussian", (("sigma_frames", 1e-3),)))
    assert m["mpjpe"] < 1e-3 and m["pa_mpjpe"] < 1e-3 and m["accel_error"] < 1e-3
    assert m["bone_std"] < 1e-3  # the fake skeleton translates rigidly


def test_tune_baselines_returns_best_of_each_grid() -> None:
    tuned = Rn.tune_baselines(fake_clip(T=12))
    assert set(tuned) == set(Rn.BASELINES)
    for t in tuned.values():
        assert np.isfinite(t.score)


def _patched_suite(monkeypatch: pytest.MonkeyPatch, calls: list[str], fail: str | None = None) -> None:
    monkeypatch.setattr(Rn, "get_clips", lambda clip, profiles, **k: {p: fake_clip(T=8) for p in profiles})
    monkeypatch.setattr(Rn, "tune_baselines", lambda clip, metric: {"savgol": Rn.TunedSmoother(
        SmootherSpec("savgol", (("window", 5), ("order", 2))), 1.0)})

    def history(clip, config, *, seed, device):
        if config.pose.w_flow == 0 and not config.finetune_flow:  # the flow-free rows of the methods table
            calls.append(f"no-flow:{config.swaps.motion if config.swaps.enabled else 'off'}")
            return [record(k, 100.0 - 0.5 * k, 1.0) for k in range(config.cycles + 1)]
        calls.append(config.cycles)
        if fail is not None:
            raise RuntimeError(fail)
        return [record(k, 100.0 - k, 1.0) for k in range(config.cycles + 1)]

    monkeypatch.setattr(Rn, "refine_history", history)


def _mocap(tmp_path: Path) -> Path:
    for name in (TUNING_CLIP, "fair/dab", "fair/zombie"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f"{name}.bvh").write_text("")
    return tmp_path


def test_run_suite_never_evaluates_the_tuning_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list = []
    _patched_suite(monkeypatch, calls)
    res = Rn.run_suite(Rn.SuiteConfig(profiles=("metro", "spin"), cycles=2), mocap_dir=_mocap(tmp_path),
                       cache_dir=None, log=None)
    assert [(c.clip, c.profile) for c in res.clips] == [
        ("fair/dab", "metro"), ("fair/dab", "spin"), ("fair/zombie", "metro"), ("fair/zombie", "spin")]
    assert calls == [2, "no-flow:off", "no-flow:none"] * 4  # each clip: flowpose, then the two flow-free runs
    c = res.clips[0]
    assert len(c.history) == 3 and c.methods["flowpose"]["mpjpe"] == 98.0 and c.methods["estimate"]["mpjpe"] == 100.0
    assert c.methods["flow_off"]["mpjpe"] == 99.0 and c.methods["flow_off_continuity"]["mpjpe"] == 99.0
    assert set(c.methods) == {"estimate", "savgol", "flow_off", "flow_off_continuity", "flowpose"}
    assert c.ablations == {}


def test_run_suite_ablations_reuse_a_5_cycle_main_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list = []
    _patched_suite(monkeypatch, calls)
    res = Rn.run_suite(Rn.SuiteConfig(profiles=("metro",), cycles=2, clips=("fair/dab",), ablations=True),
                       mocap_dir=_mocap(tmp_path), cache_dir=None, log=None)
    assert [c for c in calls if isinstance(c, int)] == [5] + [2] * len(Rn.ABLATIONS)
    c = res.clips[0]
    assert len(c.history) == 3 and len(c.ablations["cycles"]) == 6
    assert c.ablations["cycles"][:3] == c.history  # row k of the 5-cycle run is the k-cycle result
    assert set(c.ablations) == {"cycles", *Rn.ABLATIONS}


def test_run_suite_fails_loudly_naming_the_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _patched_suite(monkeypatch, [], fail="boom")
    with pytest.raises(Rn.BenchmarkError, match=r"fair/dab \(metro\) failed: RuntimeError: boom") as info:
        Rn.run_suite(Rn.SuiteConfig(profiles=("metro",)), mocap_dir=_mocap(tmp_path), cache_dir=None, log=None)
    assert isinstance(info.value.__cause__, RuntimeError)


@pytest.mark.slow
def test_end_to_end_tiny_run(tmp_path: Path) -> None:
    suite = Rn.SuiteConfig(clips=("fair/dab",), profiles=("metro",), frames=8, size=64, cycles=1, flow=("dis",))
    res = Rn.run_suite(suite, mocap_dir=shared_path("data", "mocap"), cache_dir=tmp_path, log=None)
    [clip] = res.clips
    assert clip.clip == "fair/dab" and clip.frames == 8 and len(clip.history) == 2
    assert set(clip.methods) == {"estimate", "savgol", "gaussian", "one_euro", "flow_off", "flow_off_continuity",
                                 "flowpose"}
    for key in ("mpjpe", "pa_mpjpe", "accel_error", "epe_all", "epe_sparse"):
        assert np.isfinite(clip.history[1].metrics[key])
    assert clip.history[1].seconds["pose"] > 0
    assert set(res.tuned["metro"]) == {"savgol", "gaussian", "one_euro"}
    assert len(list(tmp_path.glob("*.npz"))) == 2  # the tuning clip and the evaluated clip, cached
