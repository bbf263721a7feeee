"""Tests of flowpose.app.batch_memory: how many videos a batch refines at once, so that they fit in memory."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import flowpose.app.batch
from flowpose.app.batch import read_inputs, run_batch
from flowpose.app.batch_memory import WORKER_BASE_BYTES, jobs_that_fit, video_need
from flowpose.app.refine_video import RefineVideoJob
from flowpose.flow.registry import load_flow_model
from flowpose.io.poses import load_poses
from flowpose.refinement.memory import refine_memory
from tests.app.test_batch import SIZE, T, make_video
from tests.app.test_refine_video import DIS

GB = 2**30


@pytest.mark.parametrize(
    ("needs", "jobs", "available", "fit"),
    [
        ([GB, GB, GB, GB], 4, 8 * GB, 4),  # all four side by side
        ([GB, GB, GB, GB], 4, 3 * GB, 3),
        ([4 * GB, GB, GB], 3, 5 * GB, 2),  # the largest two decide
        ([4 * GB, GB, GB], 3, 3 * GB, 1),  # the largest alone is too large: its refinement warns
        ([GB, GB], 4, 8 * GB, 2),  # no more than the videos
        ([GB, GB, GB], 3, None, 3),  # the memory available unknown
        ([], 3, GB, 3),  # no video's need could be foreseen
    ],
)
def test_jobs_that_fit(needs: list[int], jobs: int, available: int | None, fit: int) -> None:
    assert jobs_that_fit(needs, jobs, available) == fit


def test_a_video_s_need_grows_with_its_frames_and_is_unknown_where_it_cannot_be_read(tmp_path: Path) -> None:
    models = [load_flow_model("dis")]
    make_video(tmp_path, "a")
    need = video_need(tmp_path / "a.mp4", None, DIS, models)
    init = load_poses(tmp_path / "a.poses.npz")
    growth = refine_memory(init, (SIZE, SIZE), DIS, models).bytes(T)
    assert growth > 0 and need == WORKER_BASE_BYTES + T * SIZE * SIZE * 3 + growth  # the frames are decoded: small
    assert video_need(tmp_path / "missing.mp4", None, DIS, models) is None
    auto = replace(DIS, part_frames="auto", part_overlap=2)  # planned whole: where alone it does not fit, one worker
    assert video_need(tmp_path / "a.mp4", None, auto, models) == need
    make_video(tmp_path, "b", frames_in_poses=T + 3)  # refused by its refinement
    assert video_need(tmp_path / "b.mp4", None, DIS, models) is None
    assert video_need(tmp_path / "a.mp4", tmp_path / "b.poses.npz", DIS, models) is None


def test_a_batch_refines_fewer_videos_at_once_where_they_would_not_fit_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in "abc":
        make_video(folder, name)
    need = video_need(folder / "a.mp4", None, DIS, [load_flow_model("dis")])
    pools: list[int] = []

    def in_this_process(fn, items, jobs, threads):  # noqa: ANN001, ANN202 - run_in_workers' stand-in
        pools.append(jobs)
        return ((i, fn(item)) for i, item in enumerate(items))

    monkeypatch.setattr(flowpose.app.batch, "run_in_workers", in_this_process)
    told: list[str] = []
    job = RefineVideoJob(video=folder, config=DIS, cycles=0)
    monkeypatch.setattr(flowpose.app.batch, "available_memory_bytes", lambda: 2 * need + 1)
    rows = run_batch(read_inputs(folder, tmp_path / "two"), job, jobs=4, tell=told.append)
    assert [r["status"] for r in rows] == ["done"] * 3 and pools == [2]
    assert told == [f"memory: refining 3 of these videos at once may take about {3 * need / GB:.1f} GB, and "
                    f"{(2 * need + 1) / GB:.1f} GB is available: refining 2 at once"]
    monkeypatch.setattr(flowpose.app.batch, "available_memory_bytes", lambda: need)
    told.clear()
    rows = run_batch(read_inputs(folder, tmp_path / "one"), job, jobs=3, tell=told.append)
    assert [r["status"] for r in rows] == ["done"] * 3 and pools == [2] and len(told) == 1  # no pool: this process
    monkeypatch.setattr(flowpose.app.batch, "available_memory_bytes", lambda: 100 * need)
    told.clear()
    rows = run_batch(read_inputs(folder, tmp_path / "all"), job, jobs=3, tell=told.append)
    assert [r["status"] for r in rows] == ["done"] * 3 and pools == [2, 3] and not told
