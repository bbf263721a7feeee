"""Tests of byte-reproducible npz writing, and of the word for a file that cannot be an npz."""

from __future__ import annotations

import time

import numpy as np
import pytest

from flowpose.io.npz import npz_header_problem, write_npz


@pytest.mark.parametrize("compress", [True, False])
def test_round_trip(tmp_path, compress):
    arrays = {"a": np.arange(12, dtype=np.float32).reshape(3, 4), "name": np.array("h36m17"), "fps": np.array(30.0)}
    write_npz(tmp_path / "x.npz", arrays, compress=compress)
    with np.load(tmp_path / "x.npz") as z:
        assert sorted(z.files) == ["a", "fps", "name"]
        np.testing.assert_array_equal(z["a"], arrays["a"])
        assert str(z["name"]) == "h36m17" and float(z["fps"]) == 30.0


def test_same_arrays_same_bytes(tmp_path):
    arrays = {"x": np.random.default_rng(0).normal(size=(50, 17, 3)).astype(np.float32)}
    write_npz(tmp_path / "1.npz", arrays)
    time.sleep(1.1)  # zip timestamps have 2 s resolution; numpy.savez would differ across this
    write_npz(tmp_path / "2.npz", arrays)
    assert (tmp_path / "1.npz").read_bytes() == (tmp_path / "2.npz").read_bytes()


def test_failure_leaves_no_file(tmp_path):
    with pytest.raises(ValueError):
        write_npz(tmp_path / "bad.npz", {"obj": np.array([object()], dtype=object)})
    assert list(tmp_path.iterdir()) == []


def test_header_problem_names_what_is_not_an_archive(tmp_path):
    archive, single, page, empty = (tmp_path / n for n in ("a.npz", "b.npz", "page.npz", "empty.npz"))
    write_npz(archive, {"a": np.zeros(3)})
    np.save(open(single, "wb"), np.zeros(3))
    page.write_text("<html>404 Not Found</html>")
    empty.write_bytes(b"")
    assert npz_header_problem(archive) is None
    assert npz_header_problem(single) is None  # callers name a single array themselves
    assert npz_header_problem(page) == "not a zip archive, as every .npz is (it starts with b'<htm')"
    assert npz_header_problem(empty) == "the file is empty"
    with pytest.raises(OSError):
        npz_header_problem(tmp_path / "none.npz")
