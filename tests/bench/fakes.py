"""Small hand-made benchmark objects shared by the tests of :mod:`flowpose.bench`."""

from __future__ import annotations

import numpy as np

from flowpose.baselines import SmootherSpec
from flowpose.bench.runner import ClipResult, SuiteConfig, SuiteResult, TunedSmoother
from flowpose.refinement.result import CycleRecord
from flowpose.synth.clip import SynthClip
from flowpose.synth.noise import simulate_estimates
from flowpose.synth.placement import default_intrinsics
from flowpose.synth.render import RenderedClip


def fake_clip(T: int = 6, size: int = 32, seed: int = 0) -> SynthClip:
    """A tiny clip with random frames and flow, a standing skeleton 3 m away, and a simulated estimate."""
    rng = np.random.default_rng(seed)
    K = default_intrinsics(size, size).astype(np.float32)
    base = rng.normal(0.0, 0.3, (1, 17, 3)) + np.array([0.0, 0.0, 3.0])
    joints = (base + 0.01 * np.arange(T)[:, None, None] * np.array([1.0, 0.0, 0.0])).astype(np.float32)
    x2d = joints[..., :2] / joints[..., 2:] * K[0, 0] + K[:2, 2]
    rendered = RenderedClip(
        frames=rng.integers(0, 255, (T, size, size, 3), dtype=np.uint8),
        joints3d=joints, joints2d=x2d.astype(np.float32), K=K,
        flow=rng.normal(size=(T - 1, size, size, 2)).astype(np.float32),
        flow_valid=rng.random((T - 1, size, size)) > 0.2, human_mask=rng.random((T, size, size)) > 0.5, fps=30.0,
    )
    return SynthClip(rendered, simulate_estimates(joints, K, fps=30.0, profile="metro", seed=seed))


def record(cycle: int, mpjpe: float, epe: float, **seconds: float) -> CycleRecord:
    """A history record with a few metrics."""
    return CycleRecord(cycle, seconds=dict(seconds), metrics={"mpjpe": mpjpe, "pa_mpjpe": mpjpe / 2, "epe_all": epe})


def fake_result(ablations: bool = True) -> SuiteResult:
    """Two clips of profile metro with hand-made 2-cycle histories (and 5-cycle ablation runs)."""
    suite = SuiteConfig(profiles=("metro",), frames=10, size=32, cycles=2, ablations=ablations)
    clips = []
    for i, name in enumerate(["a/x", "b/y"]):
        hist = [record(0, 100.0 + 10 * i, 2.0, flow_inference=1.0),
                record(1, 90.0 + 10 * i, 1.5, flow_inference=1.0, finetune=2.0 + i, pose=3.0),
                record(2, 80.0 + 10 * i, float("nan") if i else 1.0, pose=4.0)]
        abl = {}
        if ablations:
            abl["cycles"] = [record(k, 100.0 - 5 * k + 10 * i, 2.0 - 0.1 * k) for k in range(6)]
            for ab in ("no_flow", "no_3d", "no_2d", "no_temporal", "no_bone", "no_finetune"):
                abl[ab] = [record(k, 100.0 + k + 10 * i, 2.0) for k in range(3)]
        methods = {"estimate": {"mpjpe": 100.0 + 10 * i}, "savgol": {"mpjpe": 95.0 + 10 * i},
                   "gaussian": {"mpjpe": 96.0}, "one_euro": {"mpjpe": float("nan")}, "flowpose": {"mpjpe": 80.0 + 10 * i}}
        clips.append(ClipResult(name, "metro", 10, i, methods, hist, abl, 1.0))
    tuned = {"metro": {"savgol": TunedSmoother(SmootherSpec("savgol", (("window", 7), ("order", 2))), 50.0)}}
    return SuiteResult(suite, suite.refine_config(), tuned, clips)
