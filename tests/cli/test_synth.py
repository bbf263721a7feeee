"""Tests for ``flowpose synth``: every estimator profile is offered and renders; an unknown one is one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowpose.cli.synth import DEFAULT_FRAMES, FRAME_RATES, PROFILE_NAMES, SIZES
from flowpose.io.poses import load_poses
from flowpose.synth.noise import PROFILES
from tests.cli.common import assert_user_error, run
from tests.conftest import standing_pose


@pytest.fixture
def motion(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "motion.npz"
    np.savez(path, joints3d=standing_pose()[None] + 0.01 * rng.normal(size=(12, 17, 3)), fps=30.0)
    return path


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--frames", "1", "Invalid value for '--frames': 1 is not in the range x>=2."),
    ("--start", "-1", "Invalid value for '--start': -1 is not in the range x>=0."),
    ("--size", "10", "Invalid value for '--size': 10 is not in the range 32<=x<=4096."),
    ("--fps", "0", "Invalid value for '--fps': 0.0 is not in the range 0.0<x<=1000.0."),
])
def test_a_value_out_of_range_names_the_option(motion: Path, tmp_path: Path, option: str, value: str,
                                               message: str) -> None:
    result = run("synth", motion, option, value, "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "o").exists()


def test_the_option_ranges_are_the_config_s() -> None:
    from flowpose.synth.clip import MAX_FPS, MAX_SIZE, SynthConfig

    assert (SIZES.min, SIZES.max, FRAME_RATES.max) == (32, MAX_SIZE, MAX_FPS)
    assert DEFAULT_FRAMES == SynthConfig().frames


def test_a_motion_shorter_than_the_default_is_rendered_whole_and_said(motion: Path, tmp_path: Path) -> None:
    # 12 frames: before, `error: ...: 12 frames at 30 fps, fewer than start 0 + frames 100` without --frames
    result = run("synth", motion, "--size", "32", "--out", tmp_path / "whole")
    assert result.exit_code == 0, result.output
    assert load_poses(tmp_path / "whole" / "video.poses.npz").num_frames == 12
    assert f"{motion}: 12 frames at 30 fps from frame 0, all rendered (fewer than 100; --frames N asks for N)" in (
        result.stdout)
    asked = run("synth", motion, "--size", "32", "--frames", "20", "--out", tmp_path / "asked")
    assert_user_error(asked, "12 frames at 30 fps, fewer than start 0 + frames 20")
    assert not (tmp_path / "asked").exists()


def test_the_help_names_every_profile() -> None:
    assert sorted(PROFILE_NAMES) == sorted(PROFILES)
    result = run("synth", "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for name in PROFILES:
        assert name in text


@pytest.mark.parametrize("profile", ["mediapipe", "clean"])
def test_a_profile_renders_its_estimate(motion: Path, tmp_path: Path, profile: str) -> None:
    out = tmp_path / profile
    result = run("synth", motion, "--frames", "4", "--size", "32", "--profile", profile, "--out", out)
    assert result.exit_code == 0, result.output
    poses = load_poses(out / "video.poses.npz")
    gt = np.load(out / "gt.npz")["joints3d"]
    error_mm = 1000.0 * np.linalg.norm(poses.joints3d - gt, axis=-1).mean()
    assert (error_mm < 20.0) == (profile == "clean"), error_mm


def test_an_unknown_profile_is_refused(motion: Path, tmp_path: Path) -> None:
    result = run("synth", motion, "--profile", "vibe", "--out", tmp_path / "x")
    assert_user_error(result, "--profile", "vibe", "mediapipe")
    assert not (tmp_path / "x").exists()
