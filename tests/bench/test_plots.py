"""Tests of the benchmark's per-cycle plot."""

from __future__ import annotations

from pathlib import Path

from flowpose.bench.plots import plot_cycles
from tests.bench.fakes import fake_result


def test_plot_cycles_writes_png(tmp_path: Path) -> None:
    path = plot_cycles(fake_result(), tmp_path / "cycles.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 5_000
