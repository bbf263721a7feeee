"""Output folders: checked before work, written whole, never over a user's files, cleaned up on a stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from flowpose.errors import InputError
from flowpose.io.outdir import (
    MANIFEST,
    check_output_file,
    check_output_folder,
    read_manifest,
    remove_temporary_folders,
    rename_no_replace,
    write_output_folder,
)
from tests.conftest import signal_at_default


def _fill(tmp: Path) -> None:
    (tmp / "a.txt").write_text("a")
    (tmp / "b.txt").write_text("b")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else b"/") for p in sorted(root.rglob("*"))}


def test_new_folder_is_written_whole_with_its_manifest(tmp_path: Path) -> None:
    out = write_output_folder(tmp_path / "out", _fill)
    assert sorted(os.listdir(out)) == [MANIFEST, "a.txt", "b.txt"]
    assert read_manifest(out) == ["a.txt", "b.txt"]
    assert json.loads((out / MANIFEST).read_text())["written_by"] == "flowpose"
    assert os.listdir(tmp_path) == ["out"]  # no temporary left beside it


def test_failure_inside_leaves_nothing(tmp_path: Path) -> None:
    def broken(tmp: Path) -> None:
        (tmp / "half.npz").write_bytes(b"x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_output_folder(tmp_path / "out", broken)
    assert os.listdir(tmp_path) == []


def test_a_full_disk_while_filling_is_one_output_error_naming_the_folder_and_file(tmp_path: Path) -> None:
    import errno

    from flowpose.errors import OutputError
    from flowpose.io.atomic import atomic_path

    def direct(tmp: Path) -> None:
        (tmp / "a.txt").write_text("a")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def through_atomic(tmp: Path) -> None:
        with atomic_path(tmp / "report.png") as part:
            part.write_bytes(b"x")
            raise OSError(errno.EDQUOT, os.strerror(errno.EDQUOT))

    with pytest.raises(OutputError, match=r"out: could not be written \(No space left on device\); nothing of it"):
        write_output_folder(tmp_path / "out", direct)
    with pytest.raises(OutputError, match=r"out: could not be written \(report\.png: Disk quota exceeded\)"):
        write_output_folder(tmp_path / "out", through_atomic)
    assert os.listdir(tmp_path) == []


def test_overwrite_replaces_a_flowpose_folder_and_nothing_else(tmp_path: Path) -> None:
    out = write_output_folder(tmp_path / "out", _fill)
    write_output_folder(out, lambda tmp: (tmp / "c.txt").write_text("c"), overwrite=True)
    assert sorted(os.listdir(out)) == [MANIFEST, "c.txt"]
    assert os.listdir(tmp_path) == ["out"]


@pytest.mark.parametrize("content", ["user file", "no manifest", "bad manifest"])
def test_overwrite_refuses_a_folder_flowpose_did_not_write_alone(tmp_path: Path, content: str) -> None:
    out = tmp_path / "out"
    if content == "user file":
        write_output_folder(out, _fill)
        (out / "thesis.tex").write_text("years of work")
    elif content == "no manifest":
        out.mkdir()
        (out / "a.txt").write_text("mine")
    else:
        out.mkdir()
        (out / MANIFEST).write_text('{"written_by": "flowpose", "files": ["../../etc"]}')
    before = _tree(tmp_path)
    with pytest.raises(InputError, match="flowpose"):
        write_output_folder(out, _fill, overwrite=True)
    assert _tree(tmp_path) == before


def test_destination_that_appears_during_the_run_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"

    def racing(tmp: Path) -> None:  # another process creates the destination while this run computes
        _fill(tmp)
        out.mkdir()
        (out / "theirs.txt").write_text("theirs")

    with pytest.raises(InputError, match="appeared while this run was writing"):
        write_output_folder(out, racing)
    assert sorted(os.listdir(tmp_path)) == ["out"] and os.listdir(out) == ["theirs.txt"]


def test_two_runs_to_the_same_destination_one_wins_one_fails(tmp_path: Path) -> None:
    out = tmp_path / "out"

    def first(tmp: Path) -> None:  # the second run starts and finishes while the first is still writing
        _fill(tmp)
        write_output_folder(out, lambda t: (t / "second.txt").write_text("2"))

    with pytest.raises(InputError, match="appeared"):
        write_output_folder(out, first)
    assert sorted(os.listdir(out)) == [MANIFEST, "second.txt"]


def test_a_replace_whose_last_move_fails_puts_the_previous_output_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from flowpose.errors import OutputError
    from flowpose.io import outdir

    out = write_output_folder(tmp_path / "out", _fill)
    before = _tree(tmp_path)
    real = outdir.rename_no_replace

    def failing(src: Path, dst: Path) -> None:  # the device fails as the new folder is moved into place
        if ".flowpose-tmp-" in Path(src).name:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(src))
        real(src, dst)

    monkeypatch.setattr(outdir, "rename_no_replace", failing)
    with pytest.raises(OutputError, match="out"):
        write_output_folder(out, lambda tmp: (tmp / "c.txt").write_text("c"), overwrite=True)
    assert _tree(tmp_path) == before  # the previous output whole, nothing moved aside or temporary left


def test_a_previous_output_removed_just_before_the_replace_is_not_missed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from flowpose.io import outdir

    out = write_output_folder(tmp_path / "out", _fill)
    real = outdir.rename_no_replace

    def racing(src: Path, dst: Path) -> None:  # another process removes the old output as it is moved aside
        if Path(src) == out and out.exists():
            shutil.rmtree(out)
        real(src, dst)

    monkeypatch.setattr(outdir, "rename_no_replace", racing)
    write_output_folder(out, lambda tmp: (tmp / "c.txt").write_text("c"), overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["out"] and sorted(os.listdir(out)) == [MANIFEST, "c.txt"]


def test_user_file_added_to_the_old_folder_during_a_replace_is_kept(tmp_path: Path) -> None:
    from flowpose.io.outdir import _remove_listed

    # The folder is checked twice (before and after the work); a file added between the second check and the
    # move aside is met by the removal step, which removes only what the manifest lists.
    out = write_output_folder(tmp_path / "out", _fill)
    (out / "late.txt").write_text("late")
    with pytest.warns(UserWarning, match="late.txt"):
        _remove_listed(out, ["a.txt", "b.txt"])
    assert os.listdir(out) == ["late.txt"]


@pytest.mark.parametrize(
    "case",
    ["symlink", "root", "cwd", "cwd ancestor", "home", "input itself", "holds an input", "ancestor of input",
     "missing parent", "under a file", "a file", "existing without overwrite", "proc"],
)
def test_refused_destinations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    video = work / "sub" / "video.mp4"
    video.write_bytes(b"video")
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    overwrite = True
    out: str | Path
    if case == "symlink":
        (work / "real").mkdir()
        (work / "link").symlink_to(work / "real")
        out, needle = work / "link", "symbolic link"
    elif case == "root":
        out, needle = "/", "root"
    elif case == "cwd":
        out, needle = ".", "current folder"
    elif case == "cwd ancestor":
        out, needle = "..", "current folder"
    elif case == "home":
        out, needle = tmp_path / "home", "home folder"
    elif case == "input itself":
        out, needle = video, "input"
    elif case == "holds an input":
        out, needle = "sub", "input"
    elif case == "ancestor of input":
        out, needle = work, "current folder|input"
    elif case == "missing parent":
        out, needle = work / "no" / "out", "does not exist"
    elif case == "under a file":
        out, needle = video / "out", "is a file, not a folder"
    elif case == "a file":
        (work / "f").write_text("x")
        out, needle = work / "f", "is a file"
    elif case == "existing without overwrite":
        (work / "old").mkdir()
        out, needle, overwrite = work / "old", "--overwrite", False
    else:
        out, needle = "/proc/flowpose_out", "cannot write in /proc"
    before = _tree(tmp_path)
    with pytest.raises(InputError, match=needle):
        check_output_folder(out, overwrite=overwrite, inputs=[video])
    assert _tree(tmp_path) == before


def test_output_file_rules(tmp_path: Path) -> None:
    mine, theirs = tmp_path / "mine.npz", tmp_path / "theirs.npz"
    mine.write_bytes(b"m")
    theirs.write_bytes(b"t")
    ours = lambda p: p == mine  # noqa: E731
    assert check_output_file(tmp_path / "new.npz", overwrite=False, is_ours=ours) == tmp_path / "new.npz"
    assert check_output_file(mine, overwrite=True, is_ours=ours) == mine
    with pytest.raises(InputError, match="exists"):
        check_output_file(mine, overwrite=False, is_ours=ours)
    with pytest.raises(InputError, match="did not"):
        check_output_file(theirs, overwrite=True, is_ours=ours)
    with pytest.raises(InputError, match="input"):
        check_output_file(mine, overwrite=True, is_ours=ours, inputs=[mine])
    (tmp_path / "ln.npz").symlink_to(mine)
    with pytest.raises(InputError, match="symbolic link"):
        check_output_file(tmp_path / "ln.npz", overwrite=True, is_ours=ours)


def test_rename_no_replace_never_replaces(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()  # empty: a plain rename would silently replace it
    with pytest.raises(FileExistsError):
        rename_no_replace(tmp_path / "a", tmp_path / "b")
    rename_no_replace(tmp_path / "a", tmp_path / "c")
    assert sorted(os.listdir(tmp_path)) == ["b", "c"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_stop_signal_during_the_write_removes_the_temporary_folder(tmp_path: Path, sig: int) -> None:
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from flowpose.io.outdir import write_output_folder
        from flowpose.io.stops import stop_signals_raise

        def slow(tmp):
            (tmp / "half.npz").write_bytes(b"x")
            Path({str(tmp_path / "ready")!r}).write_text("ready")
            time.sleep(60)

        with stop_signals_raise():
            write_output_folder({str(tmp_path / "out")!r}, slow)
        """
    )
    # The child gets the signal at its default disposition and unblocked, whatever the test runner inherited
    # (a CI harness may block or ignore SIGHUP or SIGINT; both survive exec).
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal_at_default(sig))
    deadline = time.monotonic() + 60
    while not (tmp_path / "ready").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.05)
    proc.send_signal(sig)
    proc.communicate(timeout=30)  # also closes the stderr pipe
    assert proc.returncode != 0
    assert sorted(os.listdir(tmp_path)) == ["ready"]  # no output, no hidden .out.flowpose-tmp-* folder


def test_the_temporary_folders_left_for_a_destination_are_removed_and_nothing_else(tmp_path: Path) -> None:
    for name in (".out.flowpose-tmp-abc", ".out.flowpose-tmp-def", ".other.flowpose-tmp-abc", "out", ".out.notes"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f").write_text("x")
    (tmp_path / ".out.flowpose-tmp-file").write_text("a file of that name")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / ".out.flowpose-tmp-link").symlink_to(tmp_path / "elsewhere")
    gone = remove_temporary_folders(tmp_path / "out")
    assert sorted(p.name for p in gone) == [".out.flowpose-tmp-abc", ".out.flowpose-tmp-def"]
    assert sorted(os.listdir(tmp_path)) == [".other.flowpose-tmp-abc", ".out.flowpose-tmp-file", ".out.flowpose-tmp-link",
                                            ".out.notes", "elsewhere", "out"]
    assert (tmp_path / "out" / "f").exists() and (tmp_path / "elsewhere").exists()
