"""What the command-line tests share: a tiny clip's body, running a command, and the checks of a user error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner, Result

from flowpose.cli import main

T, SIZE = 8, 64
"""The tiny clip: frames, and the square image's side in px."""


def body(T: int) -> np.ndarray:
    """A small stick figure 2.5 m away, drifting right: (T, 17, 3) m."""
    rng = np.random.default_rng(0)
    rest = rng.uniform(-0.25, 0.25, (17, 3)) * np.array([1.0, 2.0, 0.3])
    drift = np.linspace(0.0, 0.15, T)[:, None, None] * np.array([1.0, 0.0, 0.0])
    return rest[None] + drift + np.array([0.0, 0.0, 2.5])


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every path under ``folder`` with its bytes and modification time."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


def run(*args: str | Path) -> Result:
    """``flowpose ARGS`` in-process, exceptions caught."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)


def assert_user_error(result: Result, *needles: str) -> None:
    """Exit 2, one line on stderr starting with ``error:``, containing each needle, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def bad_poses(work: Path, name: str, **fields: np.ndarray | str) -> Path:
    """A pose file with some keys replaced (written with np.savez, so that invalid content is possible)."""
    with np.load(work / "video.poses.npz") as d:
        data = {k: d[k] for k in d.files}
    data.update(fields)
    np.savez(work / name, **data)
    return work / name


def refine_args(work: Path, *extra: str | Path) -> list[str | Path]:
    """``flowpose refine`` of the clip in ``work`` with DIS, one cycle, into ``work/out``, and ``extra``."""
    return [
        "refine",
        work / "video.mp4",
        "--flow",
        "dis",
        "--cycles",
        "1",
        "--quiet",
        "--out",
        work / "out",
        *extra,
    ]
