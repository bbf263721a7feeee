"""Hostile use of the command line: a user's files are never lost or changed, and every bad input is one line
on stderr naming the file, exit code 2, no traceback and no partial output.

Each case runs in a private copy of a tiny clip, beside a bystander file, and compares the whole tree (bytes and
modification times) before and after.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from flowpose.errors import InputError
from flowpose.io.outdir import MANIFEST
from flowpose.io.poses import load_poses, save_poses
from flowpose.io.video_writer import write_video
from flowpose.pose import PoseSequence
from tests.cli.common import T, assert_user_error, run, snapshot
from tests.conftest import signal_at_default


@pytest.fixture
def tree(clip: Path, tmp_path: Path) -> Path:
    """``tmp/in/`` holds the clip (video, sidecar poses, a ground-truth stand-in) and ``tmp/bystander.txt``."""
    inp = tmp_path / "in"
    inp.mkdir()
    for f in clip.iterdir():
        (inp / f.name).write_bytes(f.read_bytes())
    (inp / "gt_notes.txt").write_text("ground truth of a month of capture")
    (tmp_path / "bystander.txt").write_text("not yours")
    return tmp_path


class Payload:
    """Stands for arbitrary pickled code in a checkpoint."""


def _refine(tree: Path, *extra: str | Path) -> list[str | Path]:
    return ["refine", tree / "in" / "video.mp4", "--flow", "dis", "--cycles", "0", "--quiet", *extra]


def _poses_with(tree: Path, name: str, **fields: np.ndarray) -> Path:
    with np.load(tree / "in" / "video.poses.npz") as d:
        data = {k: d[k] for k in d.files}
    data.update(fields)
    np.savez(tree / name, **data)
    return tree / name


def _check_refused(tree: Path, args: list[str | Path], *needles: str) -> None:
    before = snapshot(tree)
    assert_user_error(run(*args), *needles)
    assert snapshot(tree) == before  # every input and bystander unchanged, nothing new, no temporaries


# --- data loss -------------------------------------------------------------------------------------------


def test_a_full_disk_is_one_line_and_leaves_nothing(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import flowpose.io.atomic

    def full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(flowpose.io.atomic.os, "replace", full)  # every file's last step, as a full disk fails it
    _check_refused(tree, _refine(tree, "--out", tree / "out"),
                   f"{tree / 'out'}: could not be written (refined.npz: No space left on device); nothing of it")


def test_out_is_the_input_folder(tree: Path) -> None:
    _check_refused(tree, _refine(tree, "--out", tree / "in", "--overwrite"), str(tree / "in"), "input")


def test_out_is_the_current_folder(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    args = ["refine", "in/video.mp4", "--flow", "dis", "--cycles", "0", "--quiet", "--out", ".", "--overwrite"]
    _check_refused(tree, args, "current folder")


@pytest.mark.parametrize("where", ["/", "home", "parent of the input"])
def test_out_is_a_protected_folder(tree: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    monkeypatch.setenv("HOME", str(tree))
    out = {"/": Path("/"), "home": tree, "parent of the input": tree}[where]
    _check_refused(tree, _refine(tree, "--out", out, "--overwrite"), str(out))


def test_overwrite_refuses_a_user_folder(tree: Path) -> None:
    (tree / "results").mkdir()
    (tree / "results" / "paper.tex").write_text("draft")
    _check_refused(tree, _refine(tree, "--out", tree / "results", "--overwrite"), "results", "did not write")


def test_overwrite_refuses_a_flowpose_folder_the_user_added_to(tree: Path) -> None:
    out = tree / "out"
    assert run(*_refine(tree, "--out", out)).exit_code == 0
    (out / "my_notes.txt").write_text("notes")
    _check_refused(tree, _refine(tree, "--out", out, "--overwrite"), "my_notes.txt")


def test_overwrite_replaces_a_flowpose_folder(tree: Path) -> None:
    out = tree / "out"
    assert run(*_refine(tree, "--out", out)).exit_code == 0
    first = (out / "refined.npz").stat().st_mtime_ns
    result = run(*_refine(tree, "--out", out, "--overwrite"))
    assert result.exit_code == 0, result.output
    assert (out / "refined.npz").stat().st_mtime_ns != first and (out / MANIFEST).is_file()
    assert sorted(p.name for p in tree.iterdir()) == ["bystander.txt", "in", "out"]


def test_out_symlink_with_overwrite(tree: Path) -> None:
    (tree / "target").mkdir()
    (tree / "link").symlink_to(tree / "target")
    _check_refused(tree, _refine(tree, "--out", tree / "link", "--overwrite"), "link", "symbolic link")


@pytest.mark.parametrize("where", ["under a file", "in /proc", "missing parent"])
def test_out_location_is_checked_before_any_work(tree: Path, where: str) -> None:
    out = {
        "under a file": tree / "bystander.txt" / "out",
        "in /proc": Path("/proc/flowpose_out"),
        "missing parent": tree / "no" / "such" / "out",
    }[where]
    start = time.monotonic()
    _check_refused(tree, _refine(tree, "--out", out), str(out))
    assert time.monotonic() - start < 10  # refused at once: no refinement ran (generous for a loaded CI)


def test_synth_refuses_an_existing_folder_and_overwrites_only_its_own(tree: Path) -> None:
    motion = tree / "motion.npz"
    rng = np.random.default_rng(0)
    from tests.conftest import standing_pose

    joints = standing_pose()[None] + 0.01 * rng.normal(size=(12, 17, 3)).astype(np.float32)
    np.savez(motion, joints3d=joints, fps=30.0)
    args = ["synth", motion, "--frames", "4", "--size", "32", "--out", tree / "in"]
    _check_refused(tree, args, str(tree / "in"), "--overwrite")
    _check_refused(tree, [*args, "--overwrite"], str(tree / "in"))
    out = tree / "clip"
    ok = ["synth", motion, "--frames", "4", "--size", "32", "--out", out]
    assert run(*ok).exit_code == 0
    assert run(*ok).exit_code == 2  # a second time without --overwrite: refused
    assert run(*ok, "--overwrite").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "gt.npz", "video.mp4", "video.poses.npz"]


def test_estimate_and_import_never_replace_a_user_file(tree: Path) -> None:
    np.save(tree / "j.npy", load_poses(tree / "in" / "video.poses.npz").joints3d)
    (tree / "theirs.npz").write_bytes(b"someone's file")
    base = ["import", "joints3d", tree / "j.npy", "--video", tree / "in" / "video.mp4"]
    _check_refused(tree, [*base, "--out", tree / "theirs.npz", "--overwrite"], "theirs.npz", "did not")
    _check_refused(tree, [*base, "--out", tree / "j.npy", "--overwrite"], "j.npy")
    assert run(*base, "--out", tree / "mine.npz").exit_code == 0
    assert run(*base, "--out", tree / "mine.npz", "--overwrite").exit_code == 0  # its own file: replaced


def _wait_until_handled(proc: subprocess.Popen, signum: int, timeout: float = 120.0) -> None:
    """Until ``proc`` catches ``signum`` itself (Linux: the SigCgt mask of /proc/PID/status), or has ended."""
    status = Path(f"/proc/{proc.pid}/status")
    if not status.parent.is_dir():
        time.sleep(3.0)  # no /proc: a fixed wait
        return
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        caught = next(line for line in status.read_text().splitlines() if line.startswith("SigCgt:"))
        if int(caught.split()[1], 16) >> (signum - 1) & 1:
            return
        assert time.monotonic() < deadline, f"the process did not handle signal {signum} within {timeout:g} s"
        time.sleep(0.02)


@pytest.mark.slow
def test_sigterm_leaves_no_partial_output(tree: Path) -> None:
    """A real process stopped while it works: no output folder and no hidden temporary folder remain."""
    out = tree / "out"
    args = [sys.executable, "-m", "flowpose.cli", *map(str, _refine(tree, "--out", out, "--viz"))]
    args[args.index("0")] = "2"  # two cycles, so there is time to stop it
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
                            preexec_fn=lambda: signal_at_default(signal.SIGTERM))
    # A fixed 3 s wait sent the signal, on a loaded machine, before the command had put its handler in place
    # (Python and numpy still importing): the process died of it, with no message.
    _wait_until_handled(proc, signal.SIGTERM)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.strip().splitlines() == ["error: stopped by SIGTERM; nothing was written"]
    assert sorted(p.name for p in tree.iterdir()) == ["bystander.txt", "in"]


# --- tracebacks and silent garbage ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("joints x 1e20", "beyond"),
        ("fx = 1e30", "focal lengths"),
        ("depth negative", "in front of the camera"),
        ("depth zero", "in front of the camera"),
        ("depth 1e-9", "in front of the camera"),
        ("singular K", "pinhole camera matrix"),
        ("rank-1 K", "pinhole camera matrix"),
        ("int64 joints", "floating point"),
        ("bool joints", "floating point"),
        ("x and y x 1e6", "more than a body|beyond"),
        ("joints2d inf", "joints2d must be finite"),
        ("millimetres as float", "millimetres"),
        ("fps 1e400", "fps"),
    ],
)
def test_bad_pose_geometry(tree: Path, case: str, needle: str) -> None:
    with np.load(tree / "in" / "video.poses.npz") as d:
        j, K = d["joints3d"].astype(np.float64), d["K"].astype(np.float64)
    fields: dict[str, np.ndarray] = {
        "joints x 1e20": {"joints3d": j * 1e20},
        "fx = 1e30": {"K": np.diag([1e30, 1e30, 1.0])},
        "depth negative": {"joints3d": j * [1, 1, -1]},
        "depth zero": {"joints3d": j * [1, 1, 0]},
        "depth 1e-9": {"joints3d": j * [1, 1, 1e-9]},
        "singular K": {"K": K * [[1], [1], [0]]},
        "rank-1 K": {"K": np.ones((3, 3))},
        "int64 joints": {"joints3d": np.round(j * 1000).astype(np.int64)},
        "bool joints": {"joints3d": j > 1},
        "x and y x 1e6": {"joints3d": j * [1e6, 1e6, 1]},
        "joints2d inf": {"joints2d": np.full((T, 17, 2), np.inf)},
        "millimetres as float": {"joints3d": j * 1000.0},
        "fps 1e400": {"fps": np.array(np.inf)},
    }[case]
    bad = _poses_with(tree, "bad.npz", **fields)
    _check_refused(tree, _refine(tree, "--poses", bad, "--out", tree / "out"), "bad.npz", *needle.split("|")[:1])


def test_deeply_nested_json(tree: Path) -> None:
    (tree / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    _check_refused(tree, _refine(tree, "--poses", tree / "deep.json", "--out", tree / "out"), "deep.json")


def test_json_with_infinite_number(tree: Path) -> None:
    poses = load_poses(tree / "in" / "video.poses.npz")
    doc = {"joints3d": poses.joints3d.tolist(), "K": poses.K.tolist()}
    doc["joints3d"][0][0][0] = 1e400  # json.dumps writes Infinity
    (tree / "inf.json").write_text(json.dumps(doc))
    _check_refused(tree, _refine(tree, "--poses", tree / "inf.json", "--out", tree / "out"), "inf.json", "finite")


def test_huge_seed(tree: Path) -> None:
    _check_refused(tree, _refine(tree, "--seed", "99999999999999999999", "--out", tree / "out"), "--seed")


def test_singular_K_on_import(tree: Path) -> None:
    np.save(tree / "j.npy", load_poses(tree / "in" / "video.poses.npz").joints3d)
    np.savetxt(tree / "K.txt", np.ones((3, 3)))
    args = ["import", "joints3d", tree / "j.npy", "--intrinsics", tree / "K.txt", "--out", tree / "x.npz"]
    _check_refused(tree, args, "K.txt", "pinhole camera matrix")


def test_single_frame_video_names_the_video(tree: Path) -> None:
    frames = np.full((1, 64, 64, 3), 128, np.uint8)
    write_video(tree / "one.mp4", frames, fps=10.0)
    poses = load_poses(tree / "in" / "video.poses.npz").slice(0, 1)
    save_poses(poses, tree / "one.poses.npz")
    args = ["refine", tree / "one.mp4", "--flow", "dis", "--quiet", "--out", tree / "out"]
    _check_refused(tree, args, "one.mp4", "at least 2 frames")


def test_pickled_checkpoint_is_refused_without_torch_advice(tree: Path) -> None:
    torch.save({"state": Payload()}, tree / "evil.pth")
    args = _refine(tree, "--flow-weights", tree / "evil.pth", "--out", tree / "out")
    args[args.index("dis")] = "raft-small"
    before = snapshot(tree)
    result = run(*args)
    assert_user_error(result, "evil.pth", "refuses to load")
    assert "weights_only" not in result.stderr
    assert snapshot(tree) == before


@pytest.mark.parametrize(
    "case", ["empty npz", "folder named .npz", "json list", "npz of a single array", "poses in text"]
)
def test_more_hostile_pose_files(tree: Path, case: str) -> None:
    path = tree / ("p.json" if case in ("json list", "poses in text") else "p.npz")
    if case == "empty npz":
        path.write_bytes(b"")
    elif case == "folder named .npz":
        path.mkdir()
    elif case == "json list":
        path.write_text("[1, 2, 3]")
    elif case == "npz of a single array":
        with open(path, "wb") as f:
            np.save(f, np.zeros(3))
    else:
        path.write_text(json.dumps({"joints3d": "lots of joints", "K": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}))
    _check_refused(tree, _refine(tree, "--poses", path, "--out", tree / "out"), path.name)


# --- the loaders, property-based --------------------------------------------------------------------------


_float_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64, np.int64, np.bool_, np.float16]),
    shape=hnp.array_shapes(min_dims=0, max_dims=4, max_side=5),
    elements=None,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    joints3d=_float_arrays,
    K=st.one_of(_float_arrays, st.just(np.array([[500.0, 0, 32], [0, 500, 32], [0, 0, 1]]))),
    extra=st.dictionaries(st.sampled_from(["joints2d", "conf", "fps", "skeleton"]), _float_arrays, max_size=2),
)
def test_pose_loader_accepts_good_files_and_refuses_the_rest_with_input_error(
    tmp_path: Path, joints3d: np.ndarray, K: np.ndarray, extra: dict[str, np.ndarray]
) -> None:
    """Whatever arrays a pose file holds, loading gives a valid sequence or an InputError naming the file."""
    path = tmp_path / "poses.npz"
    np.savez(path, joints3d=joints3d, K=K, **extra)
    try:
        seq = load_poses(path)
    except InputError as e:
        assert str(e).startswith(str(path))
        return
    observed = np.isfinite(seq.joints3d).all(-1)
    assert seq.joints3d.dtype == np.float32 and seq.joints3d.ndim == 3
    assert (seq.joints3d[observed][:, 2] > 0).all()
    assert np.isfinite(seq.K).all() and (seq.K[..., [0, 1], [0, 1]] > 0).all()


def test_pose_file_round_trip_carries_the_writer_mark(tmp_path: Path) -> None:
    from flowpose.io.poses import written_by_flowpose

    seq = PoseSequence(np.full((2, 17, 3), 2.0, np.float32) + np.arange(17)[None, :, None] * 0.01, np.eye(3))
    for name in ("a.npz", "a.json"):
        save_poses(seq, tmp_path / name)
        assert written_by_flowpose(tmp_path / name)
        np.testing.assert_allclose(load_poses(tmp_path / name).joints3d, seq.joints3d)
    np.savez(tmp_path / "user.npz", joints3d=seq.joints3d, K=seq.K)
    assert not written_by_flowpose(tmp_path / "user.npz")
