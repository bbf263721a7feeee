"""Tests of the benchmark's tables and writers on hand-made histories."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from flowpose.bench import report as R
from flowpose.errors import InputError
from tests.bench.fakes import fake_result, record


def test_nanmean_dicts_hand_computed() -> None:
    out = R.nanmean_dicts([{"a": 1.0, "b": float("nan")}, {"a": 3.0, "c": 5.0}, {"b": None}])
    assert out["a"] == 2.0 and out["c"] == 5.0 and math.isnan(out["b"])


def test_mean_history_metrics_and_missing_seconds() -> None:
    h1 = [record(0, 100.0, 2.0, flow_inference=1.0), record(1, 80.0, 1.0, finetune=4.0, pose=2.0)]
    h2 = [record(0, 120.0, 4.0, flow_inference=3.0), record(1, 90.0, float("nan"), pose=4.0)]
    mean = R.mean_history([h1, h2])
    assert [r.cycle for r in mean] == [0, 1]
    assert mean[0].metrics["mpjpe"] == 110.0 and mean[0].metrics["epe_all"] == 3.0
    assert mean[1].metrics["epe_all"] == 1.0  # NaN ignored
    assert mean[0].seconds == {"flow_inference": 2.0, "sketch": 0.0, "finetune": 0.0, "pose": 0.0}
    assert mean[1].seconds["finetune"] == 2.0  # a stage that did not run counts 0 s
    assert mean[1].seconds["pose"] == 3.0


def test_mean_history_exception_on_unequal_lengths() -> None:
    with pytest.raises(InputError, match="equal length"):
        R.mean_history([[record(0, 1.0, 1.0)], [record(0, 1.0, 1.0), record(1, 1.0, 1.0)]])


def test_methods_table_means_over_clips() -> None:
    headers, rows = R.methods_table(fake_result().clips)
    assert headers[:2] == ["method", "MPJPE mm"]
    table = {r[0]: r[1] for r in rows}
    assert table == {"estimate": "105.0", "savgol": "100.0", "gaussian": "96.0", "one_euro": "-", "flow_off": "-",
                     "flow_off_continuity": "-", "flowpose": "85.0"}


def test_cycles_table_rows_and_seconds() -> None:
    res = fake_result()
    headers, rows = R.cycles_table(R.mean_history([c.history for c in res.clips]))
    assert headers[0] == "cycle" and headers[-4:] == ["s flow_inference", "s sketch", "s finetune", "s pose"]
    assert [r[0] for r in rows] == ["0", "1", "2"]
    assert rows[2][1] == "85.0"  # MPJPE at cycle 2: (80 + 90) / 2
    assert rows[2][headers.index("EPE all px")] == "1.00"  # clip b's NaN left out
    assert rows[1][headers.index("s finetune")] == "2.5"


def test_ablations_table_rows() -> None:
    headers, rows = R.ablations_table(fake_result().clips)
    labels = [r[0] for r in rows]
    assert labels == ["full (2 cycles)", "no_flow", "no_3d", "no_2d", "no_temporal", "no_bone", "no_finetune",
                      "cycles=1", "cycles=2", "cycles=3", "cycles=4", "cycles=5"]
    assert rows[labels.index("cycles=3")][1] == "90.0"  # (85 + 95) / 2
    assert rows[labels.index("no_bone")][1] == "107.0"


def test_summary_markdown_sections() -> None:
    md = R.summary_markdown(fake_result(), sintel="| backend |")
    assert "## Profile `metro`" in md and "savgol(order=2, window=7)" in md
    assert "### Ablations" in md and "## Flow on MPI-Sintel" in md
    assert "### Ablations" not in R.summary_markdown(fake_result(ablations=False))


def test_write_csvs(tmp_path: Path) -> None:
    paths = R.write_csvs(fake_result(), tmp_path)
    methods = list(csv.DictReader(paths["methods"].read_text().splitlines()))
    assert len(methods) == 2 * 5 + 7  # per clip (5 methods each) and one mean row per method of METHOD_ORDER
    mean_flowpose = [r for r in methods if r["clip"] == "mean" and r["method"] == "flowpose"]
    assert float(mean_flowpose[0]["mpjpe"]) == 85.0
    assert [r for r in methods if r["method"] == "one_euro"][0]["mpjpe"] == ""  # NaN -> empty
    cycles = list(csv.DictReader(paths["cycles"].read_text().splitlines()))
    runs = {r["run"] for r in cycles}
    assert runs == {"main", "cycles", "no_flow", "no_3d", "no_2d", "no_temporal", "no_bone", "no_finetune"}
    main_mean = [r for r in cycles if r["run"] == "main" and r["clip"] == "mean"]
    assert [r["cycle"] for r in main_mean] == ["0", "1", "2"] and float(main_mean[1]["seconds_finetune"]) == 2.5


def test_result_json_is_strict_and_complete(tmp_path: Path) -> None:
    data = R.result_json(fake_result(), meta={"git_commit": "abc"}, extra={"sintel": []})
    R.write_json(tmp_path / "r.json", data)
    back = json.loads((tmp_path / "r.json").read_text())
    assert back["meta"]["git_commit"] == "abc" and back["sintel"] == []
    assert back["tuned_smoothers"]["metro"]["savgol"]["params"] == {"order": 2, "window": 7}
    assert back["refine_config"]["cycles"] == 2 and back["suite"]["profiles"] == ["metro"]
    assert back["clips"][1]["history"][2]["metrics"]["epe_all"] is None  # NaN -> null
    assert back["mean"]["metro"]["methods"]["flowpose"]["mpjpe"] == 85.0


def test_run_metadata_has_commit_and_machine() -> None:
    meta = R.run_metadata(Path(__file__).resolve().parents[2])
    assert set(meta) >= {"git_commit", "git_dirty", "platform", "python", "torch", "cpu_count"}
    assert meta["git_commit"] is None or len(meta["git_commit"]) == 40
