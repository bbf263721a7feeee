"""Tables of a benchmark run: means over clips, Markdown for the README, CSV and JSON for everything.

Means are taken over clips per estimator profile, ignoring NaN (a metric a clip cannot define, e.g. EPE over
human pixels when no human pixel is covered). Stage seconds a cycle did not spend (no fine-tuning in cycle 0 or
without ``finetune_flow``) count as 0.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import subprocess
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from flowpose.bench.runner import ABLATIONS, BASELINES, CYCLE_ABLATION, ClipResult, SuiteResult
from flowpose.errors import InputError
from flowpose.io.atomic import atomic_path
from flowpose.refinement.result import CycleRecord
from flowpose.refinement.table import format_table

POSE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("mpjpe", "MPJPE mm", "{:.1f}"),
    ("pa_mpjpe", "PA-MPJPE mm", "{:.1f}"),
    ("accel_error", "accel err mm/f²", "{:.2f}"),
    ("accel", "accel mm/f²", "{:.2f}"),
    ("bone_std", "bone std mm", "{:.2f}"),
    ("swapped", "swapped frames", "{:.1f}"),
)
"""Pose metrics: (key, header, format). ``swapped``: limb-pair frames labelled left for right."""

FLOW_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("epe_all", "EPE all px", "{:.2f}"),
    ("epe_valid", "EPE valid px", "{:.2f}"),
    ("epe_human", "EPE human px", "{:.2f}"),
    ("epe_sparse", "EPE joints px", "{:.2f}"),
)
"""Flow metrics: (key, header, format)."""

STAGES = ("flow_inference", "sketch", "finetune", "pose")
"""Timed stages of a cycle (see :class:`~flowpose.refinement.result.CycleRecord`)."""

METHOD_ORDER = ("estimate", *BASELINES, "flow_off", "flow_off_continuity", "flowpose")
"""Rows of the methods table: the estimate, the tuned smoothers, flowpose without any flow (no L_opt, no
fine-tuning, no swap repair), the same with swaps repaired by continuity alone (no flow), and flowpose."""


def nanmean_dicts(dicts: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Per key, the mean over the dicts that have it, ignoring NaN (NaN when no finite value)."""
    keys = list(dict.fromkeys(k for d in dicts for k in d))
    out = {}
    for k in keys:
        vals = np.array([d[k] for d in dicts if k in d and d[k] is not None], np.float64)
        vals = vals[np.isfinite(vals)]
        out[k] = float(vals.mean()) if vals.size else math.nan
    return out


def mean_history(histories: Sequence[Sequence[CycleRecord]]) -> list[CycleRecord]:
    """The per-cycle mean of several runs' histories (metrics, losses and stage seconds).

    Raises:
        InputError: for no histories, or histories of different lengths.
    """
    if not histories or len({len(h) for h in histories}) != 1:
        raise InputError(f"mean_history needs histories of equal length, got lengths {[len(h) for h in histories]}")
    out = []
    for k in range(len(histories[0])):
        recs = [h[k] for h in histories]
        seconds = {s: float(np.mean([r.seconds.get(s, 0.0) for r in recs])) for s in STAGES}
        out.append(CycleRecord(
            recs[0].cycle, losses=nanmean_dicts([r.losses for r in recs]), seconds=seconds,
            metrics=nanmean_dicts([r.metrics for r in recs]),
        ))
    return out


def _cell(value: float | None, fmt: str) -> str:
    return "-" if value is None or not math.isfinite(value) else fmt.format(value)


def _select(result: SuiteResult, profile: str) -> list[ClipResult]:
    return [c for c in result.clips if c.profile == profile]


def methods_table(clips: Sequence[ClipResult]) -> tuple[list[str], list[list[str]]]:
    """Mean over clips of each method's final pose metrics: estimate, smoothers, flowpose."""
    headers = ["method", *[h for _, h, _ in POSE_COLUMNS]]
    rows = []
    for method in METHOD_ORDER:
        mean = nanmean_dicts([c.methods[method] for c in clips if method in c.methods])
        rows.append([method, *[_cell(mean.get(k), f) for k, _, f in POSE_COLUMNS]])
    return headers, rows


def cycles_table(history: Sequence[CycleRecord]) -> tuple[list[str], list[list[str]]]:
    """One row per cycle: pose metrics, flow metrics and seconds per stage."""
    cols = [c for c in POSE_COLUMNS if c[0] != "accel"] + list(FLOW_COLUMNS)
    headers = ["cycle", *[h for _, h, _ in cols], *[f"s {s}" for s in STAGES]]
    rows = [
        [str(r.cycle), *[_cell(r.metrics.get(k), f) for k, _, f in cols],
         *[_cell(r.seconds.get(s, 0.0), "{:.1f}") for s in STAGES]]
        for r in history
    ]
    return headers, rows


def ablation_records(clips: Sequence[ClipResult]) -> list[tuple[str, CycleRecord]]:
    """(label, mean final record) per ablation: the full method, each removal, then 1..5 cycles."""
    n = len(clips[0].history) - 1
    out = [(f"full ({n} cycles)", mean_history([c.history for c in clips])[-1])]
    for ab in ABLATIONS:
        out.append((ab, mean_history([c.ablations[ab] for c in clips])[-1]))
    cyc = mean_history([c.ablations["cycles"] for c in clips])
    out += [(f"cycles={k}", cyc[k]) for k in range(1, CYCLE_ABLATION + 1)]
    return out


