"""Tests for flowpose.io.flo: the real Sintel file, round trip and corrupt files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.errors import InputError, ShapeError
from flowpose.io.flo import FLO_MAGIC, read_flo, write_flo
from tests.conftest import shared_path


@pytest.mark.needs_shared
def test_reads_sintel_ground_truth() -> None:
    path = shared_path("data", "sintel_human", "alley_1", "flow", "frame_0001.flo")
    header = np.fromfile(path, "<f4", count=1)[0], *np.fromfile(path, "<i4", count=3)[1:]
    assert header == (FLO_MAGIC, 1024, 436)
    flow = read_flo(path)
    assert flow.shape == (436, 1024, 2) and flow.dtype == np.float32
    assert np.isfinite(flow).all()
    assert 0.1 < np.abs(flow).mean() < 100  # real motion, in pixels


def test_round_trip(tmp_path: Path) -> None:
    flow = np.random.default_rng(0).normal(0, 5, (7, 9, 2)).astype(np.float32)
    path = tmp_path / "f.flo"
    write_flo(path, flow)
    assert path.stat().st_size == 12 + 7 * 9 * 8
    np.testing.assert_array_equal(read_flo(path), flow)
    assert [p.name for p in tmp_path.iterdir()] == ["f.flo"]


def _expect(path: Path, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        read_flo(path)
    assert str(info.value).startswith(str(path))


def test_read_errors(tmp_path: Path) -> None:
    _expect(tmp_path / "none.flo", "no such file")
    good = tmp_path / "good.flo"
    write_flo(good, np.zeros((4, 5, 2)))
    raw = good.read_bytes()
    (tmp_path / "short.flo").write_bytes(raw[:6])
    _expect(tmp_path / "short.flo", "shorter than the 12-byte header")
    (tmp_path / "cut.flo").write_bytes(raw[:-8])
    _expect(tmp_path / "cut.flo", "truncated .flo file: 164 bytes, expected 172 for 5x4 flow")
    (tmp_path / "long.flo").write_bytes(raw + b"\0")
    _expect(tmp_path / "long.flo", "overlong .flo file")
    (tmp_path / "magic.flo").write_bytes(np.float32(1.5).tobytes() + raw[4:])
    _expect(tmp_path / "magic.flo", "not a .flo file: magic number 1.5, expected 202021.25")
    (tmp_path / "size.flo").write_bytes(raw[:4] + np.array([-1, 4], "<i4").tobytes() + raw[12:])
    _expect(tmp_path / "size.flo", r"implausible \.flo size -1x4")


def test_write_rejects_bad_shape(tmp_path: Path) -> None:
    with pytest.raises(ShapeError, match=r"flow must have shape \(H, W, 2\), got \(4, 5, 3\)"):
        write_flo(tmp_path / "x.flo", np.zeros((4, 5, 3)))
    assert not list(tmp_path.iterdir())
