"""Tests of the history table."""

from __future__ import annotations

import math

from flowpose.refinement.result import CycleRecord
from flowpose.refinement.table import format_history, history_rows


def test_rows_and_missing_values():
    history = [
        CycleRecord(0, metrics={"mpjpe": 55.04, "accel": 12.0}, seconds={"flow_inference": 1.0}),
        CycleRecord(1, losses={"total": 0.25}, metrics={"mpjpe": 50.0, "accel": math.nan}, seconds={"pose": 2.0}),
    ]
    headers, rows = history_rows(history)
    assert headers == ["cycle", "MPJPE mm", "accel mm/f²", "loss", "seconds"]
    assert rows == [["0", "55.0", "12.00", "-", "1.0"], ["1", "50.0", "-", "0.25", "2.0"]]


def test_markdown_has_a_rule_line():
    text = format_history([CycleRecord(0, metrics={"mpjpe": 1.0})], markdown=True)
    lines = text.splitlines()
    assert lines[0].startswith("| cycle") and set(lines[1]) <= {"|", "-"} and len(lines) == 3
