"""``flowpose batch``: a failure reported, the rest refined, a rerun resumes."""

from __future__ import annotations

from pathlib import Path

from tests.cli.common import assert_user_error, run


def test_batch_reports_a_failure_and_resumes(tmp_path: Path) -> None:
    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    make_video(tmp_path / "v", "good")
    make_video(tmp_path / "v", "bad", frames_in_poses=9)
    args = ("batch", tmp_path / "v", "--out", tmp_path / "out", "--flow", "dis", "--cycles", "0", "--jobs", "1")
    result = run(*args)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "failed" in result.stdout and "1 of 2 videos" in result.stdout
    assert (tmp_path / "out" / "good" / "refined.npz").is_file() and (tmp_path / "out" / "summary.csv").is_file()
    again = run(*args)
    assert "skipped (done before)" in again.stdout
    assert_user_error(run("batch", tmp_path / "nothing", "--out", tmp_path / "o"), "no such folder or manifest")


def test_jobs_is_refused_with_ray(tmp_path: Path) -> None:
    from tests.app.test_batch import make_video

    (tmp_path / "v").mkdir()
    make_video(tmp_path / "v", "good")
    result = run("batch", tmp_path / "v", "--out", tmp_path / "out", "--ray", "local", "--jobs", "2")
    assert_user_error(result, "--jobs: not used with --ray")
    assert not (tmp_path / "out").exists()
