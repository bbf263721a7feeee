"""The group's handling shared by every command: warnings one line each."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

from flowpose.cli import user_errors


def test_warnings_are_one_line_each_and_resource_warnings_stay_silent(capsys: pytest.CaptureFixture[str]) -> None:
    """A command's warnings reach the user once each as ``warning: ...``; ResourceWarning (a file the garbage
    collector closes, as after a stop signal interrupts a read) does not reach them at all."""

    @user_errors
    def command() -> None:
        warnings.warn("the focal length is a guess", UserWarning, stacklevel=1)
        warnings.warn("the focal length is a guess", UserWarning, stacklevel=1)
        warnings.warn("unclosed file <_io.BufferedReader name='x.pyc'>", ResourceWarning, stacklevel=1)

    command()
    assert capsys.readouterr().err.splitlines() == ["warning: the focal length is a guess"]


def test_the_command_line_starts_without_torch() -> None:
    """``flowpose --help`` and a refused input answer in a fraction of a second: the commands import the
    package's heavy parts (torch, the flow networks) only when they run."""
    code = "import sys, flowpose.cli; print(sorted(m for m in ('torch', 'cv2', 'scipy') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
