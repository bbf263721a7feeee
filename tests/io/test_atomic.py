"""Tests of atomic writing: whole or nothing, with ordinary permissions."""

from __future__ import annotations

import os

import pytest

from flowpose.io.atomic import atomic_path


def test_success_renames_into_place(tmp_path):
    with atomic_path(tmp_path / "out.txt") as tmp:
        assert tmp.suffix == ".txt" and tmp.parent == tmp_path
        tmp.write_text("hello")
    assert (tmp_path / "out.txt").read_text() == "hello"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "out.bin") as tmp:
            tmp.write_bytes(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "out.bin").stat().st_mode & 0o777 == 0o644


def test_a_full_disk_is_one_output_error_naming_the_file(tmp_path):
    import errno

    from flowpose.errors import OutputError

    target = tmp_path / "out.npz"
    target.write_text("old")
    with pytest.raises(OutputError, match=r"out\.npz: could not be written \(No space left on device\); nothing of it"):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.npz"]
    with pytest.raises(FileNotFoundError):  # not the device's: passes as it is
        with atomic_path(target):
            raise FileNotFoundError(errno.ENOENT, "gone")
