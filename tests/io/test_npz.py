"""Tests of byte-reproducible npz writing, of the word for a file that cannot be an npz, and of reading one that is
cut short without leaving it open."""

from __future__ import annotations

import gc
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from flowpose.errors import InputError
from flowpose.io.npz import npz_header_problem, open_npz, read_npz, write_npz


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
    np.save(single.with_suffix(".npy"), np.zeros(3))
    single.with_suffix(".npy").rename(single)
    page.write_text("<html>404 Not Found</html>")
    empty.write_bytes(b"")
    assert npz_header_problem(archive) is None
    assert npz_header_problem(single) is None  # callers name a single array themselves
    assert npz_header_problem(page) == "not a zip archive, as every .npz is (it starts with b'<htm')"
    assert npz_header_problem(empty) == "the file is empty"
    with pytest.raises(OSError):
        npz_header_problem(tmp_path / "none.npz")


def _cut_archive(path: Path) -> Path:
    """An archive cut short: it starts as a zip does, its directory is gone."""
    write_npz(path.with_suffix(".whole"), {"joints3d": np.zeros((40, 17, 3)), "fps": np.array(30.0)})
    path.write_bytes(path.with_suffix(".whole").read_bytes()[:300])
    return path


def _files_left_open(read: Callable[[Path], object], path: Path) -> list[str]:
    """The ResourceWarnings naming ``path`` once ``read(path)`` has failed and its traceback is gone."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(InputError):
            read(path)
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning) and path.name in str(w.message)]


def test_a_cut_archive_is_one_line_and_closed(tmp_path):
    cut = _cut_archive(tmp_path / "poses.npz")
    with pytest.raises(InputError) as info:
        read_npz(cut, "pose file")
    assert str(info.value) == f"{cut}: not a readable .npz pose file (corrupt or truncated?): File is not a zip file"
    assert _files_left_open(lambda p: read_npz(p, "pose file"), cut) == []


def test_open_npz_closes_the_file_and_refuses_a_single_array(tmp_path):
    write_npz(tmp_path / "a.npz", {"a": np.arange(3)})
    with open_npz(tmp_path / "a.npz", "pose file") as data:
        np.testing.assert_array_equal(data["a"], np.arange(3))
        handle = data.zip.fp  # the file open_npz opened
    assert handle.closed
    np.save(tmp_path / "one.npy", np.zeros(3))
    (tmp_path / "one.npy").rename(tmp_path / "one.npz")
    with pytest.raises(InputError, match=r"one\.npz: expected a pose file \(\.npz archive of named arrays\), got a "
                       r"single \.npy array"):
        with open_npz(tmp_path / "one.npz", "pose file"):
            pass
    assert read_npz(tmp_path / "a.npz", "pose file", keys=("a", "absent")).keys() == {"a"}


def test_no_reader_leaves_a_cut_archive_open(tmp_path):
    """numpy.load(path) leaves its file open when the archive is corrupt; every reader of the package opens and
    closes the file itself, and says what the file is in one line."""
    from flowpose.app.import_keypoints import _is_keypoints_file
    from flowpose.body.model import read_model_arrays
    from flowpose.body.params import load_smpl
    from flowpose.io.datasets.benchmark import load_trusted_npz_object
    from flowpose.io.groundtruth import load_gt
    from flowpose.io.intrinsics import load_intrinsics
    from flowpose.io.keypoints2d import load_keypoints
    from flowpose.io.motion import load_motion
    from flowpose.io.poses import load_poses

    def keypoints_or_not(p: Path) -> None:
        if not _is_keypoints_file(p):
            raise InputError("not a keypoints file")

    readers = {"poses": load_poses, "keypoints": load_keypoints, "gt": load_gt, "K": load_intrinsics,
               "smpl": load_smpl, "model": read_model_arrays, "motion": load_motion,
               "dataset": lambda p: load_trusted_npz_object(p, "data", "dataset archive"),
               "import": keypoints_or_not}
    for name, read in readers.items():
        cut = _cut_archive(tmp_path / f"{name}.npz")
        assert _files_left_open(read, cut) == [], name