def ablations_table(clips: Sequence[ClipResult]) -> tuple[list[str], list[list[str]]]:
    """Final metrics (mean over clips) per ablation; cycles=k rows are rows of one 5-cycle run."""
    cols = [c for c in POSE_COLUMNS if c[0] != "accel"] + [FLOW_COLUMNS[2], FLOW_COLUMNS[3]]
    headers = ["variant", *[h for _, h, _ in cols]]
    rows = [[label, *[_cell(r.metrics.get(k), f) for k, _, f in cols]] for label, r in ablation_records(clips)]
    return headers, rows


def summary_markdown(result: SuiteResult, *, sintel: str | None = None) -> str:
    """The Markdown report: per profile, the methods, the per-cycle means and the ablations."""
    cfg = result.config
    n_clips = len({c.clip for c in result.clips})
    parts = [
        f"# Refinement benchmark\n\n{n_clips} clips, {cfg.size}x{cfg.size}, up to {cfg.frames} frames at 30 fps; "
        f"preset `{cfg.preset}`, {result.refine.cycles} cycles, flow {', '.join(result.refine.flow.names)}; "
        f"smoothers tuned on `{cfg.tuning_clip}` (held out) for {cfg.tuning_metric}. Means over clips.",
    ]
    def table(hr):
        return format_table(*hr, markdown=True)
    for profile in cfg.profiles:
        clips = _select(result, profile)
        tuned = ", ".join(f"{t.spec}" for t in result.tuned[profile].values())
        parts.append(f"## Profile `{profile}`\n\nTuned smoothers: {tuned}.\n\n### Methods\n\n{table(methods_table(clips))}")
        parts.append(
            "### Per cycle (cycle 0: initial estimate and un-fine-tuned flow)\n\n"
            + table(cycles_table(mean_history([c.history for c in clips])))
        )
        if cfg.ablations:
            parts.append(
                "### Ablations (final cycle; cycles=k is row k of one 5-cycle run, which equals a k-cycle run "
                "because each cycle depends only on the ones before it)\n\n" + table(ablations_table(clips))
            )
    if sintel:
        parts.append("## Flow on MPI-Sintel human frames (un-fine-tuned)\n\n" + sintel)
    return "\n\n".join(parts) + "\n"


def write_csvs(result: SuiteResult, out_dir: Path) -> dict[str, Path]:
    """``methods.csv`` (profile, clip, method, pose metrics) and ``cycles.csv`` (profile, clip, run, cycle,
    metrics, seconds per stage), each with per-clip rows and ``clip = "mean"`` rows.
    """
    pose_keys = [k for k, _, _ in POSE_COLUMNS]
    metric_keys = pose_keys + ["flow_residual"] + [k for k, _, _ in FLOW_COLUMNS]
    methods, cycles = [], []
    for profile in result.config.profiles:
        clips = _select(result, profile)
        for c in clips:
            methods += [[profile, c.clip, m, *[c.methods[m].get(k) for k in pose_keys]] for m in c.methods]
        for m in METHOD_ORDER:
            mean = nanmean_dicts([c.methods[m] for c in clips if m in c.methods])
            methods.append([profile, "mean", m, *[mean.get(k) for k in pose_keys]])
        runs = {"main": [c.history for c in clips]}
        for ab in (["cycles", *ABLATIONS] if result.config.ablations else []):
            runs[ab] = [c.ablations[ab] for c in clips]
        for run, histories in runs.items():
            for c, h in zip([*(x.clip for x in clips), "mean"], [*histories, mean_history(histories)]):
                cycles += [
                    [profile, c, run, r.cycle, *[r.metrics.get(k) for k in metric_keys],
                     *[r.seconds.get(s, 0.0) for s in STAGES]]
                    for r in h
                ]
    paths = {"methods": out_dir / "methods.csv", "cycles": out_dir / "cycles.csv"}
    _write_csv(paths["methods"], ["profile", "clip", "method", *pose_keys], methods)
    _write_csv(paths["cycles"], ["profile", "clip", "run", "cycle", *metric_keys, *[f"seconds_{s}" for s in STAGES]], cycles)
    return paths


def _write_csv(path: Path, headers: list[str], rows: list[list[Any]]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(headers)
        w.writerows([["" if v is None or (isinstance(v, float) and not math.isfinite(v)) else v for v in r] for r in rows])


def jsonable(obj: Any) -> Any:
    """Dataclasses, tuples, numpy scalars and paths as plain JSON values; NaN and inf become None."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return jsonable(asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return obj


def run_metadata(repo: Path) -> dict[str, Any]:
    """Git commit (and whether the tree has uncommitted changes) and machine facts for the JSON."""
    import torch

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    status = git("status", "--porcelain")
    return {
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": None if status is None else bool(status),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }


def result_json(result: SuiteResult, *, meta: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict:
    """Everything of a run as one JSON-able dict: config, refinement config, tuned smoothers, every clip's
    methods, histories and ablations, the means, metadata and any ``extra`` sections (e.g. Sintel rows)."""
    means = {}
    for p in result.config.profiles:
        clips = _select(result, p)
        means[p] = {
            "methods": {m: nanmean_dicts([c.methods[m] for c in clips if m in c.methods]) for m in METHOD_ORDER},
            "history": mean_history([c.history for c in clips]),
        }
    tuned = {p: {n: {"params": t.spec.as_dict(), "tuning_score": t.score} for n, t in d.items()} for p, d in result.tuned.items()}
    return jsonable({
        "suite": result.config, "refine_config": result.refine, "tuned_smoothers": tuned, "meta": dict(meta),
        "mean": means, "clips": result.clips, **dict(extra or {}),
    })


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write strict JSON (no NaN) atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
