"""Tests for flowpose.cli.options: what the shared options turn into, and the lines they refuse with."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from flowpose.cli.options import (
    camera_from_options,
    described_camera,
    estimate_config_from_options,
    refine_config_from_options,
    show_progress,
)
from flowpose.errors import InputError


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(("quiet", "tty", "shown"), [(False, True, True), (True, True, False), (False, False, False)])
def test_progress_bars_only_on_a_terminal_and_not_when_quiet(
    monkeypatch: pytest.MonkeyPatch, quiet: bool, tty: bool, shown: bool
) -> None:
    monkeypatch.setattr("sys.stderr", _Stream(tty))
    assert show_progress(quiet) is shown


def test_the_camera_guess_is_60_degrees_only_when_nothing_was_said() -> None:
    assert camera_from_options(None, None, None, None, None).fov_deg == 60.0
    assert camera_from_options(None, None, 47.0, None, None).fov_deg == 47.0
    assert described_camera(None, None, None, None, None) is None  # the pose file's own camera stays
    given = described_camera(None, 1450.0, None, None, None)
    assert given is not None and given.focal_px == 1450.0


def test_the_estimator_settings(capsys: pytest.CaptureFixture[str]) -> None:
    config = estimate_config_from_options(True, 0.3, 4, 7, 3, False, 2)
    assert (config.tracking, config.min_confidence, config.carry_frames, config.min_frames, config.looks,
            config.people) == (True, 0.3, 4, 7, 3, 2)
    assert capsys.readouterr().err == ""
    # The earlier --mirrored-2d is --looks 1 now, and says so.
    assert estimate_config_from_options(False, 0.5, 10, 10, 0, True, 3).looks == 1
    assert "--mirrored-2d is now --looks 1" in capsys.readouterr().err
    assert estimate_config_from_options(False, 0.5, 10, 10, 4, True, 3).looks == 4


def test_the_looks_option_allows_what_the_estimator_does() -> None:
    from flowpose.cli.options import estimator_options
    from flowpose.estimate.looks import LOOKS
    from flowpose.estimate.mediapipe import MAX_LOOKS

    command = estimator_options(click.command()(lambda **_: None))
    looks = next(p for p in command.params if p.name == "looks")
    assert looks.type.max == MAX_LOOKS == len(LOOKS) and looks.type.min == 0


def test_the_preset_and_the_flow() -> None:
    default = refine_config_from_options("fast", None, None)
    assert default.flow.names == ("dis",) and default.flow.weights == (None,)
    raft = refine_config_from_options("fast", "raft-small", None)
    assert raft.flow.names == ("raft-small",) and raft.flow.weights == (None,)
    assert raft.pose == default.pose  # only the flow changed
    assert default.part_frames is None and refine_config_from_options("fast", None, None, part_frames=120).part_frames == 120


def test_the_parts_overlap_as_the_configuration_says() -> None:
    from flowpose.cli.options import PART_OVERLAP, part_frames_option
    from flowpose.config import RefineConfig

    seen = []
    command = part_frames_option(click.command()(lambda part_frames: seen.append(part_frames)))
    assert PART_OVERLAP == RefineConfig.part_overlap
    for given in (["--part-frames", "90"], ["--part-frames", "auto"], []):
        assert CliRunner().invoke(command, given).exit_code == 0
    assert seen == [90, "auto", None]
    refused = CliRunner().invoke(command, ["--part-frames", str(3 * PART_OVERLAP - 1)])
    assert refused.exit_code == 2 and f"89 is not in the range x>={3 * PART_OVERLAP}" in refused.output
    refused = CliRunner().invoke(command, ["--part-frames", "some"])
    assert refused.exit_code == 2 and "expected a number of frames (at least 90) or auto, got 'some'" in refused.output


def test_each_option_names_itself_when_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^--preset: unknown preset 'slowest'"):
        refine_config_from_options("slowest", None, None)
    with pytest.raises(InputError, match=r"^--flow: unknown flow model 'rafts'"):
        refine_config_from_options("fast", "rafts", None)
    with pytest.raises(InputError, match=r"^--flow-weights: the 'dis' flow model takes no weights"):
        refine_config_from_options("fast", "dis", str(tmp_path / "w.pth"))
    with pytest.raises(InputError, match=r"^--flow-weights: .*missing\.pth"):
        refine_config_from_options("fast", "raft-small", str(tmp_path / "missing.pth"))


def test_the_intrinsics_help_names_every_file_kind_read() -> None:
    from click.testing import CliRunner

    from flowpose.cli.shell import main
    from flowpose.io.intrinsics import INTRINSICS_SUFFIXES

    for command in ("estimate", "refine", "import"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0, result.output
        text = " ".join(result.output.split())
        help_text = text[text.index("--intrinsics PATH"):]
        assert all(suffix in help_text for suffix in INTRINSICS_SUFFIXES), (command, help_text[:300])
        assert "lens distortion" in help_text
